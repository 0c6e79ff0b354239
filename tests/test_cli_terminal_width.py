"""run and replay fit a terminal's width (60..200 columns) and keep whole lines on a pipe."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from desert_paxos.narrate._layout import cell_width, terminal_columns


def told_on_a_terminal(args: list[str], columns: int, code: int = 0) -> list[str]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "desert_paxos", *args],
            stdout=slave,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=120,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end is closed: everything has been read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert done.returncode == code, done.stderr
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n").splitlines()


def test_terminal_columns_is_none_off_a_terminal() -> None:
    assert terminal_columns(io.StringIO()) is None


def test_run_fits_the_terminal_in_both_voices() -> None:
    lines = told_on_a_terminal(["run", "proposer-collapses", "--log-level", "debug"], 70)
    assert any("│" in line for line in lines)  # the protocol voice is there
    widest = max(cell_width(line) for line in lines if line.startswith(("t=", " ")))
    assert widest <= 70


def test_replay_fits_the_terminal_and_a_pipe_gets_whole_lines(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    subprocess.run(
        [sys.executable, "-m", "desert_paxos", "run", "calm-day", "--trace", str(trace)],
        check=True,
        capture_output=True,
    )
    lines = told_on_a_terminal(["replay", str(trace), "--log-level", "debug"], 64)
    assert max(cell_width(line) for line in lines if line.startswith(("t=", " "))) <= 64
    piped = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "replay", str(trace), "--log-level", "debug"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert max(cell_width(line) for line in piped) > 100  # story │ protocol on one line


def test_the_title_description_and_summary_fit_the_terminal_too() -> None:
    """Every line run prints on a 60-column terminal fits it, broken at spaces: the terminal
    itself would break the description and the summary's longer lines mid-word."""
    lines = told_on_a_terminal(["run", "lossy-desert"], 60)
    assert any(line.startswith("Invariants checked") for line in lines)
    assert [line for line in lines if cell_width(line) > 60] == []


def test_a_broken_invariant_and_the_events_that_led_there_fit_the_terminal(tmp_path: Path) -> None:
    early = tmp_path / "early.json"
    early.write_text(
        '{"variant": "early-learner", "caravans": ["Aghilas", "Taziri", "Amastan"], '
        '"proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"}]}',
        encoding="utf-8",
    )
    lines = told_on_a_terminal(["run", str(early)], 60, code=1)
    assert any(line.startswith("Invariant broken: knowledge") for line in lines)
    assert any(line.startswith("The events that led there") for line in lines)
    assert [
        line for line in lines if cell_width(line) > 60 and "desert-paxos run" not in line
    ] == []
