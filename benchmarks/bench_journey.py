"""How fast the one simulator runs the long journey: committed requests per second.

Theory of operation
-------------------
A calm journey of three caravans and four travellers, each asking ``REQUESTS``
requests with a short think time (0 to 5 ticks), is run untraced for ``SEEDS``
seeds; ``journey_requests_per_s`` is the median, over ``REPEAT`` sweeps, of the
requests answered (each one decided in a night, executed on every caravan and
answered to its traveller) per second of this process's CPU time.
``journey_events_per_s`` counts every event the simulator processed (riders,
timers) in the same CPU time, to set beside the single-decree figures of
``make bench``. Every run ends quiet with its history linearizable (the end
check, Wing & Gong on the run's history, is inside the timed part).

    .venv/bin/python benchmarks/bench_journey.py
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from desert_paxos.scenario import load_builtin, scenario_from_data
from desert_paxos.sim import Simulation

SEEDS = 5
REQUESTS = 200
REPEAT = 3


def _scenario() -> Any:
    data = load_builtin("calm-journey").to_json()
    data["travellers"] = [
        {"name": name, "count": REQUESTS, "keys": ["water", "dates", "salt"], "think": [0, 5]}
        for name in ("Ines", "Tin", "Dihya", "Massin")
    ]
    data["until"] = 1_000_000
    return scenario_from_data(data, "bench-journey")


def _sweep(scenario: Any) -> tuple[float, int, int]:
    answered = events = 0
    started = time.process_time()
    for seed in range(SEEDS):
        sim = Simulation(scenario, seed=seed)
        result = sim.run()
        if result.violation is not None or result.end_reason != "quiet":
            raise RuntimeError(f"seed {seed}: {result.end_reason} {result.violation}")
        answered += sum(1 for kind, _, _ in sim.monitor.history if kind == "complete")  # type: ignore[attr-defined]
        events += result.events
    return time.process_time() - started, answered, events


def main() -> dict[str, Any]:
    scenario = _scenario()
    samples = [_sweep(scenario) for _ in range(REPEAT)]
    seconds = [s for s, _, _ in samples]
    _, answered, events = samples[0]
    median = statistics.median(seconds)
    figures = {
        "journey_requests_per_s": round(answered / median),
        "journey_events_per_s": round(events / median),
        "journey_requests": answered,
        "journey_seeds": SEEDS,
        "journey_seconds_min": round(min(seconds), 3),
        "journey_seconds_max": round(max(seconds), 3),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
