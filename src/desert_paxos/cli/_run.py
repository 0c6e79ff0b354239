"""``desert-paxos run``: one scenario, narrated, checked, optionally traced."""

from __future__ import annotations

import argparse
import sys
from collections import deque
from contextlib import ExitStack
from typing import IO, Any

from .._files import Inputs, output_text
from ..narrate import LEVELS, Narrator, protocol_voice, story_voice
from ..narrate._layout import terminal_columns, wrap
from ..scenario import BUILTIN_NAMES, Scenario
from ..sim import RunResult, SimTraceWriter, Simulation
from ._common import (
    EXIT_OK,
    EXIT_VIOLATED,
    add_scenario_arguments,
    add_subcommand,
    load_scenario_arg,
    positive_int,
    reproduce_command,
)

__all__ = ["DEFAULT_MAX_EVENTS", "register", "run_scenario"]

# The event budget of one run. Measured on the shared 2-core machine (benchmarks/bench_budget.py),
# a run that makes no progress costs one CPU second per 115,000 to 160,000 events untraced, 41,000
# to 72,000 with --trace and 17,000 to 23,000 with --trace and the story told: a quarter million
# events end it within 15 s of a core however it is watched, and in about a minute of wall time
# even at a load average of 10 to 13 on the two cores (a 70 MB trace at most).
DEFAULT_MAX_EVENTS = 250_000

_EXAMPLES = """\
  desert-paxos run                                   the calm day, told as a story
  desert-paxos run dueling-proposers --log-level debug
  desert-paxos run scenarios/mine.toml --seed 42 --trace run.jsonl
  desert-paxos run sandstorm-minority --until 300 --log-level trace
  desert-paxos run scenarios/long.json --max-events 20000000   longer than the default budget
exit codes: 0 invariants and expectations hold, 1 one is violated, 2 bad input
            (a run cut by --until or --max-events is judged on the events it ran)
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(subparsers, "run", "run a scenario and tell what happens", _EXAMPLES)
    add_scenario_arguments(p)
    p.add_argument(
        "--log-level",
        choices=list(LEVELS),
        default="info",
        help="quiet: summary only; info: the story; debug: + protocol and why; trace: + drops, timers, writes",
    )
    p.add_argument("--trace", metavar="FILE", help="write every event as JSON Lines to FILE")
    p.add_argument("--until", type=positive_int, help="stop at this tick at the latest")
    p.add_argument(
        "--max-events",
        type=positive_int,
        default=DEFAULT_MAX_EVENTS,
        metavar="N",
        help=f"end the run after N events, reason 'budget' (default {DEFAULT_MAX_EVENTS:,}: "
        "well under a minute, traced or not); raise it for a longer run",
    )
    p.set_defaults(handler=_main)


def scenario_inputs(spec: str) -> Inputs:
    """The scenario file a command reads, which no output may overwrite (none for a built-in)."""
    return () if spec in BUILTIN_NAMES else (("scenario", spec),)


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None,
    until: int | None,
    level: str,
    trace_path: str | None,
    stream: IO[str],
    max_events: int | None = DEFAULT_MAX_EVENTS,
    inputs: Inputs = (),
) -> tuple[RunResult, Narrator, Simulation]:
    narrator = Narrator(level, stream, width=terminal_columns(stream))
    observers: list[Any] = []
    with ExitStack() as files:
        if trace_path:
            # Streamed into a file beside the target, renamed into place when the run ends.
            trace_file = files.enter_context(
                output_text(trace_path, what="the trace", inputs=inputs)
            )
            observers.append(SimTraceWriter(trace_file))  # same bytes, written faster
        if narrator.level > 0:
            observers.append(narrator)
        sim = Simulation(
            scenario, seed=seed, until=until, observers=observers, max_events=max_events
        )
        result = sim.run()
    if narrator.level == 0:  # nothing observed the run: fill the summary from the result
        narrator.caravans = list(scenario.caravans)
        narrator.end = sim.end_summary()
        if result.decided_value is not None and result.decided_at is not None:
            narrator.decisions = {"?": (result.decided_value, result.decided_at)}
        if result.violation is not None:
            v = result.violation
            narrator.violation = {"t": v.t, "invariant": v.invariant, "message": v.message}
    return result, narrator, sim


def expectation_problem(scenario: Scenario, result: RunResult) -> str | None:
    """Why the run misses the scenario's ``expect`` block, or None when it meets it."""
    expected = scenario.expect.decided
    if expected is None:
        return None
    live = [name for name, alive in result.alive.items() if alive]
    if expected == "none":
        if result.decided_value is not None:
            return f"expected no decision, but {result.decided_value!r} was decided"
        return None
    if result.decided_value is None:
        return f"expected {'a decision' if expected == 'any' else repr(expected)}, but nothing was decided"
    if expected != "any" and result.decided_value != expected:
        return f"expected {expected!r}, but {result.decided_value!r} was decided"
    unaware = [name for name in live if name not in result.decisions]
    if unaware:
        return f"{', '.join(unaware)} {'is' if len(unaware) == 1 else 'are'} alive but never learned the decision"
    return None


def _fitted(text: str, width: int | None) -> str:
    """``text`` broken at spaces to a terminal's ``width`` (as it is off a terminal): a story
    line goes on under its story, any other line under its own first word."""
    if width is None:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        lead = len(line) - len(body)
        out += wrap(line, width, " " * (lead + (9 if body.startswith("t=") else 2)))
    return "\n".join(out)


def _violation_story(
    scenario: Scenario,
    seed: int,
    until: int | None,
    max_events: int,
    out: IO[str],
    width: int | None = None,
) -> None:
    """Re-run deterministically to show the events that led to the violation (the last 15 kept)."""
    shown: deque[dict[str, Any]] = deque(maxlen=15)

    def keep(event: dict[str, Any]) -> None:
        if event.get("kind") not in ("header", "end", "timer_set", "timer_cancel"):
            shown.append(event)

    Simulation(scenario, seed=seed, until=until, observers=[keep], max_events=max_events).run()
    out.write("\nThe events that led there:\n")
    tell, paper = story_voice, protocol_voice
    if scenario.protocol == "multi-paxos":  # the journey's riders have their own voices
        from ..narrate._journey import journey_protocol_voice, journey_story_voice

        tell, paper = journey_story_voice, journey_protocol_voice
    for event in shown:
        told = f"  t={event['t']:>5}  {tell(event)}\n           {paper(event)}"
        out.write(_fitted(told, width) + "\n")


def budget_note(events: int, max_events: int) -> str:
    """The summary line of a run that the event budget ended, with how to raise it."""
    return (
        f"Stopped at the event budget (--max-events {max_events:,}) after {events:,} events: "
        "the run had not ended by itself. The invariants held in every event that ran; "
        f"for a longer run, raise the budget: --max-events {max_events * 10}."
    )


def _budget_option(args: argparse.Namespace, extra: str = "") -> str:
    """``extra``, with ``--max-events`` when it is not the default (so a rerun ends the same)."""
    if args.max_events == DEFAULT_MAX_EVENTS:
        return extra
    return f"--max-events {args.max_events}" + (f" {extra}" if extra else "")


def _main(args: argparse.Namespace) -> int:
    scenario = load_scenario_arg(args.scenario)
    stream = sys.stdout
    result, narrator, _ = run_scenario(
        scenario,
        seed=args.seed,
        until=args.until,
        level=args.log_level,
        trace_path=args.trace,
        stream=stream,
        inputs=scenario_inputs(args.scenario),
        max_events=args.max_events,
    )
    problem = expectation_problem(scenario, result)
    extra: list[str] = []
    if scenario.expect.decided is not None:
        want = scenario.expect.decided
        extra.append(
            f"Expectation not met: {problem}." if problem else f"Expectation met: decided {want!r}."
        )
    if result.end_reason == "budget":
        extra.append(budget_note(result.events, args.max_events))
    narrator.print_summary(extra)
    if result.violation is not None:
        v = result.violation
        width = terminal_columns(stream)
        broken = f"Invariant broken: {v.invariant} — {v.rule}\nAt t={v.t}: {v.message}"
        stream.write("\n" + _fitted(broken, width) + "\n")
        _violation_story(scenario, result.seed, args.until, args.max_events, stream, width)
        stream.write(
            "\nReproduce it with:\n  "
            + reproduce_command(
                args.scenario, result.seed, args.until, _budget_option(args, "--log-level debug")
            )
            + "\n"
        )
        return EXIT_VIOLATED
    if problem is not None:
        stream.write(
            "Reproduce it with:\n  "
            + reproduce_command(args.scenario, result.seed, args.until, _budget_option(args))
            + "\n"
        )
        return EXIT_VIOLATED
    stream.flush()
    return EXIT_OK
