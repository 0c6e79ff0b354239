"""Running a swarm: seeds in chunks through any ``concurrent.futures.Executor``.

Theory of operation
-------------------
A seed is checked by :func:`check_desert`: the drawn desert runs once in the
simulator, with no observers (nothing builds an event dictionary), and fails
either *safety* (the monitor saw an invariant break) or *liveness* (after the
calm, no decision known to every caravan by the end).

Seeds travel in chunks, so a worker pays the cost of a task once per few
hundred seeds. :func:`run_chunk` is a plain module-level function of plain
arguments returning a plain, picklable :class:`ChunkResult`, so any executor
can run it: none (in this process), a ``ProcessPoolExecutor``, or the
executor of a ``dask.distributed`` client, local or on a cluster. Results are
taken as they complete, for the progress bar, and the summary is built from
them sorted by seed, so it is the same whichever executor ran the sweep and in
whatever order chunks finished.

Bounds: chunks are made lazily and at most ``window`` of them are submitted at
a time (another as each completes), so a sweep of any length holds a few
futures, not one per chunk; the summary counts every failure but keeps only the
``KEPT_FAILURES`` of lowest seed. Pool workers made with :func:`worker_init` ignore Ctrl-C (the parent
stops the sweep) and end themselves when their parent process is gone.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from itertools import islice

from ..sim import RunResult, Simulation
from ._desert import Desert, draw_desert

__all__ = [
    "KEPT_FAILURES",
    "ChunkResult",
    "Failure",
    "SwarmProgress",
    "SwarmSummary",
    "Verdict",
    "check_desert",
    "run_chunk",
    "run_swarm",
    "verdict_of",
    "worker_init",
]

KEPT_FAILURES = 1_000  # failures a summary keeps, the lowest seeds first; all are counted
_PARENT_POLL = 0.25  # seconds between a worker's looks at whether its parent still lives

SwarmProgress = Callable[[int, int, int, float], None]  # done, total, failures, seconds


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one desert went: ``kind`` is None when it held, else "safety" or "liveness"."""

    kind: str | None
    detail: str
    invariant: str | None
    deliveries: int

    @property
    def ok(self) -> bool:
        return self.kind is None


@dataclass(frozen=True, slots=True)
class Failure:
    seed: int
    kind: str  # "safety" | "liveness"
    detail: str


@dataclass(frozen=True, slots=True)
class ChunkResult:
    first: int
    count: int
    deliveries: int
    failures: tuple[Failure, ...]


@dataclass(slots=True)
class SwarmSummary:
    variant: str
    first: int
    seeds: int
    deliveries: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0  # wall clock, for the speed line only (never in the summary text)
    interrupted: bool = False
    done: int = 0
    failed: int = 0  # every failing seed, counted (``failures`` keeps the lowest seeds only)
    safety_failed: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.interrupted

    def add(self, chunk: ChunkResult) -> None:
        """Count one chunk's seeds and failures; keep the ``KEPT_FAILURES`` of lowest seed."""
        self.done += chunk.count
        self.deliveries += chunk.deliveries
        self.failed += len(chunk.failures)
        self.safety_failed += sum(1 for f in chunk.failures if f.kind == "safety")
        self.failures.extend(chunk.failures)
        if len(self.failures) > 2 * KEPT_FAILURES:
            self._trim()

    def _trim(self) -> None:
        self.failures.sort(key=lambda f: f.seed)
        del self.failures[KEPT_FAILURES:]

    def lines(self) -> list[str]:
        """The summary, identical whichever executor ran the sweep."""
        last = self.first + self.seeds - 1
        safety = self.safety_failed
        liveness = self.failed - safety
        mean = self.deliveries / self.done if self.done else 0.0
        out = [
            f"Swarm of seeds {self.first}..{last} ({self.seeds:,} deserts), variant {self.variant}:",
            f"  {self.done - self.failed:,} held, {self.failed:,} failed "
            f"({safety:,} safety, {liveness:,} liveness); {self.deliveries:,} deliveries "
            f"({mean:.0f} per desert).",
        ]
        if self.interrupted:
            out.append(f"  Interrupted after {self.done:,} of {self.seeds:,} seeds.")
        return out


def check_desert(desert: Desert) -> Verdict:
    """Run one desert and judge it: safety first, then liveness after the calm."""
    result = Simulation(desert.scenario).run()
    return verdict_of(desert, result)


def verdict_of(desert: Desert, result: RunResult) -> Verdict:
    deliveries = result.stats.delivered
    v = result.violation
    if v is not None:
        return Verdict("safety", f"{v.invariant} at t={v.t}: {v.message}", v.invariant, deliveries)
    if desert.scenario.journey is not None:  # a journey is live when it ends quiet in time
        if result.end_reason == "quiet":
            return Verdict(None, "every request answered", None, deliveries)
        ticks = desert.scenario.until - desert.calm_at
        return Verdict(
            "liveness",
            f"a traveller was still unanswered or a caravan behind {ticks} ticks after the calm "
            f"at t={desert.calm_at} (end: {result.end_reason})",
            None,
            deliveries,
        )
    names = desert.scenario.caravans
    unaware = [name for name in names if name not in result.decisions]
    if not unaware:
        return Verdict(None, "decided", None, deliveries)
    ticks = desert.scenario.until - desert.calm_at
    if len(unaware) == len(names):
        detail = f"no caravan knew a decision {ticks} ticks after the calm at t={desert.calm_at}"
    else:
        who = ", ".join(unaware)
        detail = f"{who} still did not know the decision {ticks} ticks after the calm"
    return Verdict("liveness", detail, None, deliveries)


def run_chunk(first: int, count: int, variant: str, protocol: str = "paxos") -> ChunkResult:
    """Check seeds ``first`` .. ``first + count - 1``; the unit of work an executor runs."""
    deliveries = 0
    failures: list[Failure] = []
    for seed in range(first, first + count):
        verdict = check_desert(draw_desert(seed, variant, protocol))
        deliveries += verdict.deliveries
        if verdict.kind is not None:
            failures.append(Failure(seed, verdict.kind, verdict.detail))
    return ChunkResult(first, count, deliveries, tuple(failures))


def worker_init(parent: int) -> None:
    """Run in each pool worker as it starts: leave Ctrl-C to the parent, and end with it.

    A terminal's Ctrl-C reaches every process of the foreground group; the
    parent stops the sweep and shuts the pool down, so a worker ignores it, and
    SIGTERM ends a worker at once (a forked worker would otherwise inherit the
    parent's handler). A parent killed outright (SIGKILL, a crash) shuts nothing
    down: a daemon thread sees the worker adopted by another process and ends it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL)
        os._exit(1)

    threading.Thread(target=watch, name="desert-paxos-parent-watch", daemon=True).start()


def _chunks(first: int, seeds: int, size: int) -> Iterator[tuple[int, int]]:
    """The chunks of a sweep, made one at a time (a sweep may be long)."""
    end = first + seeds
    for start in range(first, end, size):
        yield start, min(size, end - start)


def _results(
    executor: Executor | None,
    chunks: Iterator[tuple[int, int]],
    variant: str,
    window: int,
    protocol: str = "paxos",
) -> Generator[ChunkResult, None, None]:
    if executor is None:
        for start, count in chunks:
            yield run_chunk(start, count, variant, protocol)
        return
    # At most ``window`` chunks are out at a time: one more is submitted as each completes.
    pending: dict[Future[ChunkResult], int] = {}
    try:
        while True:
            for start, count in islice(chunks, window - len(pending)):
                pending[executor.submit(run_chunk, start, count, variant, protocol)] = start
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=pending.__getitem__):
                del pending[future]
                yield future.result()
    finally:
        for future in pending:
            future.cancel()


def run_swarm(
    seeds: int,
    *,
    first: int = 0,
    variant: str = "paxos",
    executor: Executor | None = None,
    chunk: int = 200,
    progress: SwarmProgress | None = None,
    window: int = 16,
    protocol: str = "paxos",
) -> SwarmSummary:
    """Check ``seeds`` deserts starting at ``first``; Ctrl-C stops and keeps what is done.

    At most ``window`` chunks are submitted to ``executor`` at a time.
    """
    summary = SwarmSummary(variant=variant, first=first, seeds=seeds)
    started = time.perf_counter()
    results = _results(
        executor, _chunks(first, seeds, max(1, chunk)), variant, max(1, window), protocol
    )
    try:
        for chunk_result in results:
            summary.add(chunk_result)
            if progress is not None:
                progress(summary.done, seeds, summary.failed, time.perf_counter() - started)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        results.close()  # cancels the chunks not started yet
    summary._trim()
    summary.seconds = time.perf_counter() - started
    return summary
