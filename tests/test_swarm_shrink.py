"""Shrinking: a failing desert becomes a small scenario that fails the same way, and no smaller."""

from __future__ import annotations

import dataclasses
import json

import pytest

from desert_paxos.scenario import parse_scenario_text
from desert_paxos.sim import Simulation
from desert_paxos.swarm import Desert, check_desert, draw_desert, shrink

# The first failing seeds of each broken variant (found by the swarm, pinned here).
FAILING = [("early-learner", 0), ("stubborn-proposer", 0), ("small-quorums", 20)]


def _same_failure(desert: Desert, before: tuple[str | None, str | None]) -> bool:
    verdict = check_desert(desert)
    return (verdict.kind, verdict.invariant) == before


@pytest.mark.parametrize(("variant", "seed"), FAILING)
def test_a_shrunk_desert_is_smaller_and_fails_the_same_way(variant: str, seed: int) -> None:
    desert = draw_desert(seed, variant)
    before = check_desert(desert)
    assert before.kind == "safety"
    shrunk = shrink(desert)
    assert shrunk.verdict.kind == "safety"
    assert shrunk.verdict.invariant == before.invariant
    assert shrunk.events_after < shrunk.events_before
    assert shrunk.scenario.until < desert.scenario.until
    # It is a plain scenario: written and loaded back, it still breaks the same invariant.
    text = json.dumps(shrunk.scenario.to_json())
    loaded = parse_scenario_text(text, "shrunk.json", "json")
    assert loaded == shrunk.scenario
    result = Simulation(loaded).run()
    assert result.violation is not None and result.violation.invariant == before.invariant


@pytest.mark.parametrize(("variant", "seed"), FAILING)
def test_removing_any_one_remaining_event_no_longer_fails_the_same_way(
    variant: str, seed: int
) -> None:
    desert = draw_desert(seed, variant)
    shrunk = shrink(desert)
    want = (shrunk.verdict.kind, shrunk.verdict.invariant)
    s = shrunk.scenario
    for i in range(len(s.timeline)):
        fewer = dataclasses.replace(s, timeline=s.timeline[:i] + s.timeline[i + 1 :])
        assert not _same_failure(dataclasses.replace(desert, scenario=fewer), want)
    if len(s.proposals) > 1:
        for i in range(len(s.proposals)):
            fewer = dataclasses.replace(s, proposals=s.proposals[:i] + s.proposals[i + 1 :])
            assert not _same_failure(dataclasses.replace(desert, scenario=fewer), want)
    if s.network.loss > 0:
        calmer = dataclasses.replace(s, network=dataclasses.replace(s.network, loss=0.0))
        assert not _same_failure(dataclasses.replace(desert, scenario=calmer), want)


def test_a_liveness_failure_keeps_its_calm_phase() -> None:
    desert = draw_desert(5)
    s = desert.scenario
    # Nobody ever proposes, so nobody ever decides: a liveness failure whatever the storms do.
    broken = Desert(seed=5, scenario=dataclasses.replace(s, proposals=()), calm_at=desert.calm_at)
    assert check_desert(broken).kind == "liveness"
    shrunk = shrink(broken)
    assert shrunk.verdict.kind == "liveness"
    kept = [(e.at, e.kind) for e in shrunk.scenario.timeline]
    assert (desert.calm_at, "calm") in kept and (desert.calm_at, "network") in kept
    assert shrunk.scenario.until == s.until
    assert shrunk.scenario.expect.decided == "any"
    assert all(e.at >= desert.calm_at for e in shrunk.scenario.timeline)


def test_a_desert_that_holds_cannot_be_shrunk() -> None:
    with pytest.raises(ValueError, match="holds"):
        shrink(draw_desert(0))


def test_the_run_budget_is_respected() -> None:
    shrunk = shrink(draw_desert(0, "early-learner"), budget=3)
    assert shrunk.runs <= 3
    assert shrunk.verdict.kind == "safety"
