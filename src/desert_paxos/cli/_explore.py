"""``desert-paxos explore``: every path through a small desert, or the shortest way it breaks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, Any

from ._common import (
    EXIT_OK,
    EXIT_VIOLATED,
    CliError,
    add_subcommand,
    non_negative_int,
    positive_int,
)

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos explore                                  prove the real protocol safe (3 caravans, 2 proposers)
  desert-paxos explore --variant stubborn-proposer      the shortest story of how it breaks
  desert-paxos explore --variant forgetful-acceptor --crashes 1 --invariant agreement
  desert-paxos explore --variant small-quorums --caravans 4 --q1 2 --q2 2 --trace broken.jsonl
  desert-paxos explore --caravans 5 --proposers 2 --symmetry --max-states 2000000
exit codes: 0 safety holds in every state explored, 1 a counterexample was found, 2 bad options,
            130 interrupted (Ctrl-C reports what was covered)
"""

_DESCRIPTION = """\
Explore every interleaving of rider delivery, loss, duplication, timer firing, crash and
recovery in a small desert, over the same protocol code the simulator runs, and check the
safety invariants after every move. Breadth-first search finds the shortest counterexample.
Time is left out: any armed timer may fire and any rider may arrive at any moment.
A broken variant is searched first for two caravans that decide different campsites (the
story a teacher tells), then for any invariant; --invariant chooses instead. Its
counterexample marks the step where it departs from real Paxos."""

# Options a variant may need to break, and their defaults when it needs nothing (None on the
# command line means "not given": then the variant's needs decide).
_NEEDABLE = {"crashes": 0, "self_delay": 0, "max_round": 1, "inquiries": 0}


def _variants_help() -> str:
    """One line per variant: its name, its lesson, and the faults it is explored with."""
    from ..protocol import VARIANTS

    width = max(len(name) for name in VARIANTS)
    lines = ["variants (--variant NAME):"]
    for variant in VARIANTS.values():
        needs = f" [explored with {_flags(variant.needs)}]" if variant.needs else ""
        lines.append(f"  {variant.name:<{width}}  {variant.lesson}{needs}")
    return "\n".join(lines)


def _flags(needs: tuple[tuple[str, int], ...]) -> str:
    """``(("crashes", 1),)`` as the command line says it: ``--crashes 1``."""
    parts = []
    for field, value in needs:
        flag = "--" + field.replace("_", "-")
        if field == "self_delay":  # a switch: on, or --no-self-delay
            parts.append(flag if value else "--no-" + flag[2:])
        else:
            parts.append(f"{flag} {value}")
    return " ".join(parts)


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "explore",
        "model-check a small desert: every interleaving, or the shortest counterexample",
        _EXAMPLES,
        description=_DESCRIPTION + "\n\n" + _variants_help(),
    )
    size = p.add_argument_group("the desert")
    size.add_argument(
        "--protocol",
        choices=("paxos", "multi-paxos"),
        default="paxos",
        help="one campsite (paxos, the default) or a journey of nights (multi-paxos: "
        "2 travellers, one election unless --max-round or the variant says more)",
    )
    size.add_argument(
        "--caravans", type=positive_int, default=3, metavar="N", help="caravans (1-5, default 3)"
    )
    size.add_argument(
        "--proposers",
        type=positive_int,
        default=2,
        metavar="K",
        help="the first K caravans each propose their own campsite (default 2)",
    )
    size.add_argument(
        "--max-round",
        type=positive_int,
        metavar="R",
        help="no ballot above round R (default 1: one ballot per proposer, or the variant's need)",
    )
    size.add_argument(
        "--variant",
        default="paxos",
        metavar="NAME",
        help="a broken variant to explore (default paxos; listed below, one line each)",
    )
    size.add_argument(
        "--q1", type=positive_int, metavar="Q1", help="phase-1 quorum size (default a majority)"
    )
    size.add_argument(
        "--q2", type=positive_int, metavar="Q2", help="phase-2 quorum size (default a majority)"
    )
    faults = p.add_argument_group("faults")
    faults.add_argument("--loss", action="store_true", help="riders may be lost")
    faults.add_argument("--duplicate", action="store_true", help="riders may arrive more than once")
    faults.add_argument(
        "--crashes",
        type=non_negative_int,
        metavar="N",
        help="up to N collapses (default 0, or what the variant needs: forgetful-acceptor 1)",
    )
    faults.add_argument(
        "--patience",
        type=non_negative_int,
        metavar="N",
        help="multi-paxos: a traveller's patience may run out N times in all (it asks the "
        "same request again; default 0, or what the variant needs)",
    )
    faults.add_argument(
        "--inquiries",
        type=non_negative_int,
        metavar="N",
        help="learn-timer firings per caravan (default 0: an inquiry cannot break safety)",
    )
    faults.add_argument(
        "--self-delay",
        action=argparse.BooleanOptionalAction,
        help="a caravan's word to itself travels like any rider (much larger search; "
        "off unless the variant needs it)",
    )
    search = p.add_argument_group("the search")
    search.add_argument(
        "--strategy",
        choices=("bfs", "dfs"),
        default="bfs",
        help="bfs finds the shortest counterexample",
    )
    search.add_argument(
        "--max-states",
        type=positive_int,
        metavar="N",
        help="stop after N unique states (default 2,000,000, or fewer when half the memory "
        "available would not hold them at 1 KB each)",
    )
    search.add_argument(
        "--max-depth",
        type=positive_int,
        metavar="D",
        help="multi-paxos: every interleaving of at most D moves, no further (bfs: is there "
        "a counterexample that short?)",
    )
    search.add_argument(
        "--symmetry",
        action="store_true",
        help="fold interchangeable non-proposing caravans together",
    )
    search.add_argument(
        "--por",
        action="store_true",
        help="partial-order reduction: leave asleep the deliveries an equally short "
        "interleaving already tried (bfs; the same states and verdict, fewer moves)",
    )
    search.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="share the search among N processes (bfs; 1 to 64, default 1)",
    )
    search.add_argument(
        "--invariant",
        action="append",
        default=[],
        metavar="NAME",
        help="check only this invariant (repeatable; default all)",
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--trace", metavar="FILE", help="write the counterexample as a trace (replay opens it)"
    )
    out.add_argument("--quiet", action="store_true", help="the verdict only, no step-by-step story")
    p.set_defaults(handler=_main)


def _needs(args: argparse.Namespace) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """The needable options as given or as the variant needs them, and the needs left unmet
    because the command line turned them lower (field -> (given, needed))."""
    from ..protocol import VARIANTS

    variant = VARIANTS.get(args.variant)
    needs = dict(variant.needs) if variant is not None else {}
    values: dict[str, int] = {}
    unmet: dict[str, tuple[int, int]] = {}
    for field, default in _NEEDABLE.items():
        given = getattr(args, field)
        needed = needs.get(field, default)
        values[field] = needed if given is None else int(given)
        if values[field] < needed:
            unmet[field] = (values[field], needed)
    return values, unmet


def _options(args: argparse.Namespace) -> Any:
    from ..explore import MAX_WORKERS, ExploreOptions

    needable, _ = _needs(args)
    options = ExploreOptions(
        caravans=args.caravans,
        proposers=args.proposers,
        max_round=needable["max_round"],
        loss=args.loss,
        duplicate=args.duplicate,
        crashes=needable["crashes"],
        inquiries=needable["inquiries"],
        variant=args.variant,
        q1=args.q1,
        q2=args.q2,
        symmetry=args.symmetry,
        self_delay=bool(needable["self_delay"]),
        invariants=tuple(dict.fromkeys(args.invariant)),
    )
    problems = options.problems()
    if args.por and args.strategy != "bfs":
        problems.append("--por works with --strategy bfs only (the default)")
    if args.workers > 1 and args.strategy != "bfs":
        problems.append("--workers works with --strategy bfs only (the default)")
    if args.workers > MAX_WORKERS:
        problems.append(f"--workers must be 1 to {MAX_WORKERS}, got {args.workers}")
    if args.trace and not Path(args.trace).parent.is_dir():
        problems.append(
            f"--trace {args.trace}: the folder {Path(args.trace).parent} does not exist"
        )
    if len(problems) == 1:
        raise CliError(problems[0])
    if problems:
        raise CliError("bad options:\n" + "\n".join(f"  - {p}" for p in problems))
    return options


class _ProgressLine:
    """States, rate and depth on stderr while a long search runs."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.shown = False
        self.calls = 0

    def __call__(self, states: int, transitions: int, depth: int, seconds: float) -> None:
        self.calls += 1
        rate = states / seconds if seconds > 0 else 0.0
        text = f"  … {states:,} states, {transitions:,} transitions, depth {depth}, {rate:,.0f} states/s"
        if self.tty:
            self.stream.write("\r" + text + "\033[K")
            self.shown = True
        elif self.calls % 10 == 5:  # a log, not a terminal: a line every ten seconds or so
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _main(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..check import INVARIANTS
    from ..explore import Model, counterexample, default_max_states, search

    if args.protocol == "multi-paxos":
        from ._explore_journey import main

        return main(args)
    for flag in ("patience", "max_depth"):
        if getattr(args, flag) is not None:
            raise CliError(f"--{flag.replace('_', '-')} works with --protocol multi-paxos only")
    options = _options(args)
    out = sys.stdout
    bound_given = args.max_states is not None
    if not bound_given:  # every search is bounded: by default, by what memory holds
        args.max_states = default_max_states()
    _tell_needs(args, out)
    out.write(f"Exploring {options.describe()}.\n")
    # A broken variant is searched first for the story a teacher tells: two caravans that
    # decide different campsites. Only if none exists within the bounds, for any invariant.
    stages = [options]
    if options.variant != "paxos" and not options.invariants:
        stages = [replace(options, invariants=("agreement",)), options]
    for stage, explored in enumerate(stages, start=1):
        model = Model(explored)
        watched = [name for name in INVARIANTS if name in model.watched]
        out.write(f"Checking {', '.join(watched)} after every move; {args.strategy} search.\n")
        out.flush()
        progress = _ProgressLine(sys.stderr)
        result = search(
            model,
            strategy=args.strategy,
            max_states=args.max_states,
            progress=progress,
            por=args.por,
            workers=args.workers,
        )
        progress.clear()
        on = f" on {result.workers} processes" if result.workers > 1 else ""
        out.write(
            f"{result.states:,} unique states, {result.transitions:,} transitions, "
            f"depth {result.depth}, {result.seconds:.2f} s{on} ({result.rate:,.0f} states/s).\n"
        )
        if args.por:
            moves = result.transitions + result.pruned
            share = result.pruned / moves if moves else 0.0
            out.write(
                f"Partial-order reduction: {result.pruned:,} of {moves:,} moves asleep "
                f"({share:.0%}), the same states reached by moves tried in another order.\n"
            )
        if model.symmetric and result.symmetric_states:
            saved = result.symmetric_states / max(result.states, 1)
            out.write(
                f"Symmetry: these stand for {result.symmetric_states:,} states without it "
                f"({saved:.1f}x fewer to visit).\n"
            )
        if result.violation is not None:
            return _tell_counterexample(model, result, args, out, counterexample)
        if stage == len(stages) or result.stopped == "interrupted":
            break
        where = "within these bounds" if result.stopped is None else "in the states explored"
        out.write(f"No two caravans decide differently {where}; now every invariant.\n")
    if args.trace:
        out.write(f"No counterexample, so no trace was written to {args.trace}.\n")
    if result.stopped == "interrupted":
        out.write(
            f"Interrupted: no violation in the {result.states:,} states covered so far "
            "(not a proof: the search was not finished).\n"
        )
        return 130
    if result.stopped == "max-states":
        which = "" if bound_given else " (the default, for the memory available)"
        out.write(
            f"Stopped at {result.states:,} states: the bound --max-states {args.max_states:,}"
            f"{which}. No violation in the states explored, but the search is not complete "
            "(not a proof); raise the bound with --max-states N.\n"
        )
        return EXIT_OK
    out.write(f"Safety holds in all {result.states:,} states{_unmet_needs(args)}.\n")
    return EXIT_OK


def _tell_needs(args: argparse.Namespace, out: IO[str]) -> None:
    """Say which faults the variant brought in by default (those not given on the line)."""
    from ..protocol import VARIANTS

    variant = VARIANTS.get(args.variant)
    if variant is None:
        return
    brought = tuple((f, v) for f, v in variant.needs if getattr(args, f) is None)
    if brought:
        off = _flags(tuple((f, _NEEDABLE[f]) for f, _ in brought))
        out.write(
            f"{variant.name} breaks only with {_flags(brought)}, so it is explored so by "
            f"default ({off} turns that off).\n"
        )


def _unmet_needs(args: argparse.Namespace) -> str:
    """Why a broken variant held, to end the verdict's sentence: the faults it needs were
    turned off (empty if none were)."""
    _, unmet = _needs(args)
    if not unmet or args.variant == "paxos":
        return ""
    given = _flags(tuple((f, g) for f, (g, _) in unmet.items()))
    needed = _flags(tuple((f, n) for f, (_, n) in unmet.items()))
    return (
        f", but only with {given}: {args.variant} needs {needed} to break, so this does not "
        f"show that it is safe (leave {given} out and it explores with {needed})"
    )


def _tell_counterexample(
    model: Any, result: Any, args: argparse.Namespace, out: IO[str], build: Any
) -> int:
    from ..check import INVARIANTS
    from ..narrate import Narrator

    story = build(model, result.path, result.violation)
    which = (
        "The shortest counterexample"
        if args.strategy == "bfs"
        else "A counterexample (depth-first: not necessarily the shortest)"
    )
    out.write(f"\nSafety broken: {story.invariant} — {INVARIANTS[story.invariant]}.\n")
    out.write(f"{which} takes {story.length} steps (t = step):\n\n")
    if not args.quiet:
        narrator = Narrator("trace", out)
        narrator.recall(story.header)  # the story's context: caravans, quorums, variant
        narrator.caravans = list(model.names)  # so a rider to everyone reads as a broadcast
        for event in story.events:
            if event["kind"] in ("timer_set", "timer_cancel", "end"):
                continue  # bookkeeping: which timers could fire is in the story already
            narrator(event)
        narrator.flush()
    out.write(
        f"\nThe invariant that broke at step {story.length}: {story.invariant} — {story.rule}.\n"
    )
    out.write(f"{story.message}.\n")
    if story.departure is not None:
        step, departure = story.departure
        out.write(f"Where it began, at step {step}: {departure.text}\n")
    if args.trace:
        _write_trace(args.trace, story.header, story.events)
        out.write(
            f"Trace written to {args.trace}: desert-paxos replay {args.trace} --log-level debug\n"
        )
    return EXIT_VIOLATED


def _write_trace(path: str, header: dict[str, Any], events: Any) -> None:
    from .._files import output_text
    from ..trace import dump_event

    with output_text(path, what="the trace") as stream:  # atomic: written beside, renamed
        stream.write(dump_event(header) + "\n")
        for event in events:
            stream.write(dump_event(event) + "\n")
