"""Safety checking: the invariants every run of Paxos must keep, and linearizability.

The linearizability checker is loaded when one of its names is first asked for, so the
commands that only watch a run's invariants (``desert-paxos run``) start without it.
"""

from typing import TYPE_CHECKING, Any

from ._invariants import INVARIANTS, SafetyMonitor, Violation

if TYPE_CHECKING:
    from ._linearizable import (
        HistoryError,
        LinearizabilityResult,
        Operation,
        check_events,
        check_history,
        parse_history,
        read_history,
    )

__all__ = [
    "INVARIANTS",
    "HistoryError",
    "LinearizabilityResult",
    "Operation",
    "SafetyMonitor",
    "Violation",
    "check_events",
    "check_history",
    "parse_history",
    "read_history",
]

_LAZY = frozenset(__all__) - {"INVARIANTS", "SafetyMonitor", "Violation"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import _linearizable

        return getattr(_linearizable, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
