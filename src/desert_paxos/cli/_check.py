"""``desert-paxos check``: validate scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..scenario import ScenarioError, resolve_scenario
from ._common import EXIT_BAD_INPUT, EXIT_OK, add_subcommand

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "check",
        "validate scenario and lesson files and report every problem at once",
        "  desert-paxos check my-desert.json\n  desert-paxos check a.json b.toml\n"
        "exit codes: 0 all valid, 2 any problem\n",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="scenario files (JSON or TOML), built-in names, or lesson files (.toml)",
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for spec in args.files:
        if _is_lesson_file(spec):
            code = max(code, _check_lesson(spec))
            continue
        try:
            s = resolve_scenario(spec)
        except ScenarioError as exc:
            print(exc.render(), file=sys.stderr)
            code = EXIT_BAD_INPUT
            continue
        print(
            f"{spec}: ok — {s.name!r}: {len(s.caravans)} caravans, quorums {s.q1}/{s.q2}, "
            f"{len(s.proposals)} proposal(s), {len(s.timeline)} desert event(s), until t={s.until}"
        )
    return code


def _is_lesson_file(spec: str) -> bool:
    """A TOML file with a [lesson] table (unreadable ones are left to the scenario checks)."""
    from .._untrusted import SCENARIO_LIMIT, InputError, decode_utf8, loads_toml, read_file
    from ..course import is_lesson_data

    if not spec.lower().endswith(".toml"):
        return False
    try:
        text = decode_utf8(read_file(spec, SCENARIO_LIMIT), "lesson file")
        return is_lesson_data(loads_toml(text.removeprefix("\ufeff")))
    except (InputError, OSError):
        return False


def _check_lesson(spec: str) -> int:
    from ..course import load_lesson_file

    try:
        lesson = load_lesson_file(spec)
    except ScenarioError as exc:
        print(exc.render().replace("in this scenario", "in this lesson", 1), file=sys.stderr)
        return EXIT_BAD_INPUT
    kinds = [step.kind for step in lesson.steps]
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("read", "do", "predict", "challenge"))
    print(
        f"{spec}: ok — lesson {lesson.number}, {lesson.title!r}: {len(lesson.steps)} steps "
        f"({counts}) on {lesson.scenario_spec!r}"
    )
    return EXIT_OK
