"""Where the REPL writes: plain lines on a pipe, styled ones on a terminal.

Every command writes through one :class:`Screen`, so the whole session can be
captured in a ``StringIO`` by tests. Colour (``rich``) is used only when asked
for; without it the output is plain text, the same characters minus styles.

Everything written fits the screen's :attr:`Screen.width`: the terminal's
width, read again before each command (the window may have been resized) and
held between :data:`MIN_WIDTH` and :data:`MAX_WIDTH`, or :data:`PIPE_WIDTH`
when the output is not a terminal. Lines are broken at spaces, never inside a
word (``narrate._layout.wrap``).
"""

from __future__ import annotations

from typing import IO, Any

from ..narrate import Narrator
from ..narrate._layout import MAX_WIDTH, MIN_WIDTH, PIPE_WIDTH, terminal_width, wrap
from ._map import DesertPicture

__all__ = ["MAX_WIDTH", "MIN_WIDTH", "PIPE_WIDTH", "Screen", "terminal_width"]


class Screen:
    def __init__(self, stream: IO[str], colour: bool = False, width: int | None = None) -> None:
        self.stream = stream
        self.colour = colour
        self._width = width  # fixed (tests, or a caller that knows); else the terminal's
        self._console: Any = None

    @property
    def width(self) -> int:
        return self._width if self._width is not None else terminal_width(self.stream)

    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self.stream, highlight=False, force_terminal=True, width=self._width
            )
        return self._console

    def say(self, text: str = "", style: str | None = None, indent: str | None = None) -> None:
        """Write ``text`` broken at spaces to the width; further lines start with ``indent``.

        By default a continued line is indented two spaces more than the first.
        """
        width = self.width
        for paragraph in text.split("\n"):
            lead = paragraph[: len(paragraph) - len(paragraph.lstrip(" "))]
            for line in wrap(paragraph, width, lead + "  " if indent is None else indent):
                self._write(line, style)

    def _write(self, line: str, style: str | None) -> None:
        if self.colour and line:
            self.console().print(line, style=style, markup=False, soft_wrap=True)
        else:
            self.stream.write(line + "\n")

    def whole(self, text: str, style: str | None = None) -> None:
        """One line, whatever its length: a command to copy, or an error told in one line.

        On a terminal, rich breaks a line too long for it at spaces; a pipe gets it whole.
        """
        if self.colour and text:
            self.console().print(text, style=style, markup=False)
        else:
            self.stream.write(text + "\n")

    def error(self, text: str) -> None:
        self.whole(text, "bold red")

    def show(self, picture: DesertPicture) -> None:
        if self.colour:
            self.console().print(picture.to_rich(), soft_wrap=True)
        else:
            self.stream.write(picture.plain() + "\n")

    def narrator(
        self, level: str, stream: IO[str] | None = None, colour: bool | None = None
    ) -> Narrator:
        """A narrator at ``level`` writing on this screen (or on ``stream``)."""
        return Narrator(
            level,
            self.stream if stream is None else stream,
            colour=self.colour if colour is None else colour,
            width=self.width,
        )

    def flush(self) -> None:
        self.stream.flush()
