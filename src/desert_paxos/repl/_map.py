"""The map: a picture of the desert at one moment, as wide as the screen.

Theory of operation
-------------------
The map is drawn at a given width (the REPL's screen: 60 to 200 columns, 80
on a pipe); every line of it fits, so a terminal never wraps it. The caravans
stand at fixed places on an ellipse (the first at the top, the others
clockwise), each drawn as a small label in the glossary's words: its name
(with ⛺ once it knows the campsite), its promise, its vote, and its banner as
a proposer or the campsite it knows. A label is as wide as the map leaves room
for; a fact too long for it is broken at spaces onto the next line (never
inside a word), and the map grows taller to hold the tallest label. Riders in
flight are single letters placed along
the straight path between sender and receiver at the fraction of the journey
already covered (``(now - sent) / (arrive - sent)``), on the part of the path
that lies between the two labels. A sandstorm is drawn as ``≋≋≋`` halfway
between every two caravans it separates, which together make a wall between
the groups.

The status lines and the legend under the map are broken at spaces too.

The picture is a grid of cells, each a character and a style. ``plain()``
gives the text without colour (what golden tests pin and pipes get);
``to_rich()`` gives a ``rich`` Text with the styles, imported only then. Wide
characters (⛺) take two cells; the second is left empty when printed.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..narrate import RIDER_WORDS
from ..narrate._layout import GLUE, cell_width, clip, wrap
from ..protocol import AcceptorRecord, Ballot, Caravan
from ..protocol._proposer import ACCEPTING, BACKING_OFF, PREPARING

__all__ = ["RIDER_GLYPHS", "DesertPicture", "Rider", "draw_desert"]

WIDTH = 80  # the width when none is given (a pipe's)
MIN_ROWS = 13  # rows inside the frame, at least
LABEL_MAX = 36  # a label is never wider than this, however wide the screen

RIDER_GLYPHS: dict[str, tuple[str, str]] = {
    "prepare": ("P", "bold cyan"),
    "promise": ("p", "cyan"),
    "accept": ("A", "bold magenta"),
    "accepted": ("a", "magenta"),
    "nack": ("N", "bold red"),
    "decided": ("D", "bold green"),
    "inquire": ("?", "yellow"),
}
# What each rider carries, in the story voice's own words, then how a label writes numbers.
_LEGEND = (
    *(f"{glyph} {RIDER_WORDS[kind]}" for kind, (glyph, _) in RIDER_GLYPHS.items()),
    "(r,C) banner: round r of caravan C",
    "k/q: k of the q a majority needs",
)

Cell = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class Rider:
    """One message on the sand: where it comes from and goes, and when."""

    msg_id: int
    src: str
    dst: str
    kind: str  # the message type: prepare, promise, ...
    sent: int
    arrive: int
    doomed: bool  # the desert already decided this rider is lost


@dataclass(frozen=True, slots=True)
class DesertPicture:
    rows: tuple[tuple[Cell, ...], ...]
    # Where each caravan's label stands: (name, left, top, right, bottom), inside the frame.
    labels: tuple[tuple[str, int, int, int, int], ...] = ()

    def plain(self) -> str:
        return "\n".join("".join(ch for ch, _ in row).rstrip() for row in self.rows)

    def to_rich(self) -> Any:
        from rich.text import Text

        text = Text()
        for i, row in enumerate(self.rows):
            if i:
                text.append("\n")
            for ch, style in row:
                if ch:
                    text.append(ch, style=style or "")
        return text


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _banner(ballot: Ballot) -> str:
    """A banner, compact: ``(2,Itri)`` (the legend says what it is)."""
    return f"({ballot.round},{ballot.caravan})"


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]
        self.taken: list[list[bool]] = [[False] * width for _ in range(height)]

    def free(self, x: int, y: int) -> bool:
        return 0 <= x < self.width and 0 <= y < self.height and not self.taken[y][x]

    def put(self, x: int, y: int, text: str, style: str | None, take: bool = True) -> None:
        if not 0 <= y < self.height:
            return
        for ch in text:
            w = _cells(ch)
            if x < 0 or x + w > self.width:
                x += w
                continue
            self.cells[y][x] = (ch, style)
            if take:
                self.taken[y][x] = True
            if w == 2:
                self.cells[y][x + 1] = ("", style)
                if take:
                    self.taken[y][x + 1] = True
            x += w


def places(
    names: tuple[str, ...], width: int, height: int, label_width: int
) -> dict[str, tuple[float, float]]:
    """Where each caravan stands: on an ellipse, the first at the top, then clockwise.

    From six caravans on, an ellipse crowds the labels, so they stand in two rows
    instead (the top row left to right, the bottom row back), still a ring.
    """
    n = len(names)
    if n >= 6:
        top = (n + 1) // 2
        bottom = n - top
        out_rows: dict[str, tuple[float, float]] = {}
        for i, name in enumerate(names):
            if i < top:
                out_rows[name] = ((i + 0.5) * width / top, 1.0)
            else:
                j = n - 1 - i  # right to left along the bottom
                out_rows[name] = ((j + 0.5) * width / bottom, height - 3.0)
        return out_rows
    cx, cy = (width - 1) / 2, (height - 1) / 2
    rx, ry = width / 2 - label_width / 2 - 1, (height - 1) / 2 - 1
    out: dict[str, tuple[float, float]] = {}
    for i, name in enumerate(names):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        out[name] = (cx + rx * math.cos(angle), cy + ry * math.sin(angle))
    return out


def _facts(
    name: str, caravan: Caravan | None, logbook: AcceptorRecord | None
) -> list[tuple[str, str | None]]:
    """What a label says, one fact a line, in the glossary's words."""
    record = logbook if caravan is None else caravan.acceptor.record
    if record is not None and record.accepted_ballot is not None:
        vote = f"vote {record.accepted_value} {_banner(record.accepted_ballot)}"
    else:
        vote = "no vote yet" if caravan is not None else "no vote"
    if caravan is None:
        promised = None if logbook is None else logbook.promised
        kept = f"logbook: promise {_banner(promised)}" if promised else "logbook: no promise"
        return [(f"✗ {name}", "bold red"), ("collapsed", "red"), (kept, "dim"), (vote, "dim")]
    decided = caravan.learner.decided
    promise = caravan.acceptor.promised
    facts: list[tuple[str, str | None]] = [
        (f"{name} ⛺" if decided is not None else name, "bold green" if decided else "bold"),
        (f"promise {_banner(promise)}" if promise is not None else "no promise yet", None),
        (vote, None),
    ]
    p = caravan.proposer
    if decided is not None:
        facts.append((f"⛺ knows {decided.value}", "bold green"))
    elif p.phase == PREPARING and p.ballot is not None:
        need = caravan.config.phase1_quorum
        got = f"{len(p.promises)}/{need}{GLUE}promises"
        facts.append((f"banner {_banner(p.ballot)}: {got}", "cyan"))
    elif p.phase == ACCEPTING and p.ballot is not None:
        need = caravan.config.phase2_quorum
        got = f"{len(p.votes)}/{need}{GLUE}votes"
        facts.append((f"banner {_banner(p.ballot)}: {got}", "magenta"))
    elif p.phase == BACKING_OFF:
        facts.append(("waits, then a higher banner", "yellow"))
    return facts


def _label(facts: list[tuple[str, str | None]], width: int) -> list[tuple[str, str | None]]:
    """The facts broken at spaces into lines of at most ``width`` cells."""
    return [(line, style) for text, style in facts for line in wrap(text, width, " ")]


def _segment_outside(
    a: tuple[float, float], b: tuple[float, float], boxes: list[tuple[int, int, int, int]]
) -> tuple[float, float] | None:
    """The part [s, e] of the path a→b that lies outside every label box."""
    steps = 60
    outside = []
    for i in range(steps + 1):
        f = i / steps
        x, y = round(a[0] + (b[0] - a[0]) * f), round(a[1] + (b[1] - a[1]) * f)
        if not any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in boxes):
            outside.append(f)
    if not outside:
        return None
    return outside[0], outside[-1]


def draw_desert(
    *,
    caravans: dict[str, Caravan | None],
    logbooks: dict[str, AcceptorRecord],
    riders: list[Rider],
    groups: list[list[str]] | None,
    now: int,
    title: str,
    status: list[str],
    width: int = WIDTH,
) -> DesertPicture:
    """The desert at ``now``, every line at most ``width`` cells wide (60 at least)."""
    width = max(60, width)
    inner = width - 2
    names = tuple(caravans)
    per_row = (len(names) + 1) // 2 if len(names) >= 6 else 3
    label_width = max(4, min(LABEL_MAX, inner // per_row - 2))
    labels = {
        name: _label(_facts(name, caravans[name], logbooks.get(name)), label_width)
        for name in names
    }
    tallest = max((len(lines) for lines in labels.values()), default=4)
    # The map grows taller until no two labels touch (tall labels on a narrow screen).
    height = max(MIN_ROWS, 2 * tallest + 5)
    boxes = _boxes(labels, inner, height, label_width)
    while _overlapping(boxes) and height < 4 * tallest + 12:
        height += 1
        boxes = _boxes(labels, inner, height, label_width)
    canvas = _Canvas(inner, height)
    for name, (left, first_row, right, bottom) in boxes.items():
        for y in range(first_row, bottom + 1):  # the whole label is kept clear of riders
            canvas.taken[y][left : right + 1] = [True] * (right + 1 - left)
        for i, (text, style) in enumerate(labels[name]):
            canvas.put(left, first_row + i, text, style)
    centres = {name: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for name, b in boxes.items()}
    # A column of sand on each side of a label keeps riders from touching the text.
    all_boxes = [(x0 - 1, y0, x1 + 1, y1) for x0, y0, x1, y1 in boxes.values()]
    if groups:
        group_of = {name: i for i, group in enumerate(groups) for name in group}
        for i, a in enumerate(names):
            for other in names[i + 1 :]:
                if group_of.get(a) == group_of.get(other):
                    continue
                span = _segment_outside(centres[a], centres[other], all_boxes)
                if span is None:
                    continue
                mid = (span[0] + span[1]) / 2
                mx = round(centres[a][0] + (centres[other][0] - centres[a][0]) * mid)
                my = round(centres[a][1] + (centres[other][1] - centres[a][1]) * mid)
                for dx in (-1, 0, 1):
                    if canvas.free(mx + dx, my):
                        canvas.put(mx + dx, my, "≋", "bold yellow", take=False)
    for rider in riders:
        if rider.src == rider.dst or rider.src not in centres or rider.dst not in centres:
            continue
        span = _segment_outside(centres[rider.src], centres[rider.dst], all_boxes)
        if span is None:
            continue
        journey = max(1, rider.arrive - rider.sent)
        covered = min(1.0, max(0.0, (now - rider.sent) / journey))
        f = span[0] + (span[1] - span[0]) * covered
        start, end = centres[rider.src], centres[rider.dst]
        x = round(start[0] + (end[0] - start[0]) * f)
        y = round(start[1] + (end[1] - start[1]) * f)
        glyph, style = RIDER_GLYPHS.get(rider.kind, ("•", None))
        if canvas.free(x, y):
            canvas.put(x, y, glyph, "dim" if rider.doomed else style)
    top_text = clip(f"─ {title} ", inner)
    top: list[Cell] = [("╭", "dim")]
    top += _row(top_text, "bold") + [("─", "dim")] * (inner - cell_width(top_text))
    top.append(("╮", "dim"))
    rows: list[tuple[Cell, ...]] = [tuple(top)]
    for line in canvas.cells:
        rows.append((("│", "dim"), *line, ("│", "dim")))
    rows.append(tuple([("╰", "dim")] + [("─", "dim")] * inner + [("╯", "dim")]))
    for text in status:
        rows.extend(tuple(_row(line, None)) for line in wrap(text, width, "  "))
    rows.extend(tuple(_row(line, "dim")) for line in _legend_lines(width))
    placed = tuple((name, *boxes[name]) for name in names)
    return DesertPicture(rows=tuple(rows), labels=placed)


def _boxes(
    labels: dict[str, list[tuple[str, str | None]]], inner: int, height: int, label_width: int
) -> dict[str, tuple[int, int, int, int]]:
    """Where each label stands (left, top, right, bottom) on a canvas of that size."""
    where = places(tuple(labels), inner, height, label_width)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    for name, lines in labels.items():
        wide = max(cell_width(text) for text, _ in lines)
        x, y = where[name]
        left = min(max(0, round(x - wide / 2)), inner - wide)
        first_row = min(max(0, round(y) - 1), height - len(lines))
        boxes[name] = (left, first_row, left + wide - 1, first_row + len(lines) - 1)
    return boxes


def _overlapping(boxes: dict[str, tuple[int, int, int, int]]) -> bool:
    """Whether two labels touch (a column of sand must stay between them)."""
    placed = list(boxes.values())
    for i, (ax0, ay0, ax1, ay1) in enumerate(placed):
        for bx0, by0, bx1, by1 in placed[i + 1 :]:
            if ax0 <= bx1 + 1 and bx0 <= ax1 + 1 and ay0 <= by1 and by0 <= ay1:
                return True
    return False


def _row(text: str, style: str | None) -> list[Cell]:
    row: list[Cell] = []
    for ch in text:
        row.append((ch, style))
        if _cells(ch) == 2:
            row.append(("", None))
    return row


def _legend_lines(width: int) -> list[str]:
    """The legend, its entries packed into lines of at most ``width`` cells, never split."""
    lines: list[str] = []
    line = ""
    for entry in _LEGEND:
        if line and cell_width(line) + 2 + cell_width(entry) > width:
            lines.append(line)
            line = ""
        line = f"{line}  {entry}" if line else entry
    return [*lines, line]
