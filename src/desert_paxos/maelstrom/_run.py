"""The Maelstrom node's process: standard input read on a thread, the node on an asyncio loop.

Theory of operation
-------------------
A thread reads standard input line by line (pipes, files and terminals alike)
and hands each line to the loop with ``call_soon_threadsafe``; the node and its
timers run on the loop only, one handler at a time. Standard output carries
the protocol's messages and nothing else, one JSON line each, flushed at once;
everything the node tells goes to standard error.

A line longer than :data:`MAX_LINE` bytes is skipped and told, as is one that
is not UTF-8. The process ends when standard input ends: every timer is
cancelled and it exits 0. A handler that raises is a bug in the node or the
core, not bad input: the process then ends at once with one line on standard
error and exit code 70, never half-applying the core's effects.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO, Final

from ..protocol.multi import JOURNEY_VARIANTS
from ._node import MaelstromNode

__all__ = ["MAX_LINE", "add_node_arguments", "main", "run_node"]

MAX_LINE: Final = 4 * 1024 * 1024  # bytes of one input line (riders carry votes and snapshots)
_PREFIX: Final = "desert-paxos maelstrom-node"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 60_000:
        raise argparse.ArgumentTypeError(f"expected 1 to 60000, got {value}")
    return value


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tick-ms",
        type=_positive,
        default=5,
        help="milliseconds per tick of the core's timers (default 5: a heartbeat every "
        "200 ms, an election after 0.75-1.5 s without one)",
    )
    parser.add_argument(
        "--timeout-ms",
        type=_positive,
        default=2000,
        help="a client request not answered by then gets error 0 (timeout: it may still "
        "take effect) (default 2000)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the node's draws (election timeouts)"
    )
    parser.add_argument(
        "--variant",
        choices=list(JOURNEY_VARIANTS),
        default="paxos",
        help="paxos (default), or a broken journey that Maelstrom's checker (and the "
        "tests' harness) should catch: " + ", ".join(list(JOURNEY_VARIANTS)[1:]),
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also tell every request asked and night executed"
    )


def _write(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _reader(stream: BinaryIO, loop: asyncio.AbstractEventLoop, node: MaelstromNode) -> None:
    """Read lines until the input ends; hand each to the loop (runs on its own thread)."""

    def tell(text: str) -> None:
        loop.call_soon_threadsafe(node.bad_input, text)

    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of the long line
                line = stream.readline(MAX_LINE)
            tell(f"a line longer than {MAX_LINE} bytes, skipped")
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            tell(f"a line that is not UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        loop.call_soon_threadsafe(node.on_line, text)


async def _serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_on_loop_error)
    ended = loop.create_future()
    holder: list[MaelstromNode] = []

    def log(text: str) -> None:
        who = holder[0].node_id if holder and holder[0].node_id else "-"
        print(f"{_PREFIX} {who}: {text}", file=sys.stderr, flush=True)

    node = MaelstromNode(
        loop,
        _write,
        log,
        tick_ms=args.tick_ms,
        timeout_ms=args.timeout_ms,
        seed=args.seed,
        verbose=args.verbose,
        variant=args.variant,
    )
    holder.append(node)

    def end() -> None:
        if not ended.done():
            ended.set_result(None)

    def read() -> None:
        try:
            _reader(sys.stdin.buffer, loop, node)
        finally:
            loop.call_soon_threadsafe(end)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    try:
        await ended
    finally:
        node.close()
        counts = ", ".join(f"{k} {v}" for k, v in sorted(node.counts.items()))
        log(f"input ended; {counts or 'nothing done'}")


def _on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    error = context.get("exception")
    print(f"{_PREFIX}: internal error: {context.get('message')}: {error!r}", file=sys.stderr)
    sys.stderr.flush()
    os._exit(70)


def run_node(args: argparse.Namespace) -> int:
    """Serve Maelstrom's protocol on standard input and output until the input ends."""
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # Maelstrom stopped reading: nothing left to say
        return 0
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``desert-paxos-maelstrom``: the node as the single executable Maelstrom's --bin wants."""
    parser = argparse.ArgumentParser(
        prog="desert-paxos-maelstrom",
        description="A Maelstrom lin-kv node over the Multi-Paxos core "
        "(the same as `desert-paxos maelstrom-node`).",
    )
    add_node_arguments(parser)
    return run_node(parser.parse_args(argv))
