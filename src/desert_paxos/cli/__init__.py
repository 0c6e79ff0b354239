"""The ``desert-paxos`` command line.

Each subcommand lives in its own module with a ``register(subparsers)``
function; heavy libraries are imported inside the commands that need them, so
``desert-paxos run calm-day --log-level quiet`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Sequence

from .._files import OutputError
from . import (
    _caravan,
    _check,
    _desert,
    _explore,
    _export,
    _learn,
    _linearizable,
    _maelstrom,
    _magic,
    _repl,
    _replay,
    _run,
    _scenarios,
    _schema,
    _serve,
    _swarm,
)
from ._common import EXIT_BAD_INPUT, CliError, HelpFormatter

__all__ = ["main"]

# Subcommand modules, in the order `--help` lists them.
_COMMANDS = (
    _magic,
    _learn,
    _repl,
    _serve,
    _run,
    _replay,
    _export,
    _scenarios,
    _check,
    _schema,
    _explore,
    _swarm,
    _linearizable,
    _desert,
    _caravan,
    _maelstrom,
)

_EPILOG = """\
examples:
  desert-paxos run                          tell the calm day, the default scenario
  desert-paxos run sandstorm-minority --log-level debug
  desert-paxos run my-desert.json --seed 7 --trace out.jsonl
  desert-paxos replay out.jsonl             re-tell a saved trace
  desert-paxos scenarios                    list the built-in scenarios
"""


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="desert-paxos",
        description="Paxos made visible: five caravans agree on a campsite while the desert fights them.",
        epilog=_EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not args_list:
        args_list = ["magic"]
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        code = int(handler(args))
        sys.stdout.flush()  # a full disk behind the output is told here, not at exit
        return code
    except CliError as exc:
        print(f"desert-paxos {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except OutputError as exc:  # a file that cannot or must not be written (see _files)
        print(f"desert-paxos {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        # A write to an open stream (no file name) that a full disk refused: the standard
        # output, since every file goes through _files. Exit 2 (1 says an invariant broke).
        if exc.filename is not None or exc.errno not in _FULL:
            raise
        print(
            f"desert-paxos {args.command}: cannot write to the standard output: {exc.strerror}",
            file=sys.stderr,
        )
        _discard_stdout()
        return EXIT_BAD_INPUT


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _discard_stdout() -> None:
    """Send what is still buffered for the standard output nowhere, so exit does not fail on it."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
