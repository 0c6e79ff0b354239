"""explore --protocol multi-paxos: the journey's model checker over the real protocol code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desert_paxos.cli import main
from desert_paxos.explore._journey import (
    JourneyWorld,
    explore_journey,
    options_for,
    replay_journey,
)


def test_the_real_journey_holds_in_every_state_of_a_small_journey() -> None:
    # Two caravans, one election, two travellers: small enough to finish in a test. The
    # count is the one the search reports (pinned so a change to the model is noticed).
    result = explore_journey(options_for("paxos", caravans=2, elections=1), max_states=100_000)
    assert result.violation is None
    assert result.stopped is None
    assert result.states == 675


def test_skip_phase1_is_caught_with_the_shortest_counterexample() -> None:
    options = options_for("skip-phase1")
    result = explore_journey(options, max_states=100_000)
    assert result.violation is not None
    assert result.violation.invariant == "slot-choice"
    assert len(result.path) == 8
    # the path plays again to the same violation, through the real caravans
    world, events = replay_journey(options, result.path)
    assert world.violation is not None and world.violation.invariant == "slot-choice"
    assert any(e["kind"] == "violation" for e in events)


def test_every_state_is_its_own_copy() -> None:
    # a move on a copy leaves the original untouched (the search shares unchanged nodes)
    world = JourneyWorld.initial(options_for("paxos"))
    key = world.key()
    for action in world.moves():
        other = world.copy()
        other.play(action)
        assert other.key() != key
        assert world.key() == key


def test_the_counterexample_is_told_and_written_as_a_trace_replay_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "skip.jsonl"
    code = main(
        ["explore", "--protocol", "multi-paxos", "--variant", "skip-phase1", "--trace", str(trace)]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "The shortest counterexample takes 8 steps" in out
    assert "at most one command is chosen by a quorum" in out
    assert "│" in out  # both voices: the story and the technical column
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert lines[0]["kind"] == "header" and lines[0]["protocol"] == "multi-paxos"
    assert lines[-1]["kind"] == "end"
    # replay reads it (exit 1 says the invariant it tells was violated; 2 would be a bad trace)
    assert main(["replay", str(trace)]) == 1
    assert "SAFETY VIOLATED at t=8: slot-choice" in capsys.readouterr().out


def test_a_search_cut_short_says_so_and_never_that_safety_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["explore", "--protocol", "multi-paxos", "--max-states", "200", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    # the bound is looked at every few thousand moves (as the single-decree search does)
    assert "states: the bound --max-states 200." in out
    assert "not a proof" in out
    assert "Safety holds" not in out


def test_an_unknown_journey_variant_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["explore", "--protocol", "multi-paxos", "--variant", "nope"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--variant" in err and "stale-read" in err
