"""``desert-paxos linearizable``: is a key-value history linearizable?

Reads any history in the documented JSON Lines format (not only ours), checks
it with :mod:`desert_paxos.check._linearizable` and, with ``--html``, writes
the history view (:mod:`desert_paxos.check._history_view`, imported only then).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any, Final

from .._files import check_output
from .._untrusted import printable
from ..check._linearizable import (
    DEFAULT_MAX_STATES,
    MODELS,
    STATE_BYTES,
    HistoryError,
    LinearizabilityResult,
    check_history,
    describe_operation,
    plural,
    read_history,
)
from ._common import EXIT_OK, EXIT_VIOLATED, CliError, add_subcommand, positive_int

__all__ = ["EXIT_UNKNOWN", "register"]

EXIT_UNKNOWN: Final = 3
DEFAULT_TIMEOUT: Final = 60.0
MAX_TIMEOUT: Final = 86_400.0  # a day
_PREFIX_SHOWN: Final = 10  # the last operations of the longest linearizable prefix printed

_DESCRIPTION = """\
Check a history of reads, writes and compare-and-sets on a key-value store (or on
one register) for linearizability: could every operation have taken effect at
one moment between its invocation and its completion, one copy of the data
answering them all? Any system's history can be checked, not only ours.

The history is JSON Lines, one event per line, in real-time order:
  {"process": P, "type": "invoke"|"ok"|"fail"|"info", "f": "read"|"write"|"cas",
   "key": K, "value": V}
  - P names the client (a whole number or a string); K is a string or a whole
    number (no "key" in the register model); V is any JSON value.
  - A completion (ok, fail, info) matches its process's pending invocation and
    repeats its f. A process runs one operation at a time.
  - ok: it took effect; a read's ok carries the value read (null: a missing key).
  - fail: it took effect and reported failure: a cas whose expected value did not
    match (it saw another value and wrote nothing). Only a cas can fail.
  - info: the outcome is unknown: it may take effect at any later point, or
    never; its process invokes nothing more. An invocation with no completion
    counts as info.
  - For a write the invocation's value is the value written; for a cas, the
    list [expected, new]; a read's invocation has no value.
  Other fields (a time, an index) are allowed and not read.

The search stops at --timeout seconds or --max-states remembered states on one
key, whichever comes first, and then answers "unknown" (exit 3).
"""

_EXAMPLES = """\
  desert-paxos linearizable history.jsonl
  desert-paxos linearizable register.jsonl --model register --timeout 10
  desert-paxos linearizable history.jsonl --html history.html   open it in any browser
exit codes: 0 linearizable, 1 not linearizable (the first operation that cannot be
placed is printed), 2 bad input, 3 unknown (a limit ended the search)
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "linearizable",
        "check a key-value history (JSON Lines) for linearizability",
        _EXAMPLES,
        description=_DESCRIPTION,
    )
    p.add_argument("history", metavar="HISTORY.jsonl", help="the history, one event per line")
    p.add_argument(
        "--model",
        choices=MODELS,
        default="kv",
        help="kv: keys, each its own register, checked one by one (default); "
        "register: one register, no keys",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds the search may take before answering unknown "
        f"(default {DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g})",
    )
    p.add_argument(
        "--max-states",
        type=positive_int,
        default=DEFAULT_MAX_STATES,
        metavar="N",
        help=f"states remembered for one key before answering unknown "
        f"(default {DEFAULT_MAX_STATES:,}; fewer for a key so long that they would take "
        f"more than {STATE_BYTES // 10**6:,} MB)",
    )
    p.add_argument(
        "--html",
        metavar="OUT.html",
        help="also write the history view: one bar per operation, linearization points",
    )
    p.set_defaults(handler=_main)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds, got {text!r}"
        )
    return value


def _main(args: argparse.Namespace) -> int:
    if args.html:  # refused before any work: never over the history itself
        check_output(args.html, what="the history view", inputs=[("history", args.history)])
    try:
        history = read_history(args.history, args.model)
    except HistoryError as exc:
        raise CliError(str(exc)) from None
    result = check_history(history, timeout=args.timeout, max_states=args.max_states)
    print(_report(result, printable(args.history), args))
    if args.html:
        from ..check._history_view import write_history_html

        write_history_html(result, args.html, args.history)
        print(f"wrote {printable(args.html)}: the history view; open it in a browser")
    if result.verdict == "linearizable":
        return EXIT_OK
    return EXIT_VIOLATED if result.verdict == "not linearizable" else EXIT_UNKNOWN


def _report(result: LinearizabilityResult, source: str, args: argparse.Namespace) -> str:
    counts = result.counts()
    on = f" on {plural(counts['keys'], 'key')}" if result.model == "kv" else ""
    lines = [
        f"{source}: {result.verdict} ({result.model} model): "
        f"{plural(counts['operations'], 'operation')}{on} "
        f"({counts['ok']:,} ok, {counts['fail']:,} fail, {counts['info']:,} unknown); "
        f"{counts['states']:,} states searched in {result.seconds:.2f} s"
    ]
    bad = result.first_unplaceable
    if bad is not None:
        lines.append(
            f"the first operation that cannot be placed: {describe_operation(bad, result.model)}"
        )
        prefix = result.longest_prefix
        where = f" on key {_json(bad.key)}" if result.model == "kv" else ""
        lines.append(
            f"the longest linearizable prefix{where} ({plural(len(prefix), 'operation')}), "
            "in the order it was placed:"
        )
        skipped = max(0, len(prefix) - _PREFIX_SHOWN)
        if skipped:
            lines.append(f"  ... {plural(skipped, 'earlier operation')}")
        for n, op in enumerate(prefix[skipped:], start=skipped + 1):
            lines.append(f"  {n}. {describe_operation(op, result.model)}")
    if result.verdict == "unknown":
        checked = (
            f" ({counts['keys_checked'] - 1:,} of {counts['keys']:,} keys checked before it)"
            if result.model == "kv"
            else ""
        )
        lines.append(
            f"{printable(result.reason)}{checked}; to search longer, raise "
            f"--timeout (now {args.timeout:g} s) or --max-states (now {args.max_states:,})"
        )
    return "\n".join(lines)


def _json(value: Any) -> str:
    return printable(json.dumps(value, ensure_ascii=False))
