"""The deterministic desert simulator: the main way to run the protocol core."""

from ._events import SimTraceWriter
from ._simulator import Observer, RunResult, Simulation, Stats, link_table

__all__ = [
    "Observer",
    "RunResult",
    "SimTraceWriter",
    "Simulation",
    "Stats",
    "link_table",
]
