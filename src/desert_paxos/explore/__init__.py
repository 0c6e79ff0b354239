"""The model checker: every path through a small desert, over the real protocol core."""

from ._model import CAMPSITES, Action, ExploreOptions, Model, State, StateView
from ._search import Progress, SearchResult, first_move, search
from ._trace import Counterexample, Step, counterexample

__all__ = [
    "CAMPSITES",
    "Action",
    "Counterexample",
    "ExploreOptions",
    "Model",
    "Progress",
    "SearchResult",
    "State",
    "StateView",
    "Step",
    "counterexample",
    "first_move",
    "search",
]
