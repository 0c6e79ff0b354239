"""Configuration shared by every caravan of one desert.

Theory of operation
-------------------
Paxos is parameterised by who the acceptors are and what a quorum is. By
default a quorum is a majority, which makes any two quorums intersect: the
property both phases of "Paxos Made Simple" lean on. Flexible Paxos only needs
every phase-1 quorum to meet every phase-2 quorum, so the two sizes are kept
apart. Timings are in simulator ticks; the core never reads a clock, it only
asks for timers with these ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._variants import VARIANTS, Variant

__all__ = ["DEFAULT_CARAVANS", "Config"]

DEFAULT_CARAVANS: tuple[str, ...] = ("Aghilas", "Taziri", "Amastan", "Itri", "Tassadit")


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    caravans: tuple[str, ...] = DEFAULT_CARAVANS
    phase1_quorum: int = 0  # 0 means "a majority"
    phase2_quorum: int = 0
    phase_timeout: int = 150
    backoff_low: int = 10
    backoff_high: int = 60
    backoff_cap: int = 4  # the range doubles at most this often: waits stay near the timeout scale
    patience_low: int = 300
    patience_high: int = 400
    variant: Variant = field(default_factory=lambda: VARIANTS["paxos"])

    def __post_init__(self) -> None:
        majority = len(self.caravans) // 2 + 1
        if self.phase1_quorum == 0:
            object.__setattr__(self, "phase1_quorum", majority)
        if self.phase2_quorum == 0:
            object.__setattr__(self, "phase2_quorum", majority)

    @property
    def size(self) -> int:
        return len(self.caravans)
