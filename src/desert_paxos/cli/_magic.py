"""``desert-paxos magic``: what ``make magic`` runs.

On a terminal it opens the REPL on the calm day, time paused at t=0, so a
newcomer finds the caravans waiting for a command. Anywhere else (a pipe, CI,
no stdin) it tells the calm day as a story and exits, as it always did.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import add_subcommand

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos magic          on a terminal: the REPL on the calm day; otherwise its story
  desert-paxos magic < /dev/null    always the story
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "magic",
        "the first thing to run: the interactive desert on a terminal, else the calm day told",
        _EXAMPLES,
    )
    p.set_defaults(handler=_main)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # no stdin at all, or a closed one
        return False


def _main(args: argparse.Namespace) -> int:
    del args
    if _stdin_is_terminal():
        from ..repl import run_repl
        from ._common import load_scenario_arg

        return run_repl("calm-day", load_scenario_arg("calm-day"))
    from ._run import _main as run_main

    run_args = argparse.Namespace(
        scenario="calm-day", seed=None, until=None, log_level="info", trace=None
    )
    code = run_main(run_args)
    sys.stdout.write(
        "\nNext: `desert-paxos scenarios` lists more deserts to cross;"
        " on a terminal, `desert-paxos repl` lets you walk through one.\n"
    )
    return code
