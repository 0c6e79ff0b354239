"""The model checker: every path through a small desert, over the real protocol core."""

from ._model import CAMPSITES, Action, ExploreOptions, Model, State, StateView
from ._parallel import MAX_WORKERS
from ._search import (
    BYTES_PER_STATE,
    MAX_STATES,
    Progress,
    SearchResult,
    default_max_states,
    first_move,
    search,
)
from ._trace import Counterexample, Played, Step, counterexample, play_moves

__all__ = [
    "BYTES_PER_STATE",
    "CAMPSITES",
    "MAX_STATES",
    "MAX_WORKERS",
    "Action",
    "Counterexample",
    "ExploreOptions",
    "Model",
    "Played",
    "Progress",
    "SearchResult",
    "State",
    "StateView",
    "Step",
    "counterexample",
    "default_max_states",
    "first_move",
    "play_moves",
    "search",
]
