"""The event budget: a run that makes no progress ends, with reason "budget" and a hint."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.cli._run import DEFAULT_MAX_EVENTS
from desert_paxos.scenario import Delay, Network, Proposal, Scenario
from desert_paxos.sim import Simulation

from .test_cli_bad_input import cli

# Every rider is lost and the desert lasts a billion ticks: the proposer raises a new banner
# forever, and only the budget ends the run.
HOPELESS: dict[str, Any] = {
    "name": "hopeless",
    "caravans": ["Aghilas", "Taziri", "Amastan"],
    "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"}],
    "network": {"loss": 1.0},
    "until": 10**9,
}


def _hopeless() -> Scenario:
    return Scenario(
        name="hopeless",
        caravans=("Aghilas", "Taziri", "Amastan"),
        proposals=(Proposal(at=0, caravan="Aghilas", campsite="Oasis of Siwa"),),
        network=Network(delay=Delay(low=5, high=40), loss=1.0),
        until=10**9,
    )


def test_the_budget_ends_a_run_that_makes_no_progress() -> None:
    events: list[dict[str, Any]] = []
    result = Simulation(_hopeless(), observers=[events.append], max_events=300).run()
    assert result.end_reason == "budget"
    assert result.events == 300
    assert result.decided_value is None and result.violation is None
    assert events[-1]["kind"] == "end" and events[-1]["reason"] == "budget"
    assert events[-1]["t"] == result.end_time < 10**9


def test_stepping_stops_at_the_budget_too_with_the_same_trace() -> None:
    ran: list[dict[str, Any]] = []
    Simulation(_hopeless(), observers=[ran.append], max_events=120).run()
    stepped: list[dict[str, Any]] = []
    sim = Simulation(_hopeless(), observers=[stepped.append], max_events=120)
    steps = 0
    while sim.step():
        steps += 1
        assert steps < 10_000
    assert sim.end_reason == "budget"
    assert stepped == ran


def test_a_run_that_ends_by_itself_is_untouched_by_a_budget_it_stays_within() -> None:
    scenario = dataclasses.replace(_hopeless(), network=Network(delay=Delay(low=5, high=40)))
    free = Simulation(scenario).run()
    assert free.end_reason == "quiet"
    bounded = Simulation(scenario, max_events=free.events).run()
    assert bounded.end_reason == "quiet" and bounded.events == free.events
    cut = Simulation(scenario, max_events=free.events - 1).run()
    assert cut.end_reason == "budget"


def test_a_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_events must be 1 or more"):
        Simulation(_hopeless(), max_events=0)


def test_run_stops_at_max_events_says_why_and_how_to_raise_it(tmp_path: Path) -> None:
    scenario = tmp_path / "hopeless.json"
    scenario.write_text(json.dumps(HOPELESS), encoding="utf-8")
    trace = tmp_path / "hopeless.jsonl"
    done = cli("run", str(scenario), "--max-events", "2000", "--trace", str(trace))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(budget)" in done.stdout
    assert "Stopped at the event budget (--max-events 2,000) after 2,000 events" in done.stdout
    assert "--max-events 20000" in done.stdout
    end = json.loads(trace.read_text(encoding="utf-8").splitlines()[-1])
    assert end["kind"] == "end" and end["reason"] == "budget"


def test_an_expectation_cut_short_by_the_budget_is_not_met_and_reproduces_with_it(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "hopeless.json"
    scenario.write_text(json.dumps({**HOPELESS, "expect": {"decided": "any"}}), encoding="utf-8")
    done = cli("run", str(scenario), "--max-events", "500", "--log-level", "quiet")
    assert done.returncode == 1
    assert "Expectation not met" in done.stdout and "(budget)" in done.stdout
    assert "--max-events 500" in done.stdout.split("Reproduce it with:")[1]


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_bad_budget_is_exit_2(value: str) -> None:
    done = cli("run", "calm-day", "--max-events", value)
    assert done.returncode == 2
    assert "--max-events" in done.stderr and "Traceback" not in done.stderr


def test_run_has_a_finite_budget_by_default() -> None:
    from desert_paxos.cli import build_parser

    args = build_parser().parse_args(["run", "calm-day"])
    assert args.max_events == DEFAULT_MAX_EVENTS
    # Measured (benchmarks/bench_budget.py): the slowest way to watch a run, a trace and the
    # story at --log-level trace, does some 17,000 events per CPU second on the 2-core machine.
    assert DEFAULT_MAX_EVENTS <= 60 * 17_000
