"""The REPL's commands: their table, the help text, and reading one input line.

Theory of operation
-------------------
One table (:data:`COMMANDS`) is the single source of the command names, their
arguments, the one-line descriptions and the examples: ``/help`` prints it,
completion offers it, and the docs are checked against it. :func:`parse_line`
turns any text at all into a command and its arguments, or raises
:class:`ReplError` with one line that says what is wrong and what would be
right (did you mean ``/crash``?). Nothing here touches the desert.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

__all__ = [
    "COMMANDS",
    "MAX_LINE",
    "Command",
    "ReplError",
    "command_named",
    "help_lines",
    "parse_line",
]

MAX_LINE = 1000


class ReplError(Exception):
    """A mistake in one input line: printed as one line, the session goes on untouched."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str
    summary: str
    example: str
    section: str

    @property
    def synopsis(self) -> str:
        return f"/{self.name} {self.usage}".rstrip()


_TIME, _LOOK, _HAND, _SESSION = (
    "Moving through time",
    "Looking at the desert",
    "Changing the desert by hand",
    "The session",
)

COMMANDS: tuple[Command, ...] = (
    Command("step", "[n]", "let the next n events happen (default 1)", "/step 5", _TIME),
    Command(
        "run",
        "[T | +dt]",
        "to tick T, dt ticks more, or until the desert is quiet",
        "/run +100",
        _TIME,
    ),
    Command(
        "play",
        "[speed]",
        "animate the map, speed ticks a second (default 40)",
        "/play 100",
        _TIME,
    ),
    Command("back", "[n]", "travel back n steps (default 1), exactly as it was", "/back 3", _TIME),
    Command(
        "goto", "T | ±dt", "travel to tick T, or dt ticks on (+) or back (-)", "/goto 120", _TIME
    ),
    Command("map", "", "draw caravans, riders on the sand and sandstorms", "/map", _LOOK),
    Command(
        "state",
        "[caravan]",
        "promise, vote, phase, decision; a journey's nights too",
        "/state Itri",
        _LOOK,
    ),
    Command(
        "inflight",
        "",
        "riders on the sand: what, where to, arriving when",
        "/inflight",
        _LOOK,
    ),
    Command(
        "timeline", "[n]", "the last n events (default 20), in both voices", "/timeline 40", _LOOK
    ),
    Command(
        "why",
        "[caravan]",
        "why a caravan acted as it did, and the rule at work",
        "/why Taziri",
        _LOOK,
    ),
    Command("leader", "", "on a journey: who leads, and whom the others follow", "/leader", _LOOK),
    Command(
        "request",
        "T OP KEY [N]",
        "traveller T asks get K, put K N or cas K OLD NEW",
        "/request Ines put water 40",
        _HAND,
    ),
    Command("crash", "C", "collapse caravan C now (its logbook survives)", "/crash Itri", _HAND),
    Command("recover", "C", "bring collapsed caravan C back on its feet", "/recover Itri", _HAND),
    Command(
        "sandstorm",
        "A,B | C,D,E",
        "split the desert: no rider crosses between groups",
        "/sandstorm Aghilas,Taziri | Amastan,Itri,Tassadit",
        _HAND,
    ),
    Command("calm", "", "end the sandstorm: every path is open again", "/calm", _HAND),
    Command("drop", "ID", "lose one rider in flight (ids in /inflight)", "/drop 12", _HAND),
    Command(
        "propose",
        "C CAMPSITE",
        "caravan C raises its banner for a campsite",
        "/propose Taziri Ksar Ghilane",
        _HAND,
    ),
    Command(
        "loss", "P", "from now on lose riders with probability P (0.3, 30%)", "/loss 30%", _HAND
    ),
    Command("delay", "MIN MAX", "from now on riders take MIN to MAX ticks", "/delay 5 80", _HAND),
    Command(
        "log",
        "LEVEL | C",
        "quiet, info, debug, trace; on a journey: C's nights",
        "/log debug",
        _SESSION,
    ),
    Command(
        "seed",
        "N",
        "start over at t=0 with seed N, hand-made events cleared",
        "/seed 7",
        _SESSION,
    ),
    Command(
        "save",
        "FILE",
        "write the session as a scenario `run` replays exactly",
        "/save my-storm.json",
        _SESSION,
    ),
    Command(
        "load",
        "SCENARIO",
        "start over with a built-in scenario or a scenario file",
        "/load sandstorm-minority",
        _SESSION,
    ),
    Command(
        "export",
        "trace FILE",
        "write the session's trace so far (JSON Lines)",
        "/export trace session.jsonl",
        _SESSION,
    ),
    Command(
        "help",
        "[command|words]",
        "list the commands, explain one, or the glossary",
        "/help words",
        _SESSION,
    ),
    Command("quit", "", "leave the desert (Ctrl-D too)", "/quit", _SESSION),
)

_BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}


def command_named(word: str) -> Command | None:
    return _BY_NAME.get(word.lower().lstrip("/"))


def help_lines() -> list[str]:
    """The text of ``/help``: every command with its description and an example."""
    lines: list[str] = []
    section = ""
    for c in COMMANDS:
        if c.section != section:
            section = c.section
            lines.append(f"{section}:" if not lines else f"\n{section}:")
        lines.append(f"  {c.synopsis:<22} {c.summary}")
        lines.append(f"  {'':<22} e.g. {c.example}")
    lines.append("\n/help words prints the glossary: the story's words and the Paxos terms.")
    lines.append("Ctrl-C pauses /run and /play; Ctrl-D leaves. Tab completes.")
    lines.append("Without the slash works too where unambiguous: `step 3`, `crash Itri`.")
    return lines


def _suggest(word: str) -> str:
    names = [c.name for c in COMMANDS]
    close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.5)
    if not close:
        close = [n for n in names if n.startswith(word.lower()[:2])][:1] if word else []
    return f"did you mean /{close[0]}? " if close else ""


def _check_text(line: str) -> None:
    if len(line) > MAX_LINE:
        raise ReplError(
            f"that line is {len(line)} characters long; commands are short (/help lists them)"
        )
    for column, ch in enumerate(line, start=1):
        if ch == "\ufffd":
            raise ReplError(
                f"column {column} holds bytes that are not UTF-8 text; type commands as "
                "plain text (/help lists them)"
            )
        if ch != "\t" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise ReplError(
                f"column {column} holds a control character ({ch!r}); type commands as "
                "plain text (/help lists them)"
            )


def parse_line(line: str) -> tuple[Command, list[str], str] | None:
    """The command, its arguments and the raw text after the command word.

    None for a comment (``# ...``). Raises :class:`ReplError` for everything else
    that is not a command.
    """
    line = line.removeprefix("\ufeff")  # the byte-order mark an editor may start a file with
    _check_text(line)
    text = line.strip()
    if not text:
        raise ReplError("empty line: type /help for the commands, or /step to let one event happen")
    if text.startswith("#"):
        return None
    word, _, rest = text.partition(" ")
    rest = rest.strip()
    slashed = word.startswith("/")
    name = word[1:].lower() if slashed else word.lower()
    command = _BY_NAME.get(name)
    if command is None and slashed and name:
        prefixed = [c for c in COMMANDS if c.name.startswith(name)]
        if len(prefixed) == 1:
            command = prefixed[0]
        elif len(prefixed) > 1:
            options = ", ".join(f"/{c.name}" for c in prefixed)
            raise ReplError(f"/{name} could be {options}; type more of it")
    if command is None:
        shown = word if len(word) <= 30 else word[:29] + "…"
        if not slashed:
            raise ReplError(
                f"unknown command {shown!r}: {_suggest(name)}commands start with / "
                "(type /help for the list)"
            )
        raise ReplError(f"unknown command {shown!r}: {_suggest(name)}type /help for the list")
    return command, rest.split(), rest
