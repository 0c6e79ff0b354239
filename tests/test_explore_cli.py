"""``desert-paxos explore``: verdicts, exit codes, the narrated counterexample and its trace."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "desert_paxos", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _number(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    assert match is not None, text
    return int(match.group(1).replace(",", ""))


def test_the_real_protocol_is_proved_safe_with_the_figures() -> None:
    done = cli("explore", "--proposers", "1", "--max-round", "2")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Safety holds in all 56,449 states." in out
    assert _number(out, r"([\d,]+) unique states") == 56449
    assert _number(out, r"([\d,]+) transitions") > 56449
    assert _number(out, r"depth (\d+)") > 0
    assert "states/s" in out
    assert "agreement, validity, single-choice, promise-monotonic, knowledge" in out


def test_a_broken_variant_is_narrated_step_by_step_and_exits_1(tmp_path: Path) -> None:
    trace = tmp_path / "stubborn.jsonl"
    done = cli("explore", "--variant", "stubborn-proposer", "--trace", str(trace))
    assert done.returncode == 1, done.stderr
    out = done.stdout
    # A broken variant's default story is two caravans deciding different campsites.
    assert "The shortest counterexample takes 10 steps" in out
    # Both voices, side by side: the story and the protocol.
    assert "Aghilas wishes to camp at Oasis of Siwa and raises its banner." in out
    assert "│ Aghilas propose 'Oasis of Siwa'" in out
    assert "sends riders to every caravan" in out
    assert "PREPARE (1, Taziri)" in out
    lines = [line for line in out.splitlines() if line.strip()]
    ending = "\n".join(lines[-4:])
    assert "The invariant that broke at step 10: agreement" in ending
    assert trace.exists()
    replay = cli("replay", str(trace))
    assert replay.returncode == 1  # replay tells a trace that ends in a violation
    assert "SAFETY VIOLATED at t=10: agreement" in replay.stdout


def test_quiet_gives_the_verdict_without_the_story() -> None:
    done = cli("explore", "--variant", "early-learner", "--quiet")
    assert done.returncode == 1
    assert "takes 6 steps" in done.stdout
    assert "raises its banner" not in done.stdout
    assert "The invariant that broke at step 6: agreement" in done.stdout


def test_invariant_knowledge_checks_only_knowledge() -> None:
    done = cli("explore", "--variant", "early-learner", "--invariant", "knowledge", "--quiet")
    assert done.returncode == 1, done.stderr
    assert "Checking knowledge after every move" in done.stdout
    assert "The invariant that broke at step 3: knowledge" in done.stdout
    later = cli("explore", "--variant", "early-learner", "--invariant", "agreement", "--quiet")
    assert "The invariant that broke at step 6: agreement" in later.stdout


def test_depth_first_says_its_counterexample_need_not_be_the_shortest() -> None:
    done = cli("explore", "--variant", "early-learner", "--strategy", "dfs", "--quiet")
    assert done.returncode == 1
    assert "not necessarily the shortest" in done.stdout


def test_symmetry_reports_what_it_saves() -> None:
    done = cli("explore", "--caravans", "4", "--proposers", "1", "--symmetry")
    assert done.returncode == 0, done.stderr
    assert "Safety holds in all 356 states." in done.stdout
    assert "these stand for 1,734 states without it" in done.stdout


def test_max_states_is_honest_about_an_unfinished_search() -> None:
    done = cli("explore", "--max-states", "2000")
    assert done.returncode == 0
    assert "not a proof" in done.stdout
    assert "Safety holds in all" not in done.stdout


def test_no_counterexample_writes_no_trace(tmp_path: Path) -> None:
    trace = tmp_path / "none.jsonl"
    done = cli("explore", "--proposers", "1", "--trace", str(trace))
    assert done.returncode == 0
    assert not trace.exists()
    assert "no trace was written" in done.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--caravans", "7"], "--caravans must be 1 to 5"),
        (["--caravans", "0"], "must be 1 or more"),
        (["--variant", "sloppy"], "--variant 'sloppy' is unknown"),
        (["--q1", "1", "--q2", "1"], "need not meet"),
        (["--proposers", "4"], "--proposers must be 1 to 3"),
        (["--strategy", "random"], "invalid choice"),
        (["--invariant", "liveness"], "--invariant 'liveness' is unknown"),
        (["--max-round", "x"], "expected a whole number"),
        (["--trace", "/no/such/dir/t.jsonl"], "--trace"),
    ],
)
def test_bad_options_exit_2_with_one_clear_message(args: list[str], needle: str) -> None:
    done = cli("explore", *args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_several_bad_options_are_listed_together() -> None:
    done = cli("explore", "--proposers", "4", "--variant", "sloppy")
    assert done.returncode == 2
    assert "--proposers" in done.stderr and "--variant" in done.stderr


def test_self_delay_is_named_among_the_faults_and_the_logbook_keeps_ballots_unique() -> None:
    done = cli("explore", "--proposers", "1", "--crashes", "1", "--self-delay")
    assert done.returncode == 0, done.stderr
    assert "faults: up to 1 crash, a caravan's word to itself travels like any rider" in done.stdout
    assert "Safety holds in all 8,537 states." in done.stdout
