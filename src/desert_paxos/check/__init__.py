"""Safety checking: the invariants every run of Paxos must keep."""

from ._invariants import INVARIANTS, SafetyMonitor, Violation

__all__ = ["INVARIANTS", "SafetyMonitor", "Violation"]
