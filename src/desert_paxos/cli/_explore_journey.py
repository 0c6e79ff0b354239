"""``explore --protocol multi-paxos``: model-check a small journey (see ``explore._journey``)."""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from ._common import EXIT_OK, EXIT_VIOLATED

__all__ = ["main"]


_ONLY_SINGLE = (
    ("symmetry", "--symmetry"),
    ("por", "--por"),
    ("q1", "--q1"),
    ("q2", "--q2"),
    ("inquiries", "--inquiries"),
    ("self_delay", "--self-delay"),
    ("invariant", "--invariant"),
)


def _options(args: argparse.Namespace) -> Any:
    from ..explore._journey import options_for

    for field, flag in _ONLY_SINGLE:
        if getattr(args, field):
            raise ValueError(f"{flag} works with --protocol paxos only")
    if args.workers != 1:
        raise ValueError("--workers works with --protocol paxos only")
    if args.caravans > 5:
        raise ValueError(f"--caravans must be 1 to 5, got {args.caravans}")
    return options_for(
        args.variant,
        caravans=args.caravans,
        elections=args.max_round,
        crashes=args.crashes,
        patience=args.patience,
        loss=1 if args.loss else None,
        duplicate=1 if args.duplicate else None,
    )


def main(args: argparse.Namespace) -> int:
    from ..explore._journey import VARIANT_NEEDS, _count, explore_journey
    from ..explore._search import default_max_states

    try:
        options = _options(args)
    except ValueError as error:
        sys.stderr.write(f"desert-paxos explore: {error}\n")
        return 2
    out = sys.stdout
    bound_given = args.max_states is not None
    max_states = args.max_states if bound_given else default_max_states()
    needs = VARIANT_NEEDS.get(options.variant)
    if needs:
        given = ", ".join(_count(v, k) for k, v in needs.items() if k != "operations")
        if "operations" in needs:
            given += ", the reader asking the first caravan"
        out.write(f"The {options.variant} variant needs {given}: given by default.\n")
    out.write(f"Exploring {options.describe()}.\n")
    out.write(
        "Checking slot-agreement, slot-choice, executed-prefix, once, promise-monotonic after "
        f"every move and linearizable whenever an answer arrives; {args.strategy} search"
        + ("" if args.max_depth is None else f" to depth {args.max_depth}")
        + ".\n"
    )
    if options.loss:
        out.write(
            "(--loss adds no state: a lost rider is one never delivered, which every search "
            "already covers.)\n"
        )
    out.flush()
    try:
        result = explore_journey(
            options, max_states=max_states, max_depth=args.max_depth, strategy=args.strategy
        )
    except ValueError as error:
        sys.stderr.write(f"desert-paxos explore: {error}\n")
        return 2
    rate = result.states / result.seconds if result.seconds > 0 else 0.0
    out.write(
        f"{result.states:,} unique states, {result.transitions:,} transitions, "
        f"depth {result.depth}, {result.seconds:.2f} s CPU ({rate:,.0f} states/s).\n"
    )
    if result.violation is not None:
        return _tell(options, result, args, out)
    if args.trace:
        out.write(f"No counterexample, so no trace was written to {args.trace}.\n")
    if result.stopped == "max-states":
        out.write(
            f"Stopped at {result.states:,} states: the bound --max-states {max_states:,}. "
            "No violation in the states explored, but the search is not complete "
            "(not a proof); raise the bound with --max-states N.\n"
        )
        return EXIT_OK
    if result.stopped == "max-depth":
        out.write(
            f"No counterexample of at most {args.max_depth} moves: every interleaving that "
            f"long was explored ({result.states:,} states), none further (not a proof "
            "beyond that depth).\n"
        )
        return EXIT_OK
    if result.stopped == "interrupted":
        out.write(f"Interrupted after {result.states:,} states: not a proof.\n")
        return 130
    out.write(f"Safety holds in all {result.states:,} states of this journey.\n")
    return EXIT_OK


def journey_trace(
    options: Any, path: list[Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], Any]:
    """The header, events (with ``end``) and violation of ``path`` played again."""
    from ..explore._journey import replay_journey
    from ..scenario import scenario_from_data
    from ..sim._events import header_event

    world, events = replay_journey(options, path)
    last = len(path)
    travellers: dict[str, list[dict[str, Any]]] = {}
    for who, op, key, value in options.operations:
        request: dict[str, Any] = {"op": op, "key": key}
        if value is not None:
            request["value"] = value
        travellers.setdefault(who, []).append(request)
    data = {
        "name": f"explore-journey-{options.variant}",
        "description": f"A counterexample found by desert-paxos explore --protocol multi-paxos "
        f"({options.describe()}): {last} steps, one per tick.",
        "protocol": "multi-paxos",
        "caravans": list(options.names),
        "variant": options.variant,
        "travellers": [{"name": n, "requests": r} for n, r in travellers.items()],
        "until": last + 1,
    }
    scenario = scenario_from_data(data, "explore")
    header = header_event(scenario, 0, last + 1, world.config.base)
    never = last + 1
    for event in events:
        if event.get("arrive", 0) is None:
            event["arrive"] = never
        if event["kind"] == "timer_set" and event["fire"] is None:
            event["fire"] = never
    violation = world.violation
    assert violation is not None
    kinds = [e["kind"] for e in events]
    executed = {n: c.replica.executed for n, c in world.caravans.items() if c is not None}
    events.append(
        {
            "kind": "end",
            "t": last,
            "reason": "violation",
            "decided": None,
            "decided_at": world.sink.decided_at,
            "knowing": [],
            "sent": kinds.count("send"),
            "delivered": kinds.count("deliver"),
            "dropped": {"lost": kinds.count("drop")} if "drop" in kinds else {},
            "duplicated": sum(1 for e in events if e.get("copy_of") is not None),
            "executed": executed,
            "nights": max(executed.values(), default=0),
            "answered": kinds.count("response"),
        }
    )
    for seq, event in enumerate(events, start=1):
        event["seq"] = seq
    return header, events, violation


def _tell(options: Any, result: Any, args: argparse.Namespace, out: IO[str]) -> int:
    from ..narrate import Narrator

    header, events, violation = journey_trace(options, result.path)
    out.write(f"\nSafety broken: {violation.invariant} — {violation.rule}.\n")
    out.write(f"The shortest counterexample takes {len(result.path)} steps (t = step):\n\n")
    if not args.quiet:
        narrator = Narrator("trace", out)
        narrator.recall(header)
        narrator.caravans = list(options.names)
        for event in events:
            if event["kind"] in ("timer_set", "timer_cancel", "end"):
                continue
            narrator(event)
        narrator.flush()
    out.write(f"\nThe invariant that broke at step {len(result.path)}: {violation.invariant}.\n")
    out.write(f"{violation.message}.\n")
    if args.trace:
        from ._explore import _write_trace

        _write_trace(args.trace, header, events)
        out.write(
            f"Trace written to {args.trace}: desert-paxos replay {args.trace} --log-level debug\n"
        )
    return EXIT_VIOLATED
