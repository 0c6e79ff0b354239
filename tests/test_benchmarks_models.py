"""The benchmark's workload and its SimPy models measure what they claim to.

The workload runs the real simulator; tracing must not change a single run.
The lean SimPy model must reproduce the simulator's runs exactly (same draws,
same event order), across every golden scenario; the idiomatic one must decide
every round of the workload with statistically the same traffic. The SimPy
tests need the ``bench`` extra (``make bench`` installs it) and skip without it.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from desert_paxos.scenario import load_scenario_file
from desert_paxos.sim import Simulation

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from workload import Tally, round_scenario, run_simulator

GOLDEN_SCENARIOS = sorted((Path(__file__).parent / "golden" / "scenarios").glob("*.json"))


def reference_tally(rounds: int) -> Tally:
    """The workload computed the plain way: one Simulation per seed, summed."""
    scenario = round_scenario()
    results = [Simulation(scenario, seed=seed).run() for seed in range(rounds)]
    return Tally(
        rounds,
        sum(r.stats.delivered for r in results),
        sum(r.decided_value is not None for r in results),
        sum(r.stats.sent for r in results),
        sum(r.stats.lost for r in results),
    )


def test_workload_rounds_have_the_faults_the_issue_asks_for() -> None:
    scenario = round_scenario()
    assert len(scenario.caravans) == 5
    assert scenario.network.delay.kind == "exponential"
    assert scenario.network.loss == 0.05
    kinds = sorted(event.kind for event in scenario.timeline)
    assert kinds == ["calm", "crash", "recover", "sandstorm"]


def test_workload_tally_is_the_sum_of_its_rounds() -> None:
    tally = run_simulator(40)
    assert tally == reference_tally(40)
    assert tally.decided_rounds == 40
    assert tally.lost > 0  # the faults really bite


def test_tracing_the_workload_changes_no_run() -> None:
    out = io.StringIO()
    traced = run_simulator(15, out)
    assert traced == run_simulator(15)
    lines = out.getvalue().splitlines()
    ends = [json.loads(line) for line in lines if '"kind": "end"' in line]
    assert len(ends) == 15
    assert sum(end["delivered"] for end in ends) == traced.deliveries


@pytest.mark.parametrize("path", GOLDEN_SCENARIOS, ids=[p.stem for p in GOLDEN_SCENARIOS])
def test_lean_simpy_reproduces_every_run_exactly(path: Path) -> None:
    pytest.importorskip("simpy")
    from simpy_models import LeanSimPyDesert

    scenario = load_scenario_file(path)
    for seed in range(12):
        ours = Simulation(scenario, seed=seed).run()
        lean = LeanSimPyDesert(scenario, seed)
        decided = lean.run()
        assert (lean.delivered, lean.sent, lean.lost, decided) == (
            ours.stats.delivered,
            ours.stats.sent,
            ours.stats.lost,
            ours.decided_value is not None,
        ), f"{path.stem} seed {seed}"


def test_both_simpy_models_match_the_workload_tally() -> None:
    pytest.importorskip("simpy")
    from simpy_models import run_idiomatic, run_lean

    ours = run_simulator(60)
    assert run_lean(round_scenario(), 60) == ours
    idiomatic = run_idiomatic(round_scenario(), 60)
    assert idiomatic.decided_rounds == ours.decided_rounds == 60
    assert abs(idiomatic.deliveries - ours.deliveries) <= ours.deliveries // 50
