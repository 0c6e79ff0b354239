"""The journey's broken variants teach: each is caught with its defaults, the invariant it
breaks named, the shortest counterexample told and saved, and the real protocol holds on
the same settings (every interleaving at least as long as that counterexample)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desert_paxos.cli import main
from desert_paxos.explore._journey import (
    VARIANT_NEEDS,
    explore_journey,
    options_for,
    replay_journey,
)

# variant -> (invariant broken, shortest length, states searched to find it,
#             states of the real protocol on the same settings to that depth)
CAUGHT = {
    "skip-phase1": ("slot-choice", 8, 3_644, 11_488),
    "twice-executed": ("once", 13, 58_776, 102_581),
    "stale-read": ("linearizable", 14, 316_786, 1_113_786),
}


@pytest.mark.parametrize("variant", sorted(CAUGHT))
def test_each_variant_is_caught_and_the_real_protocol_holds_as_deep(variant: str) -> None:
    invariant, length, states, real_states = CAUGHT[variant]
    options = options_for(variant)
    result = explore_journey(options, max_states=2_000_000)
    assert result.violation is not None
    assert result.violation.invariant == invariant
    assert len(result.path) == length
    assert result.states == states
    # the path plays again to the same violation, through the real caravans
    world, _events = replay_journey(options, result.path)
    assert world.violation is not None and world.violation.invariant == invariant
    # the real protocol, same caravans, travellers and budgets: no counterexample that short
    real = explore_journey(
        options_for("paxos", **VARIANT_NEEDS[variant]), max_states=5_000_000, max_depth=length
    )
    assert real.violation is None
    assert real.stopped == "max-depth"
    assert real.states == real_states


def test_the_real_journey_holds_in_every_state_of_its_defaults() -> None:
    # three caravans, one election, Ines puts and Omar gets: the whole space
    result = explore_journey(options_for("paxos"), max_states=2_000_000)
    assert result.violation is None
    assert result.stopped is None
    assert result.states == 578_529
    assert result.depth == 24


def test_a_stale_read_is_told_and_saved_as_a_trace_replay_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "stale.jsonl"
    code = main(
        ["explore", "--protocol", "multi-paxos", "--variant", "stale-read", "--trace", str(trace)]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "The stale-read variant needs 2 elections" in out
    assert "Safety broken: linearizable" in out
    assert "The shortest counterexample takes 14 steps" in out
    assert "Ines's read of 'water' cannot be placed" in out
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert lines[0]["kind"] == "header" and lines[0]["variant"] == "stale-read"
    assert main(["replay", str(trace)]) == 1
    assert "SAFETY VIOLATED at t=14: linearizable" in capsys.readouterr().out


def test_a_request_executed_twice_is_told_with_the_once_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["explore", "--protocol", "multi-paxos", "--variant", "twice-executed", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "needs 1 traveller's patience running out" in out
    assert "Safety broken: once" in out
    assert "The shortest counterexample takes 13 steps" in out
    assert "executed in night 1 and again in night 2" in out


def test_a_depth_bound_says_what_it_proves(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["explore", "--protocol", "multi-paxos", "--max-round", "2", "--max-depth", "8", "--quiet"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "No counterexample of at most 8 moves" in out
    assert "11,488 states" in out
    assert "Safety holds" not in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--symmetry"],
        ["--por"],
        ["--workers", "2"],
        ["--max-depth", "0"],
        ["--patience", "-1"],
        ["--caravans", "9"],
    ],
)
def test_bad_journey_options_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        code = main(["explore", "--protocol", "multi-paxos", *argv])
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 or err.splitlines()[-1].startswith("desert-paxos")


def test_journey_flags_are_refused_on_one_campsite(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(["explore", "--patience", "1"]))
    assert exit_info.value.code == 2
    assert "--patience works with --protocol multi-paxos only" in capsys.readouterr().err
