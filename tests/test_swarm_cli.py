"""``desert-paxos swarm``: exit codes, reproduce commands, shrinking to a file `run` replays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "desert_paxos", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )


def test_the_real_protocol_passes_a_sweep() -> None:
    done = cli("swarm", "--seeds", "300", "--executor", "inline")
    assert done.returncode == 0, done.stderr
    assert "300 held, 0 failed (0 safety, 0 liveness)" in done.stdout
    assert "seeds/s" in done.stdout


def test_a_process_pool_gives_the_same_summary() -> None:
    inline = cli("swarm", "--seeds", "200", "--variant", "early-learner", "--executor", "inline")
    pooled = cli(
        "swarm", "--seeds", "200", "--variant", "early-learner", "--workers", "2", "--chunk", "13"
    )
    assert inline.returncode == pooled.returncode == 1
    summary = [line for line in inline.stdout.splitlines() if not line.startswith("Ran in")]
    assert summary == [line for line in pooled.stdout.splitlines() if not line.startswith("Ran in")]


def test_a_broken_variant_fails_is_reproduced_and_shrunk(tmp_path: Path) -> None:
    done = cli(
        "swarm",
        "--seeds",
        "200",
        "--variant",
        "early-learner",
        "--executor",
        "inline",
        "--shrink",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 1
    out = done.stdout
    assert "seed 0: safety — knowledge" in out
    assert "reproduce: desert-paxos swarm --show 0 --variant early-learner" in out
    shrunk = tmp_path / "swarm-0-shrunk.json"
    assert shrunk.exists()
    assert f"desert-paxos run {shrunk}" in out
    doc = json.loads(shrunk.read_text(encoding="utf-8"))
    assert doc["variant"] == "early-learner"
    replay = cli("run", str(shrunk), "--log-level", "quiet")
    assert replay.returncode == 1
    assert "knowledge" in replay.stdout
    reproduce = cli("swarm", "--show", "0", "--variant", "early-learner", "--log-level", "quiet")
    assert reproduce.returncode == 1
    assert "Seed 0 fails (safety): knowledge" in reproduce.stdout


def test_an_early_decision_saved_from_the_swarm_fails_run_naming_knowledge(
    tmp_path: Path,
) -> None:
    # The issue's own steps: the desert of seed 0 once passed `run` although Taziri decided
    # Wells of Timbuktu on one vote.
    saved = tmp_path / "e.json"
    shown = cli("swarm", "--variant", "early-learner", "--show", "0", "--save", str(saved))
    assert shown.returncode == 1, shown.stderr
    done = cli("run", str(saved), "--log-level", "quiet")
    assert done.returncode == 1, done.stderr
    assert "SAFETY VIOLATED" in done.stdout and "knowledge" in done.stdout
    assert "Taziri decided 'Wells of Timbuktu' before a quorum voted for it" in done.stdout


def test_show_tells_one_desert_and_save_writes_it(tmp_path: Path) -> None:
    saved = tmp_path / "seed-7.json"
    done = cli("swarm", "--show", "7", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    assert "raises its banner" in done.stdout
    assert "Seed 7 holds" in done.stdout
    again = cli("run", str(saved), "--log-level", "quiet")
    assert again.returncode == 0
    assert "Expectation met" in again.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--variant", "careless"], "--variant 'careless' is unknown"),
        (["--seeds", "0"], "must be 1 or more"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --executor dask"),
        (["--save", "x.json"], "--save needs --show SEED"),
        (["--shrink", "--out", "/no/such/dir"], "--out /no/such/dir: no such directory"),
        (["--executor", "spark"], "invalid choice"),
    ],
)
def test_bad_options_exit_2_with_one_clear_message(args: list[str], needle: str) -> None:
    done = cli("swarm", *args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr
