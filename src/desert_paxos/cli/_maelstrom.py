"""``desert-paxos maelstrom-node``: a node of Maelstrom's lin-kv workload over Multi-Paxos."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_subcommand

__all__ = ["register"]

_DESCRIPTION = """\
A Maelstrom node (Jepsen's workbench): reads Maelstrom's JSON messages on standard
input, writes its own on standard output, tells on standard error. After `init` it
serves the lin-kv workload (read, write, cas; errors 20 key does not exist, 22 cas
precondition failed, 11 temporarily unavailable: not done, try again, 0 timeout:
may still take effect) through the Multi-Paxos core of the long journey, one
caravan per node, its logbook in memory (Maelstrom does not restart nodes). It ends
when standard input ends. Maelstrom's --bin wants one executable: the same node is
installed as `desert-paxos-maelstrom`.
"""


def register(subparsers: Any) -> None:
    from ..maelstrom._run import add_node_arguments

    p = add_subcommand(
        subparsers,
        "maelstrom-node",
        "a Maelstrom lin-kv node over the Multi-Paxos core (JSON lines on stdin/stdout)",
        "  ./maelstrom test -w lin-kv --bin .venv/bin/desert-paxos-maelstrom --node-count 3 \\\n"
        "      --concurrency 4n --time-limit 20 --nemesis partition\n",
        _DESCRIPTION,
    )
    add_node_arguments(p)
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    from ..maelstrom._run import run_node

    return run_node(args)
