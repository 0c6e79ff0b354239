"""``desert-paxos schema``: the JSON Schema of scenario files, for editors."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._common import add_subcommand

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "schema",
        "print the JSON Schema of scenario files",
        "  desert-paxos schema > desert-paxos.schema.json\n",
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    from ..scenario._schema import scenario_json_schema

    del args
    print(json.dumps(scenario_json_schema(), indent=2, sort_keys=True))
    return 0
