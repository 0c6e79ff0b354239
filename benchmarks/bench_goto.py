"""What the REPL's recording costs, and how fast ``/run`` and ``/goto`` answer in a long session.

Theory of operation
-------------------
A desert that never settles (everyone cut off from everyone by a sandstorm,
with some loss and duplication, so proposers retry and learners inquire until
``until``) is the workload.

* ``repl_record_us_per_step``: ``STEPS`` steps of the time machine (recording
  every trace line) against ``STEPS`` steps of the bare simulator (untraced,
  stepped the same way, ``Simulation.step``), CPU time, interleaved ``REPEAT``
  times; the figure is the difference per step (``{median, min, max}``), and
  the bare simulator's own cost per step and the cost of ``Simulation.run`` are
  beside it. Target: 4 µs.
* ``repl_record_bytes_per_event``: memory the recording holds (``tracemalloc``:
  every Python allocation still alive after ``STEPS`` recorded steps) over the
  trace events recorded. Target: 200 bytes.
* ``repl_run_1m_seconds``: a REPL session (``/log quiet``) typing ``/run`` until
  its record holds 1,000,000 trace events (each ``/run`` takes at most the
  REPL's ``MAX_RUN_STEPS``), wall clock and CPU. Target: 10 s.
* ``goto_ms``: ``/goto T`` for ``GOTOS`` ticks spread over that record, in a
  shuffled order, each answer including the map the REPL draws: the slowest and
  the median. Target: 200 ms anywhere.
* ``goto_past_end_ms``: ``/goto`` past the recorded end (``PAST`` ticks beyond
  it, ``JUMPS`` times: each runs forward live, recording), with the steps it took
  and its µs per step, to compare with the recording's.
* ``goto_act_ms``: one hand-made act (``/crash``) in the middle of the run,
  which forks the future while reusing the recorded past.

About a minute on the shared machine.

    .venv/bin/python benchmarks/bench_goto.py
"""

from __future__ import annotations

import gc
import io
import random
import statistics
import time
import tracemalloc
from typing import Any

from desert_paxos.repl import Screen, Session
from desert_paxos.repl._machine import TimeMachine
from desert_paxos.scenario import scenario_from_data
from desert_paxos.sim import Simulation
from figures import spread

NAMES = ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"]
UNTIL = 10_000_000
STEPS = 100_000
REPEAT = 5
EVENTS = 1_000_000
GOTOS = 60
PAST = 5_000
JUMPS = 5
TARGET_US = 4.0
TARGET_BYTES = 200
TARGET_RUN_S = 10.0
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


def _bare(scenario: Any) -> float:
    sim = Simulation(scenario)
    sim.start()
    step = sim.step
    started = time.process_time()
    for _ in range(STEPS):
        step()
    return time.process_time() - started


def _recorded(scenario: Any) -> tuple[float, int]:
    tm = TimeMachine(scenario)
    step = tm.step
    started = time.process_time()
    for _ in range(STEPS):
        step()
    return time.process_time() - started, tm.seq


def _run_whole(scenario: Any) -> float:
    """Simulation.run of the same desert for ``STEPS`` events (a step is one event)."""
    sim = Simulation(scenario, max_events=STEPS)
    started = time.process_time()
    sim.run()
    return time.process_time() - started


def recording(scenario: Any) -> dict[str, Any]:
    bare, recorded, over, runs = [], [], [], []
    events = 0
    for _ in range(REPEAT):
        gc.collect()
        b = _bare(scenario)
        r, events = _recorded(scenario)
        runs.append(_run_whole(scenario) / STEPS * 1e6)
        bare.append(b / STEPS * 1e6)
        recorded.append(r / STEPS * 1e6)
        over.append((r - b) / STEPS * 1e6)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tm = TimeMachine(scenario)
    for _ in range(STEPS):
        tm.step()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return {
        "repl_record_us_per_step": spread(over, 2),
        "repl_record_target_us_per_step": TARGET_US,
        "repl_bare_step_us": spread(bare, 2),
        "repl_bare_run_us_per_step": spread(runs, 2),
        "repl_recorded_step_us": spread(recorded, 2),
        "repl_record_steps": STEPS,
        "repl_record_events": events,
        "repl_record_bytes_per_event": round(held / tm.seq, 1),
        "repl_record_target_bytes_per_event": TARGET_BYTES,
    }


def main() -> dict[str, Any]:
    scenario = endless_storm()
    figures = recording(scenario)
    out = io.StringIO()
    session = Session("endless-storm", scenario, Screen(out))
    session.execute("/log quiet")
    started, cpu = time.perf_counter(), time.process_time()
    runs = 0
    while session.tm.seq < EVENTS and not session.tm.ended:
        session.execute("/run")
        runs += 1
    run_s, run_cpu = time.perf_counter() - started, time.process_time() - cpu
    tm = session.tm
    end_t = tm.now
    figures |= {
        "repl_run_1m_seconds": round(run_s, 2),
        "repl_run_1m_cpu_seconds": round(run_cpu, 2),
        "repl_run_1m_events": tm.seq,
        "repl_run_1m_steps": tm.frontier,
        "repl_run_1m_commands": runs,
        "repl_run_target_seconds": TARGET_RUN_S,
    }
    # /goto anywhere in the record, backwards and forwards, each with its map.
    rng = random.Random(7)
    samples: list[float] = []
    for tick in [rng.randrange(end_t) for _ in range(GOTOS)]:
        out.seek(0)
        out.truncate()
        started = time.perf_counter()
        session.execute(f"/goto {tick}")
        samples.append((time.perf_counter() - started) * 1000)
        assert session.rejected == 0 and session.clock == tick
    # /goto past the recorded end: the run goes on live, recording.
    past: list[float] = []
    live_steps = 0
    live_s = 0.0
    for _ in range(JUMPS):
        frontier = tm.frontier
        session.execute(f"/goto {tm.t_after[frontier]}")
        target = tm.t_after[frontier] + PAST
        started = time.perf_counter()
        session.execute(f"/goto {target}")
        elapsed = time.perf_counter() - started
        past.append(elapsed * 1000)
        assert session.rejected == 0 and session.clock == target
        live_steps += tm.frontier - frontier
        live_s += elapsed
    recorded_events, recorded_steps = len(tm.lines), tm.frontier
    # Acting by hand in the middle of the run forks it: the past is reused, not replayed.
    session.execute(f"/goto {end_t // 2}")
    started = time.perf_counter()
    session.execute("/crash Itri")
    act_ms = (time.perf_counter() - started) * 1000
    assert session.rejected == 0 and session.tm.sim.caravans["Itri"] is None
    figures |= {
        "goto_ms": round(max(samples), 2),
        "goto_ms_median": round(statistics.median(samples), 2),
        "goto_past_end_ms": spread(past, 2),
        "goto_past_end_ticks": PAST,
        "goto_past_end_steps": live_steps // JUMPS,
        "goto_past_end_us_per_step": round(live_s / max(1, live_steps) * 1e6, 2),
        "goto_act_ms": round(act_ms, 2),
        "goto_target_ms": TARGET_MS,
        "goto_recorded_steps": recorded_steps,
        "goto_recorded_events": recorded_events,
    }
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
