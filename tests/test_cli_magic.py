"""The seed's own knob: ``make magic max_log_level=debug scenario=NAME seed=N``.

``desert-paxos magic`` takes ``--log-level``, ``--scenario`` and ``--seed``; on a terminal it
opens the REPL with them (the level as if ``/log LEVEL`` had been typed), off one the told run
uses them; a bad value is named and exits 2. The Makefile passes the three variables on.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desert_paxos.cli import _magic, main

from .test_cli_bad_input import cli

ROOT = Path(__file__).parent.parent


def test_off_a_terminal_the_told_run_uses_the_knobs() -> None:
    done = cli("magic", "--log-level", "debug", "--scenario", "sandstorm-minority", "--seed", "3")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Desert Paxos — sandstorm-minority (seed 3)")
    assert "│ Amastan → all  PREPARE (1, Amastan)" in out  # the protocol voice: debug
    assert "desert-paxos repl" in out  # still says what to try next


def test_off_a_terminal_quiet_and_trace_levels_are_passed_on() -> None:
    quiet = cli("magic", "--log-level", "quiet").stdout
    assert quiet.startswith("── summary") and "Decision: Oasis of Siwa" in quiet
    trace = cli("magic", "--log-level", "TRACE").stdout
    assert "writes in its logbook" in trace  # persist events: told only at trace


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["--log-level", "loud"],
            "'loud' is not a log level: use one of quiet, info, debug, trace",
        ),
        (["--log-level", ""], "is not a log level"),
        (["--seed", "-1"], "must be 0 or more"),
        (["--seed", "seven"], "expected a whole number"),
        (["--scenario", "no-such-desert"], "no built-in scenario or file by this name"),
    ],
)
def test_a_bad_knob_is_named_and_exits_2(args: list[str], needle: str) -> None:
    done = cli("magic", *args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr
    assert "Desert Paxos —" not in done.stdout  # nothing ran


def test_on_a_terminal_the_repl_opens_with_the_scenario_seed_and_level(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_magic, "_stdin_is_terminal", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("/step 3\n/quit\n"))
    code = main(
        ["magic", "--log-level", "debug", "--scenario", "sandstorm-minority", "--seed", "3"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Desert Paxos — sandstorm-minority (seed 3)" in out
    assert "Telling events at level debug." in out
    assert "PREPARE (1, Amastan)" in out  # /step told the protocol voice beside the story


def test_on_a_terminal_info_is_the_default_and_says_nothing_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_magic, "_stdin_is_terminal", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("/step 3\n/quit\n"))
    assert main(["magic"]) == 0
    out = capsys.readouterr().out
    assert "Desert Paxos — calm-day (seed 1)" in out
    assert "Telling events at level" not in out and "PREPARE" not in out


def _make(*variables: str) -> subprocess.CompletedProcess[str]:
    # -o: take the installed venv as up to date (no pip run); stdin is not a terminal.
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "magic", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ, NO_COLOR="1"),
        check=False,
        timeout=120,
    )


@pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "desert-paxos").exists(),
    reason="needs make and the project's .venv",
)
def test_make_magic_passes_its_variables_on() -> None:
    done = _make("max_log_level=debug", "scenario=sandstorm-minority", "seed=3")
    assert done.returncode == 0, done.stderr
    assert "Desert Paxos — sandstorm-minority (seed 3)" in done.stdout
    assert "│ Amastan → all  PREPARE (1, Amastan)" in done.stdout
    bad = _make("max_log_level=loud")
    assert bad.returncode != 0
    assert "'loud' is not a log level" in bad.stderr
    assert "Desert Paxos —" not in bad.stdout
