"""How long ``run``'s default event budget takes to end a run that makes no progress.

Theory of operation
-------------------
A desert where every rider is lost and ``until`` is a billion ticks never ends
by itself: the proposer raises a new banner forever, and only the budget
(``run --max-events``, default ``DEFAULT_MAX_EVENTS``) stops it. This measures
how many events per CPU second the simulator handles in such a desert, for 3
caravans with one proposer and 100 caravans with ten, watched three ways:
untraced (``--log-level quiet``), traced to a file (``--trace``), and traced
with the story printed at ``--log-level trace`` (the slowest way ``run`` is
watched; the story goes to /dev/null here, a terminal only adds to it). CPU
time, not wall time, so a busy shared machine does not skew the figure; the
seconds the default budget takes are the events it allows over that rate. The
README's "Bounded by default" section quotes these figures.

    .venv/bin/python benchmarks/bench_budget.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from typing import Any

from desert_paxos.cli._run import DEFAULT_MAX_EVENTS
from desert_paxos.narrate import Narrator
from desert_paxos.scenario import Delay, Network, Proposal, Scenario
from desert_paxos.sim import SimTraceWriter, Simulation

EVENTS = 100_000  # measured per case; the default budget is extrapolated from the rate
MINUTE_TARGET = 60.0  # a run that makes no progress ends within a minute, however watched


def _hopeless(caravans: int, proposers: int) -> Scenario:
    names = tuple(f"C{i}" for i in range(caravans))
    return Scenario(
        name=f"hopeless-{caravans}",
        caravans=names,
        proposals=tuple(
            Proposal(at=0, caravan=names[i], campsite=f"X{i}") for i in range(proposers)
        ),
        network=Network(delay=Delay(low=5, high=40), loss=1.0),
        until=10**9,
    )


def _rate(scenario: Scenario, watch: str) -> float:
    """Events per CPU second of ``EVENTS`` events watched as ``watch``."""
    with (
        tempfile.TemporaryDirectory() as folder,
        open(os.devnull, "w", encoding="utf-8") as story,
        open(os.path.join(folder, "t.jsonl"), "w", encoding="utf-8") as trace,
    ):
        observers: list[Any] = []
        if watch != "untraced":
            observers.append(SimTraceWriter(trace))
        if watch == "traced and told":
            observers.append(Narrator("trace", story))
        sim = Simulation(scenario, observers=observers, max_events=EVENTS)
        started = time.process_time()
        result = sim.run()
        seconds = time.process_time() - started
    assert result.end_reason == "budget", result.end_reason
    return result.events / seconds


def main() -> dict[str, Any]:
    figures: dict[str, Any] = {"budget_default_events": DEFAULT_MAX_EVENTS}
    slowest = 0.0
    for caravans, proposers in ((3, 1), (100, 10)):
        scenario = _hopeless(caravans, proposers)
        for watch in ("untraced", "traced", "traced and told"):
            rate = _rate(scenario, watch)
            seconds = DEFAULT_MAX_EVENTS / rate
            slowest = max(slowest, seconds)
            key = f"budget_{caravans}_caravans_{watch.replace(' ', '_')}"
            figures[f"{key}_events_per_cpu_s"] = round(rate)
            figures[f"{key}_seconds_at_default"] = round(seconds, 1)
    figures["budget_slowest_seconds_at_default"] = round(slowest, 1)
    figures["budget_target_met"] = slowest <= MINUTE_TARGET
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
