"""``desert-paxos magic``: what ``make magic`` runs.

On a terminal it opens the REPL on the calm day, time paused at t=0, so a
newcomer finds the caravans waiting for a command. Anywhere else (a pipe, CI,
no stdin) it tells the calm day as a story and exits, as it always did.

``make magic max_log_level=debug scenario=NAME seed=N`` passes its knobs on as
``--log-level``, ``--scenario`` and ``--seed``: the REPL starts at that level
(as if ``/log LEVEL`` had been typed) with that scenario and seed, and the told
run uses them too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import add_subcommand, seed_int

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos magic          on a terminal: the REPL on the calm day; otherwise its story
  desert-paxos magic < /dev/null    always the story
  desert-paxos magic --log-level debug --scenario sandstorm-minority --seed 3
  make magic max_log_level=debug scenario=sandstorm-minority seed=3    the same, from make
"""

# The levels as the narrator names them (imported lazily would cost more than this list).
_LEVELS = ("quiet", "info", "debug", "trace")


def _level(text: str) -> str:
    word = text.strip().lower()
    if word not in _LEVELS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a log level: use one of {', '.join(_LEVELS)} "
            "(make magic max_log_level=LEVEL)"
        )
    return word


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "magic",
        "the first thing to run: the interactive desert on a terminal, else the calm day told",
        _EXAMPLES,
    )
    p.add_argument(
        "--log-level",
        type=_level,
        default="info",
        metavar="LEVEL",
        help="quiet, info (default), debug (+ protocol voice) or trace (+ everything); "
        "make magic max_log_level=LEVEL",
    )
    p.add_argument(
        "--scenario",
        default="calm-day",
        metavar="NAME",
        help="a built-in name or a scenario file (default calm-day); make magic scenario=NAME",
    )
    p.add_argument(
        "--seed",
        type=seed_int,
        help="override the scenario's seed; make magic seed=N",
    )
    p.set_defaults(handler=_main)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # no stdin at all, or a closed one
        return False


def _main(args: argparse.Namespace) -> int:
    from ._common import load_scenario_arg

    scenario = load_scenario_arg(args.scenario)  # a bad name is told (exit 2) either way
    if _stdin_is_terminal():
        from ..repl import run_repl

        return run_repl(args.scenario, scenario, seed=args.seed, level=args.log_level)
    from . import build_parser

    # The told run is `desert-paxos run` itself, with every one of its defaults.
    told = ["run", "--log-level", args.log_level]
    if args.seed is not None:
        told += ["--seed", str(args.seed)]
    run_args = build_parser().parse_args([*told, "--", args.scenario])
    code = int(run_args.handler(run_args))
    sys.stdout.write(
        "\nNext: `desert-paxos learn` teaches Paxos in ten lessons on the live desert;"
        " `desert-paxos scenarios` lists more deserts to cross, and on a terminal"
        " `desert-paxos repl` lets you walk through one.\n"
    )
    return code
