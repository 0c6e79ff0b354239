"""Fitting told lines to a width: wrapping at spaces, counting terminal cells.

A wide character (⛺) takes two cells of a terminal, so widths are counted in
cells, not characters. Lines break only at spaces: a word is never split over
two lines. A single word wider than the whole line (a hostile campsite name) is
cut short with ``…`` instead, so no line is ever wider than asked.

``two_voices`` lays out one event told in both voices: side by side, story on
the left and protocol on the right of a ``│``, when the width leaves each
column room; otherwise the protocol line goes under the story line.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import IO

__all__ = [
    "GLUE",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "PIPE_WIDTH",
    "SIDE_BY_SIDE",
    "cell_width",
    "clip",
    "terminal_columns",
    "terminal_width",
    "two_voices",
    "wrap",
]

MIN_WIDTH = 60  # narrower terminals get 60 columns (and wrap them)
MAX_WIDTH = 200  # wider terminals get 200 columns
PIPE_WIDTH = 80  # what a pipe or a file gets


def terminal_width(stream: IO[str]) -> int:
    """The width to write ``stream`` at: its terminal's, held to 60..200; 80 when not one."""
    try:
        if not stream.isatty():
            return PIPE_WIDTH
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # no terminal behind it, or closed
        return PIPE_WIDTH
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


def terminal_columns(stream: IO[str]) -> int | None:
    """The width to fit on a terminal (held to 60..200); None for a pipe or a file, which get
    whole lines (grep and diff read them better than lines broken at 80)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return None
    return terminal_width(stream) if tty else None


SIDE_BY_SIDE = 120  # from this width on, the two voices stand side by side
GLUE = "\u00a0"  # a no-break space between two words keeps them on one line
# A word: a `quoted command`, a banner "(2, Itri)" with what clings to it, or what the spaces leave.
_TOKEN = re.compile(r"( *)(`[^`]*`[^ ]*|[^ ]*\(\d+, [^ ()]+\)[^ ]*|[^ ]+)")


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_width(text: str) -> int:
    """How many terminal cells ``text`` takes."""
    if text.isascii():
        return len(text)
    return sum(_cells(ch) for ch in text)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in ``…`` when something was cut."""
    if cell_width(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        w = _cells(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` cells.

    The first line keeps the text's own leading spaces and the spacing between
    words is kept as written; every further line starts with ``indent``. A
    command quoted in backticks stays whole on one line, so it can be copied, a
    banner such as ``(2, Itri)`` is never torn apart, and words joined by
    :data:`GLUE` stay together (it prints as a plain space).
    """
    width = max(width, cell_width(indent) + 2)
    out: list[str] = []
    line = ""
    used = 0
    for space, word in _TOKEN.findall(text):
        w = cell_width(word)
        s = cell_width(space)
        if not line:
            prefix = space if not out else indent
            room = width - cell_width(prefix)
            line = prefix + (word if w <= room else clip(word, room))
            used = cell_width(line)
        elif used + s + w <= width:
            line += space + word
            used += s + w
        else:
            out.append(line)
            room = width - cell_width(indent)
            line = indent + (word if w <= room else clip(word, room))
            used = cell_width(line)
    if line or not out:
        out.append(line)
    return [text.replace(GLUE, " ") for text in out]


def two_voices(stamp: str, story: str, protocol: str, width: int) -> list[tuple[str, bool]]:
    """One event told in both voices within ``width`` cells: (line, is_protocol) pairs.

    ``stamp`` is the time column (``t=  120``). From :data:`SIDE_BY_SIDE` cells
    on, the story fills the left three fifths and the protocol the rest, each
    wrapped in its own column; narrower, the protocol follows under the story,
    behind a ``│`` that marks it as the protocol voice.
    """
    pad = " " * (cell_width(stamp) + 2)
    if width >= SIDE_BY_SIDE:
        left = (width - len(pad) - 3) * 3 // 5
        right = width - len(pad) - 3 - left
        stories = wrap(story, left)
        protocols = wrap(protocol, right, "  ")
        rows = max(len(stories), len(protocols))
        stories += [""] * (rows - len(stories))
        protocols += [""] * (rows - len(protocols))
        lines = []
        for i, (s, p) in enumerate(zip(stories, protocols, strict=True)):
            head = f"{stamp}  " if i == 0 else pad
            fill = " " * (left - cell_width(s))
            lines.append(((f"{head}{s}{fill} │ {p}").rstrip(), False))
        return lines
    told = [(line, False) for line in wrap(f"{stamp}  {story}", width, pad)]
    told += [(line, True) for line in wrap(f"{pad}│ {protocol}", width, pad + "│   ")]
    return told
