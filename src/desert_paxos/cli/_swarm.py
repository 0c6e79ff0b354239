"""``desert-paxos swarm``: thousands of random deserts, checked for safety and liveness."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .._files import write_output
from ..narrate import LEVELS
from ..protocol import VARIANTS
from ..protocol.multi import JOURNEY_VARIANTS
from ._common import (
    EXIT_OK,
    EXIT_VIOLATED,
    MAX_SEED,
    CliError,
    add_subcommand,
    positive_int,
    seed_int,
)

if TYPE_CHECKING:  # concurrent.futures costs ~10 ms to import: only when a sweep runs
    from concurrent.futures import Executor

__all__ = ["MAX_CHUNK", "MAX_SEEDS", "register"]

MAX_SEEDS = 100_000_000  # one sweep: some ten hours on two cores; a longer one is split by --first
MAX_CHUNK = 10_000  # seeds per task: a chunk's failures are held in one worker until it ends

_EXAMPLES = """\
  desert-paxos swarm --seeds 10000                      the real protocol must hold in every desert
  desert-paxos swarm --seeds 2000 --variant early-learner --shrink
  desert-paxos swarm --show 139 --variant early-learner  tell one seed's desert, as `run` does
  desert-paxos swarm --protocol multi-paxos --seeds 300   random journeys (Multi-Paxos)
  desert-paxos swarm --protocol multi-paxos --variant twice-executed --seeds 200
  desert-paxos swarm --seeds 100000 --executor dask --scheduler tcp://10.0.0.5:8786
limits: --seeds at most 100,000,000 per sweep (go on with --first), --workers at most one per
core, --chunk at most 10,000; Ctrl-C or SIGTERM stops the sweep and its workers, and a worker
whose swarm process is gone ends itself
exit codes: 0 every seed held, 1 a seed failed, 2 bad input, 130 interrupted
"""

_DESCRIPTION = """\
Each seed draws its own desert (caravans, proposers, loss up to 30%, duplication, sandstorms,
crashes and recoveries, delays), runs it with faults, then calms everything down: safety must
hold throughout, and every caravan must learn a decision soon after the calm. Seeds run in
chunks on a process pool, or on dask.distributed (pip install 'desert-paxos[dask]')."""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "swarm",
        "check thousands of random deserts; shrink a failing one to a small scenario",
        _EXAMPLES,
        description=_DESCRIPTION,
    )
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=1000,
        metavar="N",
        help=f"deserts to check (default 1000, at most {MAX_SEEDS:,} per sweep)",
    )
    p.add_argument(
        "--first",
        type=seed_int,
        default=0,
        metavar="SEED",
        help="the first seed (default 0)",
    )
    p.add_argument(
        "--variant", default="paxos", metavar="NAME", help="sweep a broken variant (default paxos)"
    )
    p.add_argument(
        "--protocol",
        choices=("paxos", "multi-paxos"),
        default="paxos",
        help="multi-paxos: random journeys (travellers' requests, faults, then calm)",
    )
    p.add_argument(
        "--executor",
        choices=("process", "dask", "inline"),
        default="process",
        help="process pool (default), dask.distributed, or inline (this process)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="W",
        help="worker processes (default and most: one per core)",
    )
    p.add_argument(
        "--scheduler", metavar="ADDR", help="a dask scheduler to use (with --executor dask)"
    )
    p.add_argument(
        "--chunk",
        type=positive_int,
        metavar="C",
        help=f"seeds per task (default: automatic; at most {MAX_CHUNK:,})",
    )
    p.add_argument(
        "--shrink",
        action="store_true",
        help="shrink the first failing seed to a small scenario file that `run` replays",
    )
    p.add_argument(
        "--out", default=".", metavar="DIR", help="where --shrink writes its file (default .)"
    )
    p.add_argument("--show", type=seed_int, metavar="SEED", help="run and tell one seed's desert")
    p.add_argument(
        "--save", metavar="FILE", help="with --show: write that desert as a scenario file"
    )
    p.add_argument(
        "--log-level", choices=list(LEVELS), default="info", help="for --show (default info)"
    )
    p.set_defaults(handler=_main)


def _check_args(args: argparse.Namespace) -> None:
    problems: list[str] = []
    known = VARIANTS if args.protocol == "paxos" else JOURNEY_VARIANTS
    if args.variant not in known:
        problems.append(f"--variant {args.variant!r} is unknown (known: {', '.join(known)})")
    if args.scheduler and args.executor != "dask":
        problems.append("--scheduler needs --executor dask")
    if args.save and args.show is None:
        problems.append("--save needs --show SEED (the desert to save)")
    if args.shrink and not Path(args.out).is_dir():
        problems.append(f"--out {args.out}: no such directory")
    if args.seeds > MAX_SEEDS:
        problems.append(
            f"--seeds {args.seeds:,} is more than one sweep checks (at most {MAX_SEEDS:,}, some "
            f"ten hours on two cores); sweep in parts: --seeds {MAX_SEEDS} --first {args.first}, "
            f"then --first {args.first + MAX_SEEDS}, and so on"
        )
    if args.first + min(args.seeds, MAX_SEEDS) - 1 > MAX_SEED:
        problems.append(
            f"--first {args.first:,} --seeds {args.seeds:,} goes past the last seed a scenario "
            f"may hold, {MAX_SEED:,}"
        )
    if args.chunk is not None and args.chunk > MAX_CHUNK:
        problems.append(
            f"--chunk {args.chunk:,} is too large: at most {MAX_CHUNK:,} seeds per task "
            "(the automatic size is usually best: leave --chunk out)"
        )
    if len(problems) == 1:
        raise CliError(problems[0])
    if problems:
        raise CliError("bad options:\n" + "\n".join(f"  - {p}" for p in problems))


def reproduce(seed: int, variant: str, protocol: str = "paxos") -> str:
    """The command that tells one seed's desert again."""
    extra = f" --variant {variant}" if variant != "paxos" else ""
    if protocol != "paxos":
        extra = f" --protocol {protocol}{extra}"
    return f"desert-paxos swarm --show {seed}{extra}"


def _main(args: argparse.Namespace) -> int:
    _check_args(args)
    if args.show is not None:
        return _show(args)
    from ..swarm import run_swarm

    out = sys.stdout
    workers = _workers(args.workers)
    chunk = args.chunk or max(10, min(500, args.seeds // (workers * 8) or 1))
    executor, close, label = _executor(args, workers)
    bar = _ProgressBar(sys.stderr)
    summary = None
    try:
        with _sigterm_interrupts():
            summary = run_swarm(
                args.seeds,
                first=args.first,
                variant=args.variant,
                executor=executor,
                chunk=chunk,
                progress=bar,
                window=4 * workers,
                protocol=args.protocol,
            )
    finally:
        bar.clear()
        close(summary is None or summary.interrupted)
    for line in summary.lines():
        out.write(line + "\n")
    rate = summary.done / summary.seconds if summary.seconds > 0 else 0.0
    out.write(f"Ran in {summary.seconds:.1f} s on {label}: {rate:,.0f} seeds/s.\n")
    for failure in summary.failures[:10]:
        out.write(f"  seed {failure.seed}: {failure.kind} — {failure.detail}\n")
        out.write(f"    reproduce: {reproduce(failure.seed, args.variant, args.protocol)}\n")
    if summary.failed > 10:
        out.write(f"  … and {summary.failed - 10:,} more failing seeds.\n")
    if summary.failures and args.shrink:
        _shrink_first(summary.failures[0].seed, args, out)
    if summary.interrupted:
        return 130
    return EXIT_OK if summary.ok else EXIT_VIOLATED


def _cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _workers(asked: int | None) -> int:
    """One worker per core, unless fewer are asked for; more would only take turns."""
    cores = _cores()
    if asked is None:
        return cores
    if asked > cores:
        sys.stderr.write(
            f"desert-paxos swarm: --workers {asked:,} is more than the {cores} core(s) here; "
            f"using {cores} (more processes would only take turns on the same cores)\n"
        )
        return cores
    return asked


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a sweep runs, SIGTERM stops it as Ctrl-C does: summary, workers ended, exit 130."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _shrink_first(seed: int, args: argparse.Namespace, out: IO[str]) -> None:
    from ..swarm import draw_desert, shrink

    desert = draw_desert(seed, args.variant, args.protocol)
    shrunk = shrink(desert)
    path = Path(args.out) / f"swarm-{seed}-shrunk.json"
    _write_scenario(path, shrunk.scenario.to_json())
    out.write(
        f"\nShrunk seed {seed} in {shrunk.runs} runs: {shrunk.events_before} desert events -> "
        f"{shrunk.events_after}, until t={shrunk.scenario.until}; it still fails: "
        f"{shrunk.verdict.kind} — {shrunk.verdict.detail}\n"
        f"  Wrote {path}; replay it: desert-paxos run {path} --log-level debug\n"
    )


def _write_scenario(path: Path, data: dict[str, object]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_output(path, text, what="the scenario")  # atomic: a file beside it, renamed into place


def _show(args: argparse.Namespace) -> int:
    from ..swarm import draw_desert, verdict_of
    from ._run import run_scenario

    desert = draw_desert(args.show, args.variant, args.protocol)
    if args.save:
        _write_scenario(Path(args.save), desert.scenario.to_json())
    result, narrator, _ = run_scenario(
        desert.scenario,
        seed=None,
        until=None,
        level=args.log_level,
        trace_path=None,
        stream=sys.stdout,
    )
    narrator.print_summary()
    verdict = verdict_of(desert, result)
    if verdict.kind is None:
        after = "every request answered" if args.protocol != "paxos" else "decided"
        sys.stdout.write(f"Seed {args.show} holds: safe, and {after} after the calm.\n")
        return EXIT_OK
    sys.stdout.write(f"Seed {args.show} fails ({verdict.kind}): {verdict.detail}\n")
    if args.save:
        sys.stdout.write(f"The desert is in {args.save}: desert-paxos run {args.save}\n")
    return EXIT_VIOLATED


def _executor(
    args: argparse.Namespace, workers: int
) -> tuple[Executor | None, Callable[[bool], None], str]:
    """The executor to run chunks on, how to close it (``True``: stop the work being done
    now), and a label for the speed line."""
    match args.executor:
        case "inline":
            return None, lambda stop: None, "this process"
        case "process":
            from concurrent.futures import ProcessPoolExecutor

            from ..swarm import worker_init

            pool = ProcessPoolExecutor(
                max_workers=workers, initializer=worker_init, initargs=(os.getpid(),)
            )

            def close(stop: bool) -> None:
                # An interrupted sweep does not wait for the chunks being run: their workers
                # are stopped (the pool knows them only privately, hence getattr).
                if stop:
                    for process in list((getattr(pool, "_processes", None) or {}).values()):
                        process.terminate()
                pool.shutdown(cancel_futures=True)

            return pool, close, f"{workers} worker process(es)"
    return _dask_executor(args.scheduler, workers)


def _dask_executor(
    scheduler: str | None, workers: int
) -> tuple[Executor, Callable[[bool], None], str]:
    import importlib
    import logging

    try:
        # Typed as Any: dask.distributed ships no type information for mypy --strict.
        distributed: Any = importlib.import_module("dask.distributed")
    except ImportError:
        raise CliError(
            "--executor dask needs dask.distributed: pip install 'desert-paxos[dask]'"
        ) from None
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise CliError(f"--scheduler {scheduler}: cannot reach it ({exc})") from None
        executor: Executor = client.get_executor()
        return executor, lambda stop: client.close(), f"dask scheduler {scheduler}"
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)

    def close(stop: bool) -> None:
        client.close()
        cluster.close()

    executor = client.get_executor()
    return executor, close, f"a local dask cluster of {workers} worker(s)"


class _ProgressBar:
    """Seeds done, rate and failures on stderr."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.shown = False
        self.next_tenth = 1

    def __call__(self, done: int, total: int, failures: int, seconds: float) -> None:
        rate = done / seconds if seconds > 0 else 0.0
        width = 24
        filled = width * done // max(total, 1)
        text = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} seeds  "
            f"{rate:,.0f}/s  {failures:,} failed"
        )
        if self.tty:
            self.stream.write("\r" + text + "\033[K")
            self.shown = True
        elif done * 10 >= self.next_tenth * total and total >= 1000:
            self.next_tenth = done * 10 // total + 1
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
