"""``desert-paxos schema``: the JSON Schema of scenario files (or, with ``--trace``, of trace
lines), for editors and other tools."""

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
        "print the JSON Schema of scenario files (--trace: of trace lines)",
        "  desert-paxos schema > desert-paxos.schema.json\n"
        "  desert-paxos schema --trace > desert-paxos-trace.schema.json\n",
    )
    p.add_argument(
        "--trace",
        action="store_true",
        help="the contract of a trace's lines instead (JSON Lines: the header, then events)",
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    if args.trace:
        from ..trace._contract import trace_json_schema

        schema = trace_json_schema()
    else:
        from ..scenario._schema import scenario_json_schema

        schema = scenario_json_schema()
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0
