"""``desert up`` end to end: five real processes decide, are steered while they run, and all stop."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.scenario import load_builtin
from desert_paxos.trace import read_trace

from .test_cli_bad_input import cli

RUN_TIMEOUT = 150  # seconds: a test's own bound on one `desert up` (its --max-seconds is lower)


def desert_processes(folder: Path) -> list[int]:
    """Live processes whose command line names ``folder`` (the coordinator and its caravans)."""
    mark = str(folder).encode()
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if mark in command:
            found.append(int(entry))
    return found


def stop_leftovers(folder: Path) -> list[int]:
    """Kill whatever a desert in ``folder`` left running; returns what was found."""
    left = desert_processes(folder)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture
def desert_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder for one desert; afterwards, even when the test failed, nothing of it may run."""
    folder = tmp_path / "desert"
    try:
        yield folder
    finally:
        left = stop_leftovers(folder)
    assert left == [], f"processes of the desert outlived it: {left}"


def up(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, NO_COLOR="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "desert_paxos", "desert", "up", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def test_five_real_caravans_decide_the_calm_day(desert_dir: Path) -> None:
    # --spawn exec: each caravan a new interpreter running `desert-paxos caravan` (the other
    # tests here fork them from the coordinator, the default)
    done = up("--dir", str(desert_dir), "--max-seconds", "100", "--spawn", "exec")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Decision: Oasis of Siwa" in done.stdout and "5 of 5 caravans know it" in done.stdout
    assert "(quiet)" in done.stdout and "Expectation met" in done.stdout
    header, events = read_trace(desert_dir / "run.jsonl")  # the reader's own validation
    assert header["scenario"] == "calm-day" and header["caravans"] == list(
        load_builtin("calm-day").caravans
    )
    kinds = {e["kind"] for e in events}
    assert {"propose", "send", "deliver", "persist", "chosen", "decide", "end"} <= kinds
    deciders = {e["node"] for e in events if e["kind"] == "decide"}
    assert deciders == set(header["caravans"])
    # every caravan was a separate process writing its own part and logbook
    for name in header["caravans"]:
        assert (desert_dir / f"{name}.jsonl").stat().st_size > 0
        assert (desert_dir / f"{name}.logbook").exists()
    assert cli("replay", str(desert_dir / "run.jsonl")).returncode == 0
    html = desert_dir.parent / "run.html"
    exported = cli("export", str(desert_dir / "run.jsonl"), "--html", str(html))
    assert exported.returncode == 0 and html.stat().st_size > 0


def test_a_folder_that_holds_anything_is_refused(tmp_path: Path) -> None:
    (tmp_path / "old.logbook").write_text("x", encoding="utf-8")
    done = up("--dir", str(tmp_path))
    assert done.returncode == 2 and "not empty" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "old.logbook").read_text(encoding="utf-8") == "x"


def test_commands_without_a_running_desert_say_so(tmp_path: Path) -> None:
    done = cli("desert", "status", "--dir", str(tmp_path))
    assert done.returncode == 2 and "no desert is running" in done.stderr


def ctl(folder: Path, *args: str) -> str:
    """A control command that must succeed; its answer."""
    done = cli("desert", *args, "--dir", str(folder))
    assert done.returncode == 0, f"desert {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _wait_for(path: Path, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > end:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def _long_desert(tmp_path: Path) -> Path:
    """A scenario that waits for a long time before anyone proposes."""
    doc: dict[str, Any] = load_builtin("calm-day").to_json()
    doc["proposals"] = [{"at": 100000, "caravan": "Aghilas", "campsite": "Siwa"}]
    doc["timeline"] = []
    doc["until"] = 200000
    doc.pop("expect", None)
    path = tmp_path / "long.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _start(scenario: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desert_paxos",
            "desert",
            "up",
            str(scenario),
            "--dir",
            str(folder),
            "--max-seconds",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
    )


def test_a_running_desert_obeys_its_control_commands(tmp_path: Path, desert_dir: Path) -> None:
    proc = _start(_long_desert(tmp_path), desert_dir)
    try:
        _wait_for(desert_dir / "control.json")
        status = cli("desert", "status", "--dir", str(desert_dir))
        assert status.returncode == 0 and status.stdout.count(": up (pid") == 5
        storm = cli("desert", "sandstorm", "aghilas,Taziri | Amastan", "--dir", str(desert_dir))
        assert (
            storm.returncode == 0 and "Aghilas, Taziri | Amastan | Itri, Tassadit" in storm.stdout
        )
        bad = cli("desert", "crash", "Bob", "--dir", str(desert_dir))
        assert bad.returncode == 2 and "unknown caravan 'Bob'" in bad.stderr
        ctl(desert_dir, "crash", "Itri")
        deadline = time.monotonic() + 30
        while "Itri: down" not in cli("desert", "status", "--dir", str(desert_dir)).stdout:
            assert time.monotonic() < deadline, "Itri never went down"
            time.sleep(0.1)
        ctl(desert_dir, "recover", "Itri")
        deadline = time.monotonic() + 60
        while "Itri: up (pid" not in cli("desert", "status", "--dir", str(desert_dir)).stdout:
            assert time.monotonic() < deadline, "Itri never got up"
            time.sleep(0.1)
        ctl(desert_dir, "calm")
        ctl(desert_dir, "down")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out + err
    assert "Decision: none" in out and "(down)" in out
    assert not (desert_dir / "control.json").exists()
    _, events = read_trace(desert_dir / "run.jsonl")
    told = [
        (e["kind"], e.get("node"))
        for e in events
        if e["kind"] in ("sandstorm", "crash", "recover", "calm")
    ]
    assert told == [("sandstorm", None), ("crash", "Itri"), ("recover", "Itri"), ("calm", None)]
    assert events[-1]["kind"] == "end" and events[-1]["reason"] == "down"
    again = cli("desert", "status", "--dir", str(desert_dir))
    assert again.returncode == 2 and "no desert is running" in again.stderr


def test_ctrl_c_stops_every_process_and_keeps_the_trace(tmp_path: Path, desert_dir: Path) -> None:
    proc = _start(_long_desert(tmp_path), desert_dir)
    try:
        _wait_for(desert_dir / "control.json")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert desert_processes(desert_dir) == []
    _, events = read_trace(desert_dir / "run.jsonl")
    assert events[-1]["kind"] == "end" and events[-1]["reason"] == "interrupted", out + err


def test_a_corrupt_logbook_stops_the_desert_with_its_name(tmp_path: Path, desert_dir: Path) -> None:
    proc = _start(_long_desert(tmp_path), desert_dir)
    try:
        _wait_for(desert_dir / "control.json")
        ctl(desert_dir, "crash", "Itri")
        deadline = time.monotonic() + 30
        while "Itri: down" not in cli("desert", "status", "--dir", str(desert_dir)).stdout:
            assert time.monotonic() < deadline, "Itri never went down"
            time.sleep(0.1)
        (desert_dir / "Itri.logbook").write_text("{garbage", encoding="utf-8")
        ctl(desert_dir, "recover", "Itri")
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, out + err
    assert "Itri.logbook" in err and "corrupt" in err and "Traceback" not in err
