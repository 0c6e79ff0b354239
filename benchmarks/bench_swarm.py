"""How fast ``desert-paxos swarm`` checks seeds: one core, then a process pool.

Theory of operation
-------------------
``swarm_seeds_per_s`` is the median rate of ``SEEDS`` deserts checked in this
process (one core, no pool), over ``REPEAT`` sweeps; each desert is one full
simulator run, fault phase and liveness phase, of about
``swarm_deliveries_per_seed`` deliveries. The issue states its target (5,000
seeds per second per core) for runs of about 200 deliveries, and the cost of a
run grows with its deliveries, so ``swarm_deliveries_per_s`` and
``swarm_seeds_per_s_at_200`` (deliveries per second / 200) put the figure on
that scale. ``swarm_pool_seeds_per_s`` runs the same seeds on a process pool of
``os.cpu_count()`` workers; ``swarm_pool_speedup`` is its ratio to one core
(near-linear means close to the number of workers, on an otherwise idle
machine).

    .venv/bin/python benchmarks/bench_swarm.py
"""

from __future__ import annotations

import json
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from desert_paxos.swarm import run_swarm

SEEDS = 3000
REPEAT = 3
TARGET = 5000


def _sweep(workers: int) -> tuple[float, int]:
    if workers == 1:
        started = time.perf_counter()
        summary = run_swarm(SEEDS)
        return SEEDS / (time.perf_counter() - started), summary.deliveries
    with ProcessPoolExecutor(max_workers=workers) as pool:
        run_swarm(workers * 20, executor=pool, chunk=20)  # start the workers before timing
        started = time.perf_counter()
        summary = run_swarm(SEEDS, executor=pool, chunk=max(20, SEEDS // (workers * 8)))
        return SEEDS / (time.perf_counter() - started), summary.deliveries


def main() -> dict[str, Any]:
    one_core = [_sweep(1) for _ in range(REPEAT)]
    rates = [rate for rate, _ in one_core]
    deliveries = one_core[0][1]
    rate = statistics.median(rates)
    per_seed = deliveries / SEEDS
    workers = os.cpu_count() or 1
    pooled = statistics.median(_sweep(workers)[0] for _ in range(REPEAT))
    return {
        "swarm_seeds_per_s": round(rate),
        "swarm_seeds_per_s_spread": [round(min(rates)), round(max(rates))],
        "swarm_deliveries_per_seed": round(per_seed, 1),
        "swarm_deliveries_per_s": round(rate * per_seed),
        "swarm_seeds_per_s_at_200": round(rate * per_seed / 200),
        "swarm_target_seeds_per_s": TARGET,
        "swarm_target_met": rate * per_seed / 200 >= TARGET,
        "swarm_pool_workers": workers,
        "swarm_pool_seeds_per_s": round(pooled),
        "swarm_pool_speedup": round(pooled / rate, 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
