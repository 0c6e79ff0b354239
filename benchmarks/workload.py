"""The standard workload: many independent single-decree rounds on a faulty desert.

Theory of operation
-------------------
The protocol core decides one value per desert, so "many rounds" means many
independent deserts: round ``i`` is one run of :func:`round_scenario` with seed
``i``, each with its own ``random.Random(i)``, its own five caravans and its own
safety monitor. That is exactly what a sweep of thousands of seeds does, so the
per-run setup cost is part of what we measure.

Every round has the faults the issue asks for: exponential delays (mean 8
ticks), 5% of riders lost, a sandstorm that cuts Itri and Tassadit off from
t=5 to t=30, and Amastan collapsing at t=10 and recovering at t=60 (it then
learns the decision by inquiring after its patience runs out).

The SimPy models in :mod:`simpy_models` drive the same caravans with the same
draws from the same seeds; :class:`Tally` is what all of them must agree on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from desert_paxos.scenario import Scenario, scenario_from_data
from desert_paxos.sim import SimTraceWriter, Simulation

ROUNDS = 20_000

ROUND_SPEC: dict[str, Any] = {
    "name": "bench-round",
    "description": "One benchmark round: exponential delays, 5% loss, a sandstorm, a crash and recovery.",
    "seed": 0,
    "caravans": ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"],
    "network": {"delay": {"mean": 8}, "loss": 0.05},
    "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"}],
    "timeline": [
        {"at": 5, "sandstorm": [["Itri", "Tassadit"]]},
        {"at": 10, "crash": "Amastan"},
        {"at": 30, "calm": True},
        {"at": 60, "recover": "Amastan"},
    ],
    "until": 5000,
}


def round_scenario() -> Scenario:
    return scenario_from_data(ROUND_SPEC, "benchmarks/workload.py")


@dataclass(frozen=True, slots=True)
class Tally:
    """What a workload run produced; every model must produce the same for the same seeds."""

    rounds: int
    deliveries: int
    decided_rounds: int
    sent: int
    lost: int


def run_simulator(rounds: int, trace: IO[str] | None = None) -> Tally:
    """The real simulator, one :class:`Simulation` per round.

    With ``trace``, every round's trace (header, events, end) is written to it
    by a :class:`SimTraceWriter`, as ``desert-paxos run --trace`` writes a file.
    """
    scenario = round_scenario()
    deliveries = decided = sent = lost = 0
    observers: list[Callable[[dict[str, Any]], None]] = []
    if trace is not None:
        observers.append(SimTraceWriter(trace))
    for seed in range(rounds):
        result = Simulation(scenario, seed=seed, observers=observers).run()
        stats = result.stats
        deliveries += stats.delivered
        sent += stats.sent
        lost += stats.lost
        decided += result.decided_value is not None
    return Tally(rounds, deliveries, decided, sent, lost)
