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
        "validate scenario files and report every problem at once",
        "  desert-paxos check my-desert.json\n  desert-paxos check a.json b.toml\n"
        "exit codes: 0 all valid, 2 any problem\n",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="scenario files (JSON or TOML) or built-in names"
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for spec in args.files:
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
