"""``desert-paxos run``: one scenario, narrated, checked, optionally traced."""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from ..narrate import LEVELS, Narrator, protocol_voice, story_voice
from ..scenario import Scenario
from ..sim import RunResult, SimTraceWriter, Simulation
from ._common import (
    EXIT_OK,
    EXIT_VIOLATED,
    CliError,
    add_scenario_arguments,
    add_subcommand,
    load_scenario_arg,
    positive_int,
    reproduce_command,
)

__all__ = ["register", "run_scenario"]

_EXAMPLES = """\
  desert-paxos run                                   the calm day, told as a story
  desert-paxos run dueling-proposers --log-level debug
  desert-paxos run scenarios/mine.toml --seed 42 --trace run.jsonl
  desert-paxos run sandstorm-minority --until 300 --log-level trace
exit codes: 0 invariants and expectations hold, 1 one is violated, 2 bad input
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
    p.set_defaults(handler=_main)


def _open_trace(path: str) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise CliError(f"cannot write the trace to {path}: {exc.strerror}") from None


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None,
    until: int | None,
    level: str,
    trace_path: str | None,
    stream: IO[str],
) -> tuple[RunResult, Narrator, Simulation]:
    narrator = Narrator(level, stream)
    observers: list[Any] = []
    trace_file = _open_trace(trace_path) if trace_path else None
    try:
        if trace_file is not None:
            observers.append(SimTraceWriter(trace_file))  # same bytes, written faster
        if narrator.level > 0:
            observers.append(narrator)
        sim = Simulation(scenario, seed=seed, until=until, observers=observers)
        result = sim.run()
    finally:
        if trace_file is not None:
            trace_file.close()
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


def _violation_story(
    scenario: Scenario, seed: int, until: int | None, result: RunResult, out: IO[str]
) -> None:
    """Re-run deterministically to show the events that led to the violation."""
    events: list[dict[str, Any]] = []
    Simulation(scenario, seed=seed, until=until, observers=[events.append]).run()
    shown = [
        e for e in events if e.get("kind") not in ("header", "end", "timer_set", "timer_cancel")
    ]
    out.write("\nThe events that led there:\n")
    for event in shown[-15:]:
        out.write(
            f"  t={event['t']:>5}  {story_voice(event)}\n           {protocol_voice(event)}\n"
        )


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
    )
    problem = expectation_problem(scenario, result)
    extra: list[str] = []
    if scenario.expect.decided is not None:
        want = scenario.expect.decided
        extra.append(
            f"Expectation not met: {problem}." if problem else f"Expectation met: decided {want!r}."
        )
    narrator.print_summary(extra)
    if result.violation is not None:
        v = result.violation
        stream.write(f"\nInvariant broken: {v.invariant} — {v.rule}\nAt t={v.t}: {v.message}\n")
        _violation_story(scenario, result.seed, args.until, result, stream)
        stream.write(
            "\nReproduce it with:\n  "
            + reproduce_command(args.scenario, result.seed, args.until, "--log-level debug")
            + "\n"
        )
        return EXIT_VIOLATED
    if problem is not None:
        stream.write(
            "Reproduce it with:\n  "
            + reproduce_command(args.scenario, result.seed, args.until)
            + "\n"
        )
        return EXIT_VIOLATED
    stream.flush()
    return EXIT_OK
