"""The swarm's bounds: lazy chunks, a bounded summary, capped options, and no orphan workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from desert_paxos.cli._swarm import MAX_CHUNK, MAX_SEEDS
from desert_paxos.swarm import KEPT_FAILURES, ChunkResult, Failure, run_swarm


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command, killed if it outlives ``timeout`` (a sweep that did not stop fails, not hangs)."""
    return subprocess.run(
        [sys.executable, "-m", "desert_paxos", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        timeout=timeout,
        check=False,
    )


class _Instant(Executor):
    """Runs nothing: each chunk comes back at once from ``make``; counts what is out."""

    def __init__(self, make: Callable[[int, int], ChunkResult]) -> None:
        self.make = make
        self.submitted = 0
        self.outstanding: list[Future[ChunkResult]] = []
        self.most_outstanding = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        start, count, *_rest = args  # and the variant, the protocol
        self.submitted += 1
        future: Future[ChunkResult] = Future()
        self.outstanding = [f for f in self.outstanding if not f.done()]
        self.outstanding.append(future)
        self.most_outstanding = max(self.most_outstanding, len(self.outstanding))
        future.set_result(self.make(start, count))
        return future


def _stop_after(chunks: int, size: int) -> Callable[[int, int, int, float], None]:
    def progress(done: int, total: int, failures: int, seconds: float) -> None:
        if done >= chunks * size:
            raise KeyboardInterrupt

    return progress


def test_a_sweep_of_a_googol_seeds_makes_its_chunks_as_it_goes() -> None:
    pool = _Instant(lambda start, count: ChunkResult(start, count, 1, ()))
    summary = run_swarm(
        10**100, executor=pool, chunk=3, window=4, progress=_stop_after(chunks=50, size=3)
    )
    assert summary.interrupted and summary.done == 150
    assert pool.submitted <= 50 + 4  # the chunks taken, and a window's worth more at most


def test_a_summary_counts_every_failure_but_keeps_only_the_lowest_seeds() -> None:
    def every_seed_fails(start: int, count: int) -> ChunkResult:
        seeds = range(start, start + count)
        return ChunkResult(start, count, 0, tuple(Failure(s, "safety", "broken") for s in seeds))

    summary = run_swarm(5_000, executor=_Instant(every_seed_fails), chunk=100)
    assert summary.failed == summary.safety_failed == 5_000 and not summary.ok
    assert [f.seed for f in summary.failures] == list(range(KEPT_FAILURES))
    assert "0 held, 5,000 failed (5,000 safety, 0 liveness)" in summary.lines()[1]


def test_too_many_seeds_is_exit_2_with_how_to_split_the_sweep() -> None:
    done = cli("swarm", "--seeds", str(10**100), timeout=20)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"at most {MAX_SEEDS:,}" in done.stderr and "--first" in done.stderr


def test_too_large_a_chunk_is_exit_2() -> None:
    done = cli("swarm", "--chunk", str(MAX_CHUNK + 1))
    assert done.returncode == 2 and f"at most {MAX_CHUNK:,} seeds per task" in done.stderr


def test_more_workers_than_cores_are_cut_to_one_per_core() -> None:
    done = cli("swarm", "--seeds", "20", "--chunk", "1", "--workers", "1000000")
    cores = len(os.sched_getaffinity(0))
    assert done.returncode == 0, done.stderr
    assert (
        f"--workers 1,000,000 is more than the {cores} core(s) here; using {cores}" in done.stderr
    )
    assert f"on {cores} worker process(es)" in done.stdout


# -- no orphan workers -----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(name))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextmanager
def _sweep_with_two_workers() -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """A long sweep in its own process group, its two workers started; always cleaned up."""
    swarm = subprocess.Popen(
        [sys.executable, "-m", "desert_paxos", "swarm", "--seeds", "10000000", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        start_new_session=True,  # its own group: the cleanup below reaches only what it started
    )
    try:
        assert _until(lambda: len(_children(swarm.pid)) >= 2, 30), "the workers never started"
        yield swarm, _children(swarm.pid)
    finally:
        with suppress(ProcessLookupError):  # the sweep and any worker still in its group
            os.killpg(swarm.pid, signal.SIGKILL)
        swarm.communicate()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc to find the workers")
def test_workers_end_when_the_swarm_process_is_killed_outright() -> None:
    with _sweep_with_two_workers() as (swarm, workers):
        os.kill(swarm.pid, signal.SIGKILL)
        assert _until(lambda: not any(_alive(pid) for pid in workers), 10), "orphan workers"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc to find the workers")
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_sweep_stops_its_workers_and_reports(how: str) -> None:
    with _sweep_with_two_workers() as (swarm, workers):
        if how == "ctrl-c":  # a terminal's Ctrl-C reaches the whole foreground group
            os.killpg(swarm.pid, signal.SIGINT)
        else:
            os.kill(swarm.pid, signal.SIGTERM)
        out, err = swarm.communicate(timeout=30)
        assert swarm.returncode == 130
        assert "Interrupted after" in out
        assert "Traceback" not in err
        assert _until(lambda: not any(_alive(pid) for pid in workers), 10), "orphan workers"
