"""The interactive desert: a ``>>>`` REPL with a live map, time travel and a hand on the desert.

``run_repl`` reads commands from a terminal (prompt_toolkit) or a pipe;
``Session`` holds the scenario, the seed, the time machine and the hand-made
events, and answers every command; ``TimeMachine`` walks one run backwards and
forwards; ``draw_desert`` draws the map. Nothing here is imported by
``desert_paxos`` or its CLI until the ``repl`` command runs.
"""

from ._commands import COMMANDS, Command, ReplError, help_lines, parse_line
from ._loop import history_path, run_repl
from ._machine import SNAPSHOT_EVERY, TimeMachine
from ._map import DesertPicture, Rider, draw_desert
from ._screen import Screen
from ._session import Injection, Session
from ._snapshot import SimSnapshot, capture, restore

__all__ = [
    "COMMANDS",
    "SNAPSHOT_EVERY",
    "Command",
    "DesertPicture",
    "Injection",
    "ReplError",
    "Rider",
    "Screen",
    "Session",
    "SimSnapshot",
    "TimeMachine",
    "capture",
    "draw_desert",
    "help_lines",
    "history_path",
    "parse_line",
    "restore",
    "run_repl",
]
