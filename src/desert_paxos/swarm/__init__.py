"""The swarm: many random deserts, each checked for safety and then liveness; failures shrunk."""

from ._desert import LIVENESS_TICKS, Desert, draw_desert
from ._run import (
    KEPT_FAILURES,
    ChunkResult,
    Failure,
    SwarmProgress,
    SwarmSummary,
    Verdict,
    check_desert,
    run_chunk,
    run_swarm,
    verdict_of,
    worker_init,
)
from ._shrink import Shrunk, shrink

__all__ = [
    "KEPT_FAILURES",
    "LIVENESS_TICKS",
    "ChunkResult",
    "Desert",
    "Failure",
    "Shrunk",
    "SwarmProgress",
    "SwarmSummary",
    "Verdict",
    "check_desert",
    "draw_desert",
    "run_chunk",
    "run_swarm",
    "shrink",
    "verdict_of",
    "worker_init",
]
