"""``desert-paxos caravan``: one caravan of a real desert, as ``desert up`` starts it."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_subcommand

__all__ = ["register"]

_DESCRIPTION = """\
One caravan process of a real desert: the protocol core over UDP, its logbook in
DIR/NAME.logbook, its events in DIR/NAME.jsonl. `desert-paxos desert up` starts one
per caravan (with the desert's folder, the life it is in and its UDP socket as an open
file descriptor) and talks to it on its standard input and output; it is not meant
to be started by hand.
"""


def register(subparsers: Any) -> None:
    from ..desert._args import add_caravan_arguments

    p = add_subcommand(
        subparsers,
        "caravan",
        "one caravan process of a real desert (started by `desert up`)",
        "  (started by) desert-paxos desert up calm-day --dir calm\n",
        _DESCRIPTION,
    )
    add_caravan_arguments(p)
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    from ..desert import caravan_main

    return caravan_main(args.name, args.dir, args.incarnation, args.fd)
