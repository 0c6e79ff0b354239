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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, field

from ..sim import RunResult, Simulation
from ._desert import Desert, draw_desert

__all__ = [
    "ChunkResult",
    "Failure",
    "SwarmProgress",
    "SwarmSummary",
    "Verdict",
    "check_desert",
    "run_chunk",
    "run_swarm",
    "verdict_of",
]

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

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted

    def lines(self) -> list[str]:
        """The summary, identical whichever executor ran the sweep."""
        last = self.first + self.seeds - 1
        safety = sum(1 for f in self.failures if f.kind == "safety")
        liveness = len(self.failures) - safety
        mean = self.deliveries / self.done if self.done else 0.0
        out = [
            f"Swarm of seeds {self.first}..{last} ({self.seeds:,} deserts), variant {self.variant}:",
            f"  {self.done - len(self.failures):,} held, {len(self.failures):,} failed "
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


def run_chunk(first: int, count: int, variant: str) -> ChunkResult:
    """Check seeds ``first`` .. ``first + count - 1``; the unit of work an executor runs."""
    deliveries = 0
    failures: list[Failure] = []
    for seed in range(first, first + count):
        verdict = check_desert(draw_desert(seed, variant))
        deliveries += verdict.deliveries
        if verdict.kind is not None:
            failures.append(Failure(seed, verdict.kind, verdict.detail))
    return ChunkResult(first, count, deliveries, tuple(failures))


def _chunks(first: int, seeds: int, size: int) -> list[tuple[int, int]]:
    end = first + seeds
    return [(start, min(size, end - start)) for start in range(first, end, size)]


def _results(
    executor: Executor | None, chunks: list[tuple[int, int]], variant: str
) -> Iterator[ChunkResult]:
    if executor is None:
        for start, count in chunks:
            yield run_chunk(start, count, variant)
        return
    futures: list[Future[ChunkResult]] = [
        executor.submit(run_chunk, start, count, variant) for start, count in chunks
    ]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


def run_swarm(
    seeds: int,
    *,
    first: int = 0,
    variant: str = "paxos",
    executor: Executor | None = None,
    chunk: int = 200,
    progress: SwarmProgress | None = None,
) -> SwarmSummary:
    """Check ``seeds`` deserts starting at ``first``; Ctrl-C stops and keeps what is done."""
    summary = SwarmSummary(variant=variant, first=first, seeds=seeds)
    started = time.perf_counter()
    try:
        for chunk_result in _results(executor, _chunks(first, seeds, max(1, chunk)), variant):
            summary.done += chunk_result.count
            summary.deliveries += chunk_result.deliveries
            summary.failures.extend(chunk_result.failures)
            if progress is not None:
                progress(summary.done, seeds, len(summary.failures), time.perf_counter() - started)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.failures.sort(key=lambda f: f.seed)
    summary.seconds = time.perf_counter() - started
    return summary
