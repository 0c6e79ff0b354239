"""Safety checking: the invariants every run of Paxos must keep, and linearizability."""

from ._invariants import INVARIANTS, SafetyMonitor, Violation
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
