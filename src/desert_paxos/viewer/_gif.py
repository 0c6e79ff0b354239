"""The animated GIF: the desert map, one frame per step of the run, drawn with Pillow.

Theory of operation
-------------------
:func:`gif_steps` picks the moments worth a frame from the trace: every event
the story tells (proposals, decisions, storms, collapses, adoptions,
violations) is *key*; riders setting out (a broadcast is one step, as the
narrator tells it), riders lost and patience running out come next; riders
arriving come last. Past ``max_frames`` the key steps are kept and the others
are sampled evenly, so a long run still fits. Key frames stay up longer than
the rest and the last frame longest, so a reader can follow.

Each frame is the map at that step's time, read from :mod:`._model`: caravans
on a ring (collapsed ones greyed and crossed, those that know the campsite in
green), riders on the sand in their message's colour, a lost rider's cross,
sandstorms as a hatched sky with a clear bubble around each group, and a
caption telling the step in story words. Text uses Pillow's built-in font, so
the same trace gives the same bytes on every machine; characters it lacks are
spelled in ASCII.

Pillow is imported inside the functions that draw.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import output_binary
from ..narrate import story_voice
from ..trace import incomplete_note, summarize_trace
from ._model import RunModel, StateFold, build_model

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

__all__ = ["GifStep", "gif_frames", "gif_steps", "write_gif"]

WIDTH, HEIGHT = 560, 420
MAX_FRAMES = 120
_COLOURS_IN_GIF = 64
_PALETTE_SAMPLE = 12  # frames the shared palette is taken from

_KEY_KINDS = frozenset(
    {"propose", "decide", "adopt", "sandstorm", "calm", "crash", "recover", "violation", "note"}
)
_DURATION_MS = {0: 1700, 1: 650, 2: 420}
_LAST_FRAME_MS = 4000
_CAPTION_LINES, _CAPTION_WIDTH = 4, 72  # the caption's lines, and characters in a line
_MAX_CHARS = 400  # of any one text drawn: more than a line holds, far below Pillow's limit
_LABEL_PX = 104  # the widest a caravan's name or campsite is drawn on the map

_SAND = (246, 236, 217)
_MAP = (243, 223, 182)
_INK = (43, 33, 24)
_MUTED = (122, 106, 85)
_DANGER = (192, 38, 45)
_GREEN = (29, 127, 58)
_STORM = (201, 155, 92)
_STORM_LINE = (168, 122, 62)
# Clear air around each group in a sandstorm: (fill, rim).
_FRAME = (227, 207, 168)
_PROGRESS = (138, 90, 28)
_BUBBLES = (
    ((250, 238, 212), (150, 110, 60)),
    ((216, 230, 242), (70, 110, 150)),
    ((243, 218, 232), (150, 70, 120)),
    ((224, 239, 206), (80, 130, 60)),
)
_COLOURS = {
    "prepare": (47, 109, 181),
    "promise": (22, 138, 124),
    "accept": (199, 107, 0),
    "accepted": (123, 63, 196),
    "nack": (192, 38, 45),
    "decided": (29, 127, 58),
    "inquire": (107, 111, 118),
}
_NAMED_COLOURS = (
    _SAND,
    _MAP,
    _INK,
    _MUTED,
    _DANGER,
    _GREEN,
    _STORM,
    _STORM_LINE,
    _FRAME,
    _PROGRESS,
    (255, 255, 255),
    (187, 187, 187),
    (119, 119, 119),
    (205, 235, 211),
    (255, 243, 220),
    (90, 65, 39),
    (91, 58, 16),
    *_COLOURS.values(),
    *(colour for pair in _BUBBLES for colour in pair),
)
_ASCII = {
    "—": "-",
    "–": "-",
    "→": "->",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "⛺": "",
}


@dataclass(frozen=True, slots=True)
class GifStep:
    index: int  # the event the frame shows the desert after
    tier: int  # 0 key, 1 riders out / lost / timers, 2 riders arriving
    caption: str


def _merged_broadcast(events: list[dict[str, Any]], start: int, caravans: list[str]) -> int:
    """The last index of the broadcast starting at ``start`` (same tick, sender and message)."""
    first = events[start]
    end = start
    while end + 1 < len(events):
        nxt = events[end + 1]
        if nxt.get("kind") != "send" or "copy_of" in nxt:
            break
        if (nxt["t"], nxt.get("src"), nxt.get("msg")) != (
            first["t"],
            first.get("src"),
            first.get("msg"),
        ):
            break
        end += 1
    return end


def gif_steps(events: list[dict[str, Any]], caravans: list[str]) -> list[GifStep]:
    """Every moment of the run worth a frame, in order, with its story caption."""
    steps: list[GifStep] = []
    index = 0
    while index < len(events):
        event = events[index]
        kind = event.get("kind")
        self_message = event.get("src") is not None and event.get("src") == event.get("dst")
        if kind in _KEY_KINDS:
            steps.append(GifStep(index, 0, story_voice(event)))
        elif kind == "send" and "copy_of" not in event:
            last = _merged_broadcast(events, index, caravans)
            group = events[index : last + 1]
            dsts = [str(e.get("dst")) for e in group]
            if len(group) > 1:
                everyone = sorted(dsts) == sorted(caravans)
                caption = story_voice(dict(event, dst=dsts), everyone=everyone)
                steps.append(GifStep(last, 1, caption))
            elif not self_message:
                steps.append(GifStep(index, 1, story_voice(event)))
            index = last
        elif kind == "send":  # the desert's duplicate of a rider
            steps.append(GifStep(index, 1, "The desert doubles a rider: " + story_voice(event)))
        elif kind == "drop" or (kind == "timer" and event.get("name") == "proposer"):
            steps.append(GifStep(index, 1, story_voice(event)))
        elif kind == "deliver" and not self_message:
            steps.append(GifStep(index, 2, story_voice(event)))
        index += 1
    if events and events[-1].get("kind") == "end":
        end = events[-1]
        decided = end.get("decided")
        told = (
            f"The day ends: the caravans camp at {decided}."
            if decided
            else "The day ends without a campsite."
        )
        steps.append(GifStep(len(events) - 1, 0, told))
    elif events:  # a run cut short: say so, and what the trace holds
        steps.append(GifStep(len(events) - 1, 0, incomplete_note(summarize_trace(events))))
    return steps


def _choose(steps: list[GifStep], max_frames: int) -> list[GifStep]:
    """At most ``max_frames`` steps: key steps first, then the others sampled evenly."""
    if len(steps) <= max_frames:
        return steps
    chosen: list[GifStep] = []
    budget = max_frames
    for tier in (0, 1, 2):
        pool = [s for s in steps if s.tier == tier]
        if budget <= 0:
            break
        if len(pool) <= budget:
            chosen += pool
        else:
            chosen += [pool[(i * len(pool)) // budget] for i in range(budget)]
        budget = max_frames - len(chosen)
    return sorted(chosen, key=lambda s: (s.index, s.tier))


def _caption_lines(caption: str) -> list[str]:
    """The caption in at most four lines of 72 characters; "..." ends one that goes on."""
    text = _ascii(caption[: _CAPTION_LINES * _CAPTION_WIDTH * 2])
    lines = textwrap.wrap(text, width=_CAPTION_WIDTH)
    if len(lines) > _CAPTION_LINES or len(caption) > _CAPTION_LINES * _CAPTION_WIDTH * 2:
        lines = lines[:_CAPTION_LINES]
        lines[-1] = lines[-1][: _CAPTION_WIDTH - 3].rstrip() + "..."
    return lines


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
    """``text`` in ASCII, cut to ``width`` pixels with "..." when it is longer.

    Only the first ``_MAX_CHARS`` characters are ever looked at: a name of a megabyte is cut
    long before Pillow's own limit on the text it draws.
    """
    cut = len(text) > _MAX_CHARS
    text = _ascii(text[:_MAX_CHARS])
    if not cut and draw.textlength(text, font=font) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest start that fits with its "..."
        middle = (low + high + 1) // 2
        if draw.textlength(text[:middle].rstrip() + "...", font=font) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "..."


def _ascii(text: str) -> str:
    for fancy, plain in _ASCII.items():
        text = text.replace(fancy, plain)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if 32 <= ord(c) < 127).strip()


class _Painter:
    """Draws the desert for one step onto a fresh frame."""

    def __init__(self, model: RunModel) -> None:
        from PIL import ImageFont

        self.model = model
        self.font = ImageFont.load_default(size=13)
        self.small = ImageFont.load_default(size=11)
        self.bold = ImageFont.load_default(size=15)
        n = max(1, len(model.caravans))
        cx, cy, radius = WIDTH / 2, 182, 94
        self.pos = [
            (
                cx + radius * math.cos(-math.pi / 2 + 2 * math.pi * i / n),
                cy + radius * math.sin(-math.pi / 2 + 2 * math.pi * i / n),
            )
            for i in range(n)
        ]
        self.lane = {name: i for i, name in enumerate(model.caravans)}

    def frame(self, step: GifStep, fold: StateFold) -> Image.Image:
        from PIL import Image, ImageDraw

        model = self.model
        t = model.times[step.index] if model.events else 0
        image = Image.new("RGB", (WIDTH, HEIGHT), _SAND)
        draw = ImageDraw.Draw(image)
        draw.rectangle((10, 44, WIDTH - 10, 298), fill=_MAP, outline=_FRAME)
        self._storm(draw, t)
        title = f"Desert Paxos - {model.header.get('scenario', '?')}"
        draw.text((12, 8), _fit(draw, title, self.bold, WIDTH - 100), font=self.bold, fill=_INK)
        clock = f"t = {t}"
        draw.text((WIDTH - 12, 9), clock, font=self.font, fill=_MUTED, anchor="ra")
        self._riders(draw, t)
        self._caravans(draw, fold)
        self._legend(draw)
        self._caption(draw, step)
        end = max(1, model.end_time)
        draw.rectangle((0, HEIGHT - 5, WIDTH, HEIGHT), fill=_FRAME)
        draw.rectangle((0, HEIGHT - 5, int(WIDTH * min(1.0, t / end)), HEIGHT), fill=_PROGRESS)
        return image

    def _storm(self, draw: ImageDraw.ImageDraw, t: int) -> None:
        storm = self.model.storm_at(t)
        if storm is None:
            return
        draw.rectangle((11, 45, WIDTH - 11, 297), fill=_STORM)
        for x in range(-300, WIDTH, 22):  # wind-driven sand: slanted streaks
            draw.line((x, 297, x + 150, 45), fill=_STORM_LINE, width=3)
        # Trim the streaks back to the map's frame.
        draw.rectangle((0, 0, WIDTH, 43), fill=_SAND)
        draw.rectangle((0, 299, WIDTH, 320), fill=_SAND)
        draw.rectangle((0, 0, 9, 320), fill=_SAND)
        draw.rectangle((WIDTH - 9, 0, WIDTH, 320), fill=_SAND)
        for number, group in enumerate(storm.groups):
            points = [self.pos[self.lane[n]] for n in group if n in self.lane]
            fill, rim = _BUBBLES[number % len(_BUBBLES)]
            # Each group's clear air: a rounded hull, rimmed and tinted so crossing groups stay apart.
            for colour, radius in ((rim, 45), (fill, 41)):
                for px, py in points:
                    draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=colour)
                if len(points) > 1:
                    draw.line([*points, points[0]], fill=colour, width=2 * radius, joint="curve")
                if len(points) > 2:
                    draw.polygon(points, fill=colour)
        label = "sandstorm: " + " | ".join(", ".join(g) for g in storm.groups)
        label = _fit(draw, label, self.small, WIDTH - 24)
        draw.text((12, 28), label, font=self.small, fill=(91, 58, 16))

    def _riders(self, draw: ImageDraw.ImageDraw, t: int) -> None:
        for rider in self.model.riders:
            if rider.src == rider.dst or rider.sent_at > t:
                continue
            if rider.src not in self.lane or rider.dst not in self.lane:
                continue
            (ax, ay), (bx, by) = self.pos[self.lane[rider.src]], self.pos[self.lane[rider.dst]]
            length = math.hypot(bx - ax, by - ay) or 1.0
            ux, uy = (bx - ax) / length, (by - ay) / length
            # From rim to rim, so a rider just setting out shows; a little to the right of the
            # straight path, so riders going both ways do not overlap.
            ax, ay, bx, by = ax + ux * 22, ay + uy * 22, bx - ux * 22, by - uy * 22
            ox, oy = -uy * 6, ux * 6
            if t < rider.end_at:
                f = rider.position(t)
                x, y = ax + (bx - ax) * f + ox, ay + (by - ay) * f + oy
                colour = _COLOURS.get(rider.type, (85, 85, 85))
                draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=colour, outline=(255, 255, 255))
            elif rider.fate == "dropped" and rider.end_at == t:
                x, y = ax + (bx - ax) * 0.86 + ox, ay + (by - ay) * 0.86 + oy
                draw.line((x - 6, y - 6, x + 6, y + 6), fill=_DANGER, width=3)
                draw.line((x - 6, y + 6, x + 6, y - 6), fill=_DANGER, width=3)

    def _caravans(self, draw: ImageDraw.ImageDraw, fold: StateFold) -> None:
        for name, (x, y) in zip(self.model.caravans, self.pos, strict=False):
            state = fold.states[name]
            if not state.alive:
                draw.ellipse(
                    (x - 20, y - 20, x + 20, y + 20), fill=(187, 187, 187), outline=(119,) * 3
                )
                draw.line((x - 9, y - 9, x + 9, y + 9), fill=_DANGER, width=4)
                draw.line((x - 9, y + 9, x + 9, y - 9), fill=_DANGER, width=4)
                draw.text((x, y + 36), "collapsed", font=self.small, fill=_DANGER, anchor="ma")
            elif state.decided is not None:
                draw.ellipse(
                    (x - 20, y - 20, x + 20, y + 20), fill=(205, 235, 211), outline=_GREEN, width=3
                )
                draw.polygon([(x - 10, y + 8), (x, y - 10), (x + 10, y + 8)], fill=_GREEN)
                camp = _fit(draw, state.decided, self.small, _LABEL_PX)
                draw.text((x, y - 26), camp, font=self.small, fill=_GREEN, anchor="md")
            else:
                draw.ellipse(
                    (x - 20, y - 20, x + 20, y + 20),
                    fill=(255, 243, 220),
                    outline=(90, 65, 39),
                    width=2,
                )
                promised = state.promised
                if isinstance(promised, list) and len(promised) == 2:
                    banner = _fit(draw, f"b{promised[0]}", self.small, _LABEL_PX // 2)
                    draw.text((x, y), banner, font=self.small, fill=_MUTED, anchor="mm")
            label = _fit(draw, name, self.font, _LABEL_PX)
            draw.text((x, y + 23), label, font=self.font, fill=_INK, anchor="ma")

    def _legend(self, draw: ImageDraw.ImageDraw) -> None:
        x = 14
        for kind, colour in _COLOURS.items():
            draw.ellipse((x, 306, x + 9, 315), fill=colour)
            draw.text((x + 12, 304), kind, font=self.small, fill=_MUTED)
            x += 18 + int(draw.textlength(kind, font=self.small)) + 6

    def _caption(self, draw: ImageDraw.ImageDraw, step: GifStep) -> None:
        lines = _caption_lines(step.caption)
        colour = _DANGER if step.caption.startswith(("SAFETY", "INCOMPLETE")) else _INK
        for i, line in enumerate(lines):
            line = _fit(draw, line, self.font, WIDTH - 28)
            draw.text((14, 326 + i * 20), line, font=self.font, fill=colour)


def gif_frames(
    header: dict[str, Any], events: list[dict[str, Any]], *, max_frames: int = MAX_FRAMES
) -> tuple[list[Image.Image], list[int]]:
    """The frames of the run's GIF and how long (ms) each stays up."""
    model = build_model(header, events)
    steps = _choose(gif_steps(events, model.caravans), max(1, max_frames))
    painter = _Painter(model)
    fold = StateFold(model.caravans)
    frames: list[Image.Image] = []
    durations: list[int] = []
    folded = -1
    for step in steps:
        # The frame shows the desert at the end of the step's tick, as the riders drawn are.
        t = model.times[step.index]
        while folded + 1 < len(events) and (folded < step.index or model.times[folded + 1] == t):
            folded += 1
            fold.apply(events[folded])
        frames.append(painter.frame(step, fold))
        durations.append(_DURATION_MS[step.tier])
    if not frames:  # a trace with nothing to show still makes a (one-frame) picture
        told = incomplete_note(summarize_trace(events))  # not even an end event
        frames.append(painter.frame(GifStep(0, 0, told), fold))
        durations.append(_LAST_FRAME_MS)
    durations[-1] = _LAST_FRAME_MS
    return frames, durations


def write_gif(
    header: dict[str, Any],
    events: list[dict[str, Any]],
    path: str | Path,
    *,
    max_frames: int = MAX_FRAMES,
) -> int:
    """Write the run's animated GIF to ``path``; return the number of frames."""
    from PIL import Image

    frames, durations = gif_frames(header, events, max_frames=max_frames)
    # One palette for the whole animation, taken from a sample of its frames: colours stay put
    # from frame to frame, and quantizing with a fixed palette is fast and deterministic.
    sample = frames[:: max(1, len(frames) // _PALETTE_SAMPLE)][:_PALETTE_SAMPLE]
    sheet = Image.new("RGB", (WIDTH, HEIGHT * len(sample)))
    for row, frame in enumerate(sample):
        sheet.paste(frame, (0, row * HEIGHT))
    # The drawing's own colours come first, so a colour seen in few frames is never merged away;
    # the sample fills the rest (the shades of anti-aliased text and circles).
    named = list(dict.fromkeys(_NAMED_COLOURS))
    shades = (
        sheet.quantize(
            colors=_COLOURS_IN_GIF - len(named),
            method=Image.Quantize.MEDIANCUT,
            dither=Image.Dither.NONE,
        ).getpalette()
        or []
    )
    flat = [c for rgb in named for c in rgb] + shades[: 3 * (_COLOURS_IN_GIF - len(named))]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat)
    first, *rest = (f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames)
    with output_binary(path, what="the GIF") as stream:  # atomic: written beside, renamed
        first.save(
            stream,
            format="GIF",
            save_all=True,
            append_images=rest,
            duration=durations,
            loop=0,
            disposal=1,
        )
    return len(frames)
