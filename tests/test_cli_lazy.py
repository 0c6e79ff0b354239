"""The command line registers only the command it is given, and ``run`` loads only what it needs."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from desert_paxos.cli import COMMANDS, build_parser


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    raise AssertionError("no subcommands")


def test_the_whole_parser_has_every_command_in_order() -> None:
    assert _commands(build_parser()) == [name for name, _ in COMMANDS]


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_a_command_alone_registers_just_itself(name: str) -> None:
    assert _commands(build_parser(name)) == [name]


def test_anything_else_builds_every_command() -> None:
    assert _commands(build_parser("--help")) == [name for name, _ in COMMANDS]
    assert _commands(build_parser("no-such-command")) == [name for name, _ in COMMANDS]


def test_run_loads_neither_the_multi_paxos_core_nor_other_commands() -> None:
    probe = (
        "import sys, io, contextlib\n"
        "from desert_paxos.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['run', 'calm-day', '--log-level', 'quiet'])\n"
        "heavy = ('desert_paxos.protocol.multi', 'desert_paxos.check._linearizable',\n"
        "         'desert_paxos.maelstrom', 'desert_paxos.explore', 'desert_paxos.swarm',\n"
        "         'desert_paxos.repl', 'desert_paxos.serve', 'asyncio', 'socket')\n"
        "print(code, sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr
