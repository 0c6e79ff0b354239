"""``desert-paxos repl``: the interactive desert, paused at t=0, waiting for commands."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_scenario_arguments, add_subcommand, load_scenario_arg

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos repl                          the calm day, time paused at t=0
  desert-paxos repl sandstorm-minority --seed 3
  desert-paxos repl < lessons/first-sandstorm.txt
  desert-paxos repl --echo < lessons/first-sandstorm.txt   commands shown after >>>
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "repl",
        "the interactive desert: step, rewind, and change the desert by hand",
        _EXAMPLES,
    )
    add_scenario_arguments(p)
    p.add_argument(
        "--echo",
        action="store_true",
        help="when reading a pipe, print each command after the >>> prompt",
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    from ..repl import run_repl

    scenario = load_scenario_arg(args.scenario)
    return run_repl(args.scenario, scenario, seed=args.seed, echo=args.echo)
