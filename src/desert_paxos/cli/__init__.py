"""The ``desert-paxos`` command line.

Each subcommand lives in its own module with a ``register(subparsers)``
function; heavy libraries are imported inside the commands that need them, so
``desert-paxos run calm-day --log-level quiet`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from .._files import OutputError
from ._common import EXIT_BAD_INPUT, CliError, HelpFormatter

__all__ = ["main"]

# Each subcommand's name and the module that registers it, in the order `--help` lists them.
# A command line naming one of them registers only that module (so `desert-paxos run` imports
# what `run` needs and nothing else); anything else (`--help`, `--version`, a typo) builds them
# all. tests/test_cli_lazy.py checks that each module registers exactly the name given here.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("magic", "_magic"),
    ("learn", "_learn"),
    ("repl", "_repl"),
    ("serve", "_serve"),
    ("run", "_run"),
    ("replay", "_replay"),
    ("export", "_export"),
    ("scenarios", "_scenarios"),
    ("check", "_check"),
    ("schema", "_schema"),
    ("explore", "_explore"),
    ("swarm", "_swarm"),
    ("linearizable", "_linearizable"),
    ("desert", "_desert"),
    ("caravan", "_caravan"),
    ("maelstrom-node", "_maelstrom"),
)
_MODULES = dict(COMMANDS)


def _command_module(module: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{module}")


_EPILOG = """\
examples:
  desert-paxos run                          tell the calm day, the default scenario
  desert-paxos run sandstorm-minority --log-level debug
  desert-paxos run my-desert.json --seed 7 --trace out.jsonl
  desert-paxos replay out.jsonl             re-tell a saved trace
  desert-paxos scenarios                    list the built-in scenarios
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (``command`` one of COMMANDS' names) one with only that command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="desert-paxos",
        description="Paxos made visible: five caravans agree on a campsite while the desert fights them.",
        epilog=_EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [_MODULES[command]] if command in _MODULES else [m for _, m in COMMANDS]
    for module in modules:
        _command_module(module).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        args_list = ["magic"]
    parser = build_parser(args_list[0])
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
