"""Same scenario and seed: byte-identical traces, across processes and hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desert_paxos.scenario import BUILTIN_NAMES


def _trace_in_subprocess(tmp_path: Path, scenario: str, hashseed: str) -> bytes:
    out = tmp_path / f"{scenario}-{hashseed}.jsonl"
    env = dict(os.environ, PYTHONHASHSEED=hashseed, NO_COLOR="1")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "desert_paxos",
            "run",
            scenario,
            "--log-level",
            "quiet",
            "--trace",
            str(out),
        ],
        check=False,
        env=env,
        capture_output=True,
    )
    return out.read_bytes()


@pytest.mark.parametrize("scenario", ["lossy-desert", "dueling-proposers", "sandstorm-no-majority"])
def test_two_processes_with_different_hash_seeds_write_identical_traces(
    tmp_path: Path, scenario: str
) -> None:
    first = _trace_in_subprocess(tmp_path, scenario, "1")
    second = _trace_in_subprocess(tmp_path, scenario, "4242")
    assert len(first) > 1000
    assert first == second


def test_every_builtin_is_identical_when_run_twice_in_process(tmp_path: Path) -> None:
    from desert_paxos.scenario import load_builtin
    from desert_paxos.sim import Simulation
    from desert_paxos.trace import dump_event

    for name in BUILTIN_NAMES:
        scenario = load_builtin(name)
        runs: list[list[str]] = []
        for _ in range(2):
            lines: list[str] = []
            Simulation(scenario, observers=[lambda e, out=lines: out.append(dump_event(e))]).run()
            runs.append(lines)
        assert runs[0] == runs[1], name
