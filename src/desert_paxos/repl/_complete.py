"""Tab completion: commands, caravan names, scenario names, levels and file paths.

The completer reads the session (for the caravans of the desert loaded now)
and the command table; prompt_toolkit is imported here, so this module is only
imported when a terminal REPL starts (or by the tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from ..narrate import LEVELS
from ..scenario import BUILTIN_NAMES
from ._commands import COMMANDS, command_named
from ._session import Session

__all__ = ["ReplCompleter"]

_CARAVAN_COMMANDS = {"crash", "recover", "state", "why"}
_PATH_COMMANDS = {"save"}


class ReplCompleter(Completer):
    def __init__(self, session: Session) -> None:
        self.session = session
        self._paths = PathCompleter(expanduser=True)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        stripped = text.lstrip()
        if " " not in stripped:
            word = stripped
            bare = word.lstrip("/").lower()
            for c in COMMANDS:
                if c.name.startswith(bare):
                    yield Completion(
                        f"/{c.name}", start_position=-len(word), display_meta=c.summary
                    )
            return
        head, _, rest = stripped.partition(" ")
        command = command_named(head)
        if command is None:
            return
        words = rest.split(" ")
        current = words[-1]
        match command.name:
            case name if name in _CARAVAN_COMMANDS:
                if len(words) == 1:
                    yield from self._caravans(current)
            case "propose":
                if len(words) == 1:
                    yield from self._caravans(current)
                else:
                    yield from self._campsites(rest[len(words[0]) :].lstrip())
            case "sandstorm":
                piece = current.replace("|", ",").split(",")[-1]
                yield from self._caravans(piece)
            case "log":
                yield from _matching(LEVELS, current)
            case "help":
                yield from _matching([*(c.name for c in COMMANDS), "words"], current)
            case "load":
                yield from _matching(BUILTIN_NAMES, current)
                yield from self._path(current)
            case "export":
                if len(words) == 1:
                    yield from _matching(("trace",), current)
                else:
                    yield from self._path(rest[len(words[0]) :].lstrip())
            case name if name in _PATH_COMMANDS:
                yield from self._path(rest)

    def _caravans(self, prefix: str) -> Iterator[Completion]:
        yield from _matching(self.session.names, prefix)

    def _campsites(self, prefix: str) -> Iterator[Completion]:
        seen = sorted({p.campsite for p in self.session.scenario.proposals})
        yield from _matching(seen, prefix)

    def _path(self, text: str) -> Iterator[Completion]:
        yield from self._paths.get_completions(Document(text, len(text)), CompleteEvent())


def _matching(options: Iterable[str], prefix: str) -> Iterator[Completion]:
    for option in options:
        if option.lower().startswith(prefix.lower()):
            yield Completion(option, start_position=-len(prefix))
