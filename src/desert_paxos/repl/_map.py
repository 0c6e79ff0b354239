"""The map: a picture of the desert at one moment, 80 columns wide.

Theory of operation
-------------------
The caravans stand at fixed places on an ellipse (the first at the top, the
others clockwise), each drawn as a small label of four lines: its name (with
⛺ once it knows the campsite), its promise, its vote, and what it is doing as
a proposer or what it decided. Riders in flight are single letters placed along
the straight path between sender and receiver at the fraction of the journey
already covered (``(now - sent) / (arrive - sent)``), on the part of the path
that lies between the two labels. A sandstorm is drawn as ``≋≋≋`` halfway
between every two caravans it separates, which together make a wall between
the groups.

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

from ..protocol import Ballot, Caravan
from ..protocol._proposer import ACCEPTING, BACKING_OFF, PREPARING

__all__ = ["RIDER_GLYPHS", "DesertPicture", "Rider", "draw_desert"]

WIDTH = 80
INNER = WIDTH - 2
HEIGHT = 17
LABEL_WIDTH = 22

RIDER_GLYPHS: dict[str, tuple[str, str]] = {
    "prepare": ("P", "bold cyan"),
    "promise": ("p", "cyan"),
    "accept": ("A", "bold magenta"),
    "accepted": ("a", "magenta"),
    "nack": ("N", "bold red"),
    "decided": ("D", "bold green"),
    "inquire": ("?", "yellow"),
}
_LEGEND = "P prepare  p promise  A accept  a accepted  N refusal  D decided  ? inquiry"

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


def _text_width(text: str) -> int:
    return sum(_cells(ch) for ch in text)


def _clip(text: str, width: int) -> str:
    if _text_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _ballot(ballot: Ballot | None) -> str:
    return "nothing" if ballot is None else f"({ballot.round},{ballot.caravan})"


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
    names: tuple[str, ...], width: int = INNER, height: int = HEIGHT - 4
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
    rx, ry = width / 2 - LABEL_WIDTH / 2 - 1, (height - 1) / 2 - 1
    out: dict[str, tuple[float, float]] = {}
    for i, name in enumerate(names):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        out[name] = (cx + rx * math.cos(angle), cy + ry * math.sin(angle))
    return out


def _label(
    name: str, caravan: Caravan | None, disk_promised: Ballot | None
) -> list[tuple[str, str | None]]:
    if caravan is None:
        return [
            (f"✗ {name}", "bold red"),
            ("collapsed", "red"),
            (f"logbook {_ballot(disk_promised)}", "dim"),
            ("", None),
        ]
    decided = caravan.learner.decided
    record = caravan.acceptor.record
    title = f"{name} ⛺" if decided is not None else name
    promised = f"promised {_ballot(caravan.acceptor.promised)}"
    if record.accepted_ballot is not None:
        vote = f"voted {record.accepted_value}@{record.accepted_ballot.round}"
    else:
        vote = "no vote yet"
    p = caravan.proposer
    doing = ""
    style: str | None = None
    if decided is not None:
        doing, style = f"⛺ {decided.value}", "bold green"
    elif p.phase == PREPARING and p.ballot is not None:
        need = caravan.config.phase1_quorum
        doing, style = f"leads {p.ballot.round}: {len(p.promises)}/{need} promises", "cyan"
    elif p.phase == ACCEPTING and p.ballot is not None:
        need = caravan.config.phase2_quorum
        doing, style = f"leads {p.ballot.round}: {len(p.votes)}/{need} votes", "magenta"
    elif p.phase == BACKING_OFF:
        doing, style = "backs off, will retry", "yellow"
    return [
        (title, "bold green" if decided is not None else "bold"),
        (promised, None),
        (vote, None),
        (doing, style),
    ]


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
    disk_promised: dict[str, Ballot | None],
    riders: list[Rider],
    groups: list[list[str]] | None,
    now: int,
    title: str,
    status: list[str],
) -> DesertPicture:
    names = tuple(caravans)
    height = HEIGHT - 4
    canvas = _Canvas(INNER, height)
    where = places(names, INNER, height)
    per_row = (len(names) + 1) // 2 if len(names) >= 6 else 3
    label_width = min(LABEL_WIDTH, INNER // per_row - 2)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    for name in names:
        lines = _label(name, caravans[name], disk_promised.get(name))
        lines = [(_clip(text, label_width), style) for text, style in lines]
        width = max(_text_width(text) for text, _ in lines)
        x, y = where[name]
        left = min(max(0, round(x - width / 2)), INNER - width)
        first_row = min(max(0, round(y) - 1), height - len(lines))
        boxes[name] = (left, first_row, left + width - 1, first_row + len(lines) - 1)
        for i, (text, style) in enumerate(lines):
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
    top_text = _clip(f"─ {title} ", INNER)
    top: list[Cell] = [("╭", "dim")]
    top += [(ch, "bold") for ch in top_text] + [("─", "dim")] * (INNER - _text_width(top_text))
    top.append(("╮", "dim"))
    rows: list[tuple[Cell, ...]] = [tuple(top)]
    for line in canvas.cells:
        rows.append((("│", "dim"), *line, ("│", "dim")))
    rows.append(tuple([("╰", "dim")] + [("─", "dim")] * INNER + [("╯", "dim")]))
    for text in [*status, _LEGEND]:
        row: list[Cell] = []
        for ch in _clip(text, WIDTH):
            row.append((ch, "dim" if text is _LEGEND else None))
            if _cells(ch) == 2:
                row.append(("", None))
        rows.append(tuple(row))
    return DesertPicture(rows=tuple(rows))
