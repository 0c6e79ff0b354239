"""``desert-paxos magic``: what ``make magic`` runs: the calm day, told as a story."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import add_subcommand

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos magic          tell the calm day at log level info
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers, "magic", "the first thing to run: the calm day, narrated", _EXAMPLES
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    from ._run import _main as run_main

    del args
    run_args = argparse.Namespace(
        scenario="calm-day", seed=None, until=None, log_level="info", trace=None
    )
    code = run_main(run_args)
    sys.stdout.write("\nNext: `desert-paxos scenarios` lists more deserts to cross.\n")
    return code
