"""``desert-paxos serve`` as a process: its address, Ctrl-C, and its mistakes (exit 2)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

pytest.importorskip("uvicorn")

COMMAND = [sys.executable, "-m", "desert_paxos", "serve"]


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The server started with ``args``, its first line read; always stopped."""
    proc = subprocess.Popen(
        [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield proc, proc.stdout.readline() if proc.stdout else ""
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def test_it_prints_its_address_serves_the_page_and_ctrl_c_stops_it_cleanly() -> None:
    with serving("calm-day", "--port", "0") as (proc, first):
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert found, first
        with urllib.request.urlopen(found[0], timeout=30) as page:
            assert page.status == 200 and b"live.js" in page.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "Stopped." in out and "Traceback" not in err


def test_another_host_is_warned_about() -> None:
    with serving("--host", "0.0.0.0", "--port", "0") as (proc, first):
        assert "http://127.0.0.1:" in first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "warning: listening on 0.0.0.0" in err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--port", "70000"], "a port is a whole number from 0"),
        (["--port", "http"], "a port is a whole number from 0"),
        (["no-such-desert"], "no built-in scenario or file by this name"),
        (["--host", "no such host!"], "--host 'no such host!'"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(args: list[str], said: str) -> None:
    done = subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, env=os.environ.copy()
    )
    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr


def test_a_port_in_use_is_told_with_a_way_out() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*COMMAND, "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port 0" in done.stderr


def test_the_web_libraries_are_imported_only_by_serve() -> None:
    probe = (
        "import sys; from desert_paxos.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn') "
        "or m.startswith('desert_paxos.serve')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
