"""How fast ``desert-paxos explore`` visits states, on one core.

Theory of operation
-------------------
The issue asks for at least 100,000 unique states per second on one core for
3 caravans and 2 proposers. ``explore_states_per_s`` is the median rate of the
complete default search (3 caravans, 2 proposers, one ballot round each:
85,706 states) over ``REPEAT`` fresh searches; ``explore_states_per_s_large`` is
the rate of a larger search with two rounds per proposer, stopped at
``LARGE_STATES`` (the rate falls as the visited-state dictionary outgrows the
caches). ``explore_symmetry_*`` compares 5 caravans with 1 proposer with and
without ``--symmetry``: how many fewer states, and what it costs in time.

    .venv/bin/python benchmarks/bench_explore.py
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from desert_paxos.explore import ExploreOptions, Model, search

REPEAT = 5
LARGE_STATES = 600_000
TARGET = 100_000


def _rate(options: ExploreOptions, max_states: int | None = None) -> tuple[float, int, float]:
    model = Model(options)
    started = time.perf_counter()
    result = search(model, max_states=max_states)
    seconds = time.perf_counter() - started
    return result.states / seconds, result.states, seconds


def main() -> dict[str, Any]:
    rates = [_rate(ExploreOptions(caravans=3, proposers=2))[0] for _ in range(REPEAT)]
    large, large_states, _ = _rate(ExploreOptions(max_round=2), LARGE_STATES)
    _, plain_states, plain_s = _rate(ExploreOptions(caravans=5, proposers=1))
    _, sym_states, sym_s = _rate(ExploreOptions(caravans=5, proposers=1, symmetry=True))
    median = statistics.median(rates)
    return {
        "explore_states_per_s": round(median),
        "explore_states_per_s_spread": [round(min(rates)), round(max(rates))],
        "explore_states": 85706,
        "explore_target_states_per_s": TARGET,
        "explore_target_met": median >= TARGET,
        "explore_states_per_s_large": round(large),
        "explore_large_states": large_states,
        "explore_symmetry_states": sym_states,
        "explore_symmetry_plain_states": plain_states,
        "explore_symmetry_fewer": round(plain_states / sym_states, 1),
        "explore_symmetry_seconds": round(sym_s, 2),
        "explore_symmetry_plain_seconds": round(plain_s, 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
