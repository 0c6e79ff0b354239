"""Shrinking a failing journey: fewer travellers, requests and faults, the same failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desert_paxos.cli import main
from desert_paxos.scenario import parse_scenario_text
from desert_paxos.sim import Simulation
from desert_paxos.swarm import check_desert, draw_desert, shrink

# Failing journeys of broken variants (found by the swarm, pinned here).
FAILING = [("twice-executed", 2, "once"), ("skip-phase1", 4, "slot-choice")]


def _requests(scenario: object) -> list[int]:
    journey = scenario.journey  # type: ignore[attr-defined]
    return [len(t.requests) or t.count for t in journey.travellers]


@pytest.mark.parametrize(("variant", "seed", "invariant"), FAILING)
def test_a_shrunk_journey_is_smaller_and_fails_the_same_way(
    variant: str, seed: int, invariant: str
) -> None:
    desert = draw_desert(seed, variant, "multi-paxos")
    before = check_desert(desert)
    assert (before.kind, before.invariant) == ("safety", invariant)
    shrunk = shrink(desert)
    assert (shrunk.verdict.kind, shrunk.verdict.invariant) == ("safety", invariant)
    assert shrunk.events_after < shrunk.events_before
    assert sum(_requests(shrunk.scenario)) < sum(_requests(desert.scenario))
    assert shrunk.scenario.until < desert.scenario.until
    # a plain journey scenario: written and loaded back, it breaks the same invariant
    text = json.dumps(shrunk.scenario.to_json())
    loaded = parse_scenario_text(text, "shrunk.json", "json")
    assert loaded.protocol == "multi-paxos"  # (a zero weight in a mix is left out when read)
    assert loaded.journey is not None and shrunk.scenario.journey is not None
    assert [t.name for t in loaded.journey.travellers] == [
        t.name for t in shrunk.scenario.journey.travellers
    ]
    result = Simulation(loaded).run()
    assert result.violation is not None and result.violation.invariant == invariant


def test_a_retried_request_executed_twice_shrinks_to_one_traveller_asking_once() -> None:
    shrunk = shrink(draw_desert(2, "twice-executed", "multi-paxos"))
    assert _requests(shrunk.scenario) == [1]
    assert shrunk.scenario.timeline == ()
    assert (shrunk.events_before, shrunk.events_after) == (7, 1)


def test_swarm_shrinks_a_failing_journey_to_a_file_run_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "swarm",
            "--protocol",
            "multi-paxos",
            "--variant",
            "twice-executed",
            "--seeds",
            "3",
            "--workers",
            "1",
            "--shrink",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "Shrunk seed 1" in out
    written = tmp_path / "swarm-1-shrunk.json"
    assert written.exists()
    assert main(["run", str(written)]) == 1
    assert "once" in capsys.readouterr().out
