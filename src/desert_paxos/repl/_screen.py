"""Where the REPL writes: plain lines on a pipe, styled ones on a terminal.

Every command writes through one :class:`Screen`, so the whole session can be
captured in a ``StringIO`` by tests. Colour (``rich``) is used only when asked
for; without it the output is plain text, the same characters minus styles.
"""

from __future__ import annotations

from typing import IO, Any

from ..narrate import Narrator
from ._map import DesertPicture

__all__ = ["Screen"]


class Screen:
    def __init__(self, stream: IO[str], colour: bool = False) -> None:
        self.stream = stream
        self.colour = colour
        self._console: Any = None

    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stream, highlight=False, force_terminal=True)
        return self._console

    def say(self, text: str = "", style: str | None = None) -> None:
        if self.colour and text:
            # Words wrap at the terminal's width; pipes get whole lines.
            self.console().print(text, style=style, markup=False)
        else:
            self.stream.write(text + "\n")

    def error(self, text: str) -> None:
        self.say(text, "bold red")

    def show(self, picture: DesertPicture) -> None:
        if self.colour:
            self.console().print(picture.to_rich(), soft_wrap=True)
        else:
            self.stream.write(picture.plain() + "\n")

    def narrator(self, level: str) -> Narrator:
        return Narrator(level, self.stream, colour=self.colour)

    def flush(self) -> None:
        self.stream.flush()
