"""``desert-paxos desert``: real caravans as OS processes over UDP (up, crash, ..., merge)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..narrate import LEVELS
from ._common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_VIOLATED,
    CliError,
    add_scenario_arguments,
    add_subcommand,
    load_scenario_arg,
    positive_int,
)

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos desert up                                  the calm day, five real processes
  desert-paxos desert up sandstorm-minority --dir storm   its files kept in ./storm
  desert-paxos desert status --dir storm                  (from another terminal, while it runs)
  desert-paxos desert crash Itri --dir storm
  desert-paxos desert sandstorm "Aghilas,Taziri | Amastan,Itri,Tassadit" --dir storm
  desert-paxos desert calm --dir storm
  desert-paxos desert down --dir storm
  desert-paxos desert merge storm -o run.jsonl            the parts as one trace
exit codes: 0 invariants and expectation hold, 1 one is violated, 2 bad input
"""

_DESCRIPTION = """\
Run the caravans for real: one OS process per caravan, each driving the same
protocol core as the simulator over UDP on 127.0.0.1, its logbook written and
fsynced before every reply, collapses played as SIGKILL. The desert's faults
(delay, loss, duplication, sandstorms) come from the scenario, through the
project's own transport. A run ends as `run` does (quiet, or until), or at
--max-seconds of wall-clock time; every process it started is stopped.
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers, "desert", "run the caravans as real processes over UDP", _EXAMPLES, _DESCRIPTION
    )
    sub = p.add_subparsers(dest="desert_command", metavar="ACTION")
    up = sub.add_parser("up", help="start a real desert and run a scenario in it")
    add_scenario_arguments(up)
    up.add_argument(
        "--dir",
        help="a new or empty folder for the desert's files (default: a new temporary folder)",
    )
    up.add_argument(
        "--tick-ms", type=positive_int, default=5, metavar="MS", help="one tick (default 5 ms)"
    )
    up.add_argument("--until", type=positive_int, help="stop at this tick at the latest")
    up.add_argument(
        "--max-seconds",
        type=_seconds,
        default=None,
        metavar="S",
        help="end the whole run after S seconds of wall-clock time, reason 'limit' (default 120)",
    )
    up.add_argument(
        "--revive",
        type=positive_int,
        metavar="TICKS",
        help="restart, TICKS later, a caravan whose process died without being told to",
    )
    up.add_argument(
        "--spawn",
        choices=["fork", "exec"],
        default="fork",
        help="fork: each caravan process is forked from the coordinator, so a restart takes "
        "milliseconds (default); exec: each is a new interpreter, `desert-paxos caravan`",
    )
    up.add_argument(
        "--trace", metavar="FILE", help="write the merged trace to FILE (default: DIR/run.jsonl)"
    )
    up.add_argument(
        "--log-level",
        choices=list(LEVELS),
        default="quiet",
        help="tell the merged trace at this level (default quiet: the summary)",
    )
    up.set_defaults(handler=_up)
    for name, helptext in (
        ("crash", "collapse a caravan of the running desert (SIGKILL)"),
        ("recover", "restart a collapsed caravan from its logbook"),
        ("sandstorm", 'split the desert: "A,B | C,D,E"'),
        ("calm", "end the sandstorm"),
        ("status", "who is on their feet, who knows, the sky"),
        ("down", "end the running desert now"),
    ):
        command = sub.add_parser(name, help=helptext)
        if name in ("crash", "recover"):
            command.add_argument("caravan", metavar="CARAVAN")
        elif name == "sandstorm":
            command.add_argument("groups", metavar="GROUPS", help='e.g. "Aghilas,Taziri | Itri"')
        command.add_argument("--dir", required=True, help="the --dir of the running desert")
        command.set_defaults(handler=_control, desert_action=name)
    merge = sub.add_parser("merge", help="merge a desert's parts into one trace")
    merge.add_argument("folder", metavar="DIR", help="the --dir of a desert")
    merge.add_argument("-o", "--output", required=True, metavar="FILE", help="the trace to write")
    merge.set_defaults(handler=_merge)
    p.set_defaults(handler=lambda args: _no_action(p))


def _no_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400, got {text}")
    return value


def _control(args: argparse.Namespace) -> int:
    from ..desert import ControlError, send_command

    extra = [args.caravan] if hasattr(args, "caravan") else []
    if hasattr(args, "groups"):
        extra = [args.groups]
    try:
        print(send_command(args.dir, args.desert_action, extra))
    except ControlError as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


def _write_trace(merged: Any, path: str, inputs: Any = ()) -> None:
    from .._files import output_text
    from ..trace import TraceWriter

    with output_text(path, what="the merged trace", inputs=inputs) as stream:
        writer = TraceWriter(stream)
        for line in merged.lines():
            writer(line)


def _merge(args: argparse.Namespace) -> int:
    from ..desert import MergeError, merge_desert

    try:
        merged = merge_desert(args.folder)
    except MergeError as exc:
        raise CliError(str(exc)) from None
    _write_trace(merged, args.output, [("part", p) for p in Path(args.folder).glob("*.jsonl")])
    summary = f"{len(merged.events):,} events"
    verdict = "no invariant broken" if merged.violation is None else "SAFETY VIOLATED"
    print(f"Merged {args.folder} into {args.output}: {summary}; {verdict}.")
    return EXIT_VIOLATED if merged.violation is not None else EXIT_OK


def _up(args: argparse.Namespace) -> int:
    from ..desert import (
        DEFAULT_MAX_SECONDS,
        MergeError,
        UpError,
        desert_up,
        merge_desert,
        prepare_folder,
    )
    from ..narrate import Narrator
    from ..sim import RunResult, Stats
    from ._run import expectation_problem, scenario_inputs

    scenario = load_scenario_arg(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    until = scenario.until if args.until is None else args.until
    max_seconds = DEFAULT_MAX_SECONDS if args.max_seconds is None else args.max_seconds
    try:
        folder = prepare_folder(args.dir)
    except UpError as exc:
        raise CliError(str(exc)) from None
    trace_path = args.trace or str(folder / "run.jsonl")
    if args.trace:  # refused now, not after the run: a missing folder, an input...
        from .._files import check_output

        check_output(args.trace, what="the merged trace", inputs=scenario_inputs(args.scenario))
    print(
        f"A real desert in {folder}: {len(scenario.caravans)} caravan processes, "
        f"tick {args.tick_ms} ms.",
        flush=True,
    )
    outcome = desert_up(
        scenario,
        folder,
        seed=seed,
        until=until,
        tick_ms=args.tick_ms,
        max_seconds=max_seconds,
        revive=args.revive,
        spawn=args.spawn,
    )
    if outcome.error is not None:
        raise CliError(outcome.error)
    try:
        merged = merge_desert(folder)
    except MergeError as exc:
        raise CliError(str(exc)) from None
    _write_trace(merged, trace_path, scenario_inputs(args.scenario))
    narrator = Narrator(args.log_level, sys.stdout)
    narrator.level = max(narrator.level, 0)
    for line in merged.lines():
        narrator(line)
    end = merged.events[-1] if merged.events and merged.events[-1]["kind"] == "end" else {}
    result = RunResult(
        scenario=scenario.name,
        seed=seed,
        end_time=int(end.get("t", 0)),
        end_reason=outcome.reason,
        decisions={name: str(end.get("decided")) for name in end.get("knowing", [])},
        decided_value=end.get("decided"),
        decided_at=end.get("decided_at"),
        violation=merged.violation,
        stats=Stats(),
        events=len(merged.events),
        alive=outcome.alive,
    )
    extra: list[str] = []
    problem = expectation_problem(scenario, result)
    if scenario.expect.decided is not None:
        want = scenario.expect.decided
        extra.append(
            f"Expectation not met: {problem}." if problem else f"Expectation met: decided {want!r}."
        )
    extra.append(
        f"Real caravans: {len(scenario.caravans)} processes over UDP, tick {args.tick_ms} ms; "
        f"{outcome.crashes} collapses (SIGKILL), {outcome.restarts} restarts from the logbook; "
        f"{outcome.seconds:.1f} s of wall-clock time."
    )
    if outcome.reason == "limit":
        extra.append(
            f"Stopped at the wall-clock limit (--max-seconds {max_seconds:g}): the desert had not "
            "ended by itself; raise the limit for a longer run."
        )
    extra.append(f"Trace: {trace_path} (desert-paxos replay {trace_path}).")
    narrator.print_summary(extra)
    if merged.violation is not None or problem is not None:
        return EXIT_VIOLATED
    return EXIT_OK
