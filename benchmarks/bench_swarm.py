"""How fast ``desert-paxos swarm`` checks seeds, and what each seed costs before it runs.

Theory of operation
-------------------
``swarm_seeds_per_s_per_core`` is the rate of ``SEEDS`` default deserts checked in
this process (one core, no pool), seeds per second of CPU time
(``time.process_time``), as ``{median, min, max}`` over ``REPEAT`` sweeps; each
desert is one full simulator run, fault phase and liveness phase, of about
``swarm_deliveries_per_seed`` deliveries. Target: 4,000.

The per-seed overhead is measured apart, on the same seeds, in four phases
timed separately (CPU time, mean per seed): drawing the desert
(``draw_desert``), building the simulation (``Simulation(...)``), waking it
(``start``: the caravans and the script laid on the heap), and the run itself;
``swarm_overhead_share`` is the first three over all four.

``swarm_pool_seeds_per_s`` runs the same seeds on a process pool of
``os.cpu_count()`` workers (wall clock: the pool's processes are not this
one's); ``swarm_pool_speedup`` is its ratio to one core's wall-clock rate.
About half a minute on the shared machine.

    .venv/bin/python benchmarks/bench_swarm.py
"""

from __future__ import annotations

import json
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from desert_paxos.sim import Simulation
from desert_paxos.swarm import run_swarm
from desert_paxos.swarm._desert import draw_desert
from figures import spread

SEEDS = 3000
REPEAT = 5
TARGET = 4000


def _one_core() -> tuple[float, float, int]:
    """(seeds per CPU second, seeds per wall second, deliveries) of one sweep."""
    cpu, wall = time.process_time(), time.perf_counter()
    summary = run_swarm(SEEDS)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return SEEDS / cpu, SEEDS / wall, summary.deliveries


def _pooled(workers: int) -> float:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        run_swarm(workers * 20, executor=pool, chunk=20)  # start the workers before timing
        started = time.perf_counter()
        run_swarm(SEEDS, executor=pool, chunk=max(20, SEEDS // (workers * 8)))
        return SEEDS / (time.perf_counter() - started)


def overhead() -> dict[str, float]:
    """Mean CPU microseconds per seed of each phase: draw, build, start, run."""
    clock = time.process_time
    spent = {"draw": 0.0, "build": 0.0, "start": 0.0, "run": 0.0}
    for seed in range(SEEDS):
        t0 = clock()
        desert = draw_desert(seed)
        t1 = clock()
        sim = Simulation(desert.scenario)
        t2 = clock()
        sim.start()
        t3 = clock()
        sim.run()
        t4 = clock()
        spent["draw"] += t1 - t0
        spent["build"] += t2 - t1
        spent["start"] += t3 - t2
        spent["run"] += t4 - t3
    return {phase: seconds / SEEDS * 1e6 for phase, seconds in spent.items()}


def main() -> dict[str, Any]:
    sweeps = [_one_core() for _ in range(REPEAT)]
    rates = [cpu for cpu, _, _ in sweeps]
    wall_rate = statistics.median(wall for _, wall, _ in sweeps)
    deliveries = sweeps[0][2]
    phases = [overhead() for _ in range(3)]
    mean = {phase: statistics.median(p[phase] for p in phases) for phase in phases[0]}
    before = mean["draw"] + mean["build"] + mean["start"]
    workers = os.cpu_count() or 1
    pooled = statistics.median(_pooled(workers) for _ in range(3))
    return {
        "swarm_seeds_per_s_per_core": spread(rates),
        "swarm_target_seeds_per_s_per_core": TARGET,
        "swarm_seeds": SEEDS,
        "swarm_deliveries_per_seed": round(deliveries / SEEDS, 1),
        "swarm_deliveries_per_s": round(statistics.median(rates) * deliveries / SEEDS),
        "swarm_draw_us_per_seed": round(mean["draw"], 1),
        "swarm_build_us_per_seed": round(mean["build"], 1),
        "swarm_start_us_per_seed": round(mean["start"], 1),
        "swarm_run_us_per_seed": round(mean["run"], 1),
        "swarm_overhead_us_per_seed": round(before, 1),
        "swarm_overhead_share": round(before / (before + mean["run"]), 3),
        "swarm_pool_workers": workers,
        "swarm_pool_seeds_per_s": round(pooled),
        "swarm_pool_speedup": round(pooled / wall_rate, 2),
        # Issue 3's figure, kept: the median one-core rate.
        "swarm_seeds_per_s": round(statistics.median(rates)),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
