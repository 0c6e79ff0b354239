"""``desert-paxos scenarios``: the built-in library, one line each."""

from __future__ import annotations

import argparse
from typing import Any

from ..scenario import BUILTIN_NAMES, JOURNEY_NAMES, load_builtin
from ._common import add_subcommand

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "scenarios",
        "list the built-in scenarios, one line each",
        "  desert-paxos scenarios\n  desert-paxos run $(desert-paxos scenarios --names | head -1)\n",
    )
    p.add_argument("--names", action="store_true", help="print only the names")
    p.set_defaults(handler=_main)


def first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot and not head.endswith(".") else "")


def _main(args: argparse.Namespace) -> int:
    names = BUILTIN_NAMES + JOURNEY_NAMES  # the one-campsite days, then the long journeys
    width = max(len(n) for n in names)
    for name in names:
        if args.names:
            print(name)
            continue
        scenario = load_builtin(name)
        print(f"{name:<{width}}  {first_sentence(scenario.description)}")
    return 0
