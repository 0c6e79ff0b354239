"""How fast ``/goto`` answers in a long REPL session.

Theory of operation
-------------------
A desert that never settles (everyone cut off from everyone by a sandstorm,
with some loss and duplication, so proposers retry and learners inquire until
``until``) is run through a REPL session to the end: more than 100,000
simulator events, all recorded. Then ``/goto T`` is typed for ticks spread over
the whole run, in a shuffled order, backwards and forwards, each answer
including the map the REPL draws. ``goto_ms`` is the slowest answer, in
milliseconds; the issue asks for under 200 ms anywhere in such a run.
``goto_act_ms`` is one hand-made act (``/crash``) in the middle of that run,
which forks the future while reusing the recorded past.

    .venv/bin/python benchmarks/bench_goto.py
"""

from __future__ import annotations

import io
import random
import statistics
import time
from typing import Any

from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import scenario_from_data

NAMES = ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"]
UNTIL = 1_500_000
GOTOS = 60
TARGET_MS = 200.0


def endless_storm() -> Any:
    return scenario_from_data(
        {
            "name": "endless-storm",
            "description": "Everyone cut off from everyone: nobody ever decides.",
            "seed": 1,
            "until": UNTIL,
            "network": {"loss": 0.05, "duplicate": 0.05},
            "proposals": [{"at": 0, "caravan": n, "campsite": f"Camp {n}"} for n in NAMES],
            "timeline": [{"at": 1, "sandstorm": [[n] for n in NAMES]}],
        },
        "endless-storm",
    )


def main() -> dict[str, Any]:
    out = io.StringIO()
    session = Session("endless-storm", endless_storm(), Screen(out))
    session.execute("/log quiet")
    started = time.perf_counter()
    while not session.tm.ended:
        session.execute("/run")
    record_s = time.perf_counter() - started
    events = session.tm.sim.events_processed
    trace_events = session.tm.seq
    rng = random.Random(7)
    ticks = [rng.randrange(UNTIL) for _ in range(GOTOS)]
    samples: list[float] = []
    for tick in ticks:
        out.seek(0)
        out.truncate()
        started = time.perf_counter()
        session.execute(f"/goto {tick}")
        samples.append((time.perf_counter() - started) * 1000)
        assert session.rejected == 0 and session.clock == tick
    # Acting by hand in the middle of the run forks it: the past is reused, not replayed.
    session.execute(f"/goto {UNTIL // 2}")
    started = time.perf_counter()
    session.execute("/crash Itri")
    act_ms = (time.perf_counter() - started) * 1000
    assert session.rejected == 0 and session.tm.sim.caravans["Itri"] is None
    return {
        "goto_ms": round(max(samples), 2),
        "goto_act_ms": round(act_ms, 2),
        "goto_ms_median": round(statistics.median(samples), 2),
        "goto_target_ms": TARGET_MS,
        "goto_run_events": events,
        "goto_trace_events": trace_events,
        "goto_record_s": round(record_s, 2),
    }


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
