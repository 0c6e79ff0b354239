"""``desert-paxos replay``: re-tell a saved trace, in the same two voices."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..narrate import LEVELS, Narrator
from ..narrate._layout import terminal_columns
from ..trace import TraceError, read_trace, summarize_trace
from ._common import EXIT_OK, EXIT_VIOLATED, CliError, add_subcommand

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "replay",
        "re-tell a trace file written by --trace",
        "  desert-paxos run sandstorm-minority --trace storm.jsonl --log-level quiet\n"
        "  desert-paxos replay storm.jsonl --log-level debug\n",
    )
    p.add_argument("trace", metavar="TRACE", help="a JSON Lines trace file")
    p.add_argument("--log-level", choices=list(LEVELS), default="info")
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    try:
        header, events = read_trace(args.trace)
    except TraceError as exc:
        raise CliError(str(exc)) from None
    narrator = Narrator(args.log_level, sys.stdout, width=terminal_columns(sys.stdout))
    narrator.level = max(narrator.level, 0)
    narrator(header)
    for event in events:
        narrator(event)
    # Counted from the events present: a trace cut short is told as incomplete, with what it holds.
    narrator.end = summarize_trace(events)
    narrator.print_summary()
    return EXIT_VIOLATED if narrator.violation is not None else EXIT_OK
