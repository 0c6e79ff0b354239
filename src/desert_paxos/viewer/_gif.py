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
on an oval, each with its promise and its vote beneath its name in the
glossary's words (collapsed ones greyed and crossed, those that know the
campsite in green with a tent), riders on the sand in their message's colour,
a lost rider's cross, sandstorms as a hatched sky with a clear bubble around
each group, the majority a proposer holds ringed in gold (and in red those of
its members that voted for the campsite already chosen), a strip telling the
campsite chosen so far and how many caravans know it, and a caption telling
the step in story words (a note, a teacher's or a caravan's, framed in its
own colour and left up longer). Text uses Pillow's built-in font, so
the same trace gives the same bytes on every machine; characters it lacks are
spelled in ASCII.

A journey (a Multi-Paxos trace, header ``"protocol": "multi-paxos"``) is drawn
by the same painter with the parts that differ chosen by the header: its steps
are told in the journey's story voice (``narrate._journey``), with elections,
a caravan standing for election, nights chosen, requests and answers as key
steps (heartbeats and lost riders come last); beneath each caravan's name its
role (the leader under its banner, with a flag on its tent; those that follow
or stand for election) and how many nights it knows and has executed, read
by :class:`._journey.JourneyFold`; the travellers stand on the oval too, each
with what it waits on; riders take the journey's colours (an unknown kind is
drawn grey); and the strip tells the nights chosen so far (the latest that
fit) and the requests answered.

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
from ..narrate import RIDER_WORDS, event_level, fmt_ballot, story_voice
from ..narrate._journey import JourneyStory, journey_story_voice
from ..trace import incomplete_note, summarize_trace
from ._journey import JourneyFold
from ._model import Majority, RunModel, StateFold, build_model

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

__all__ = ["GifStep", "gif_frames", "gif_steps", "write_gif"]

WIDTH, HEIGHT = 560, 524
MAX_FRAMES = 120
_COLOURS_IN_GIF = 64
_PALETTE_SAMPLE = 12  # frames the shared palette is taken from

# The desert's own key steps, whichever protocol crosses it.
_DESERT_KEY_KINDS = frozenset(
    {"chosen", "sandstorm", "calm", "crash", "recover", "violation", "note"}
)
_KEY_KINDS = _DESERT_KEY_KINDS | {"propose", "decide", "adopt"}
# A journey's key steps: its elections, nights chosen, travellers' requests and answers.
_JOURNEY_KEY_KINDS = _DESERT_KEY_KINDS | {"elected", "request", "response"}
_DURATION_MS = {0: 1700, 1: 650, 2: 420}
_LAST_FRAME_MS = 4000
_NOTE_MS_PER_CHAR = (
    25  # a teacher's note stays up long enough to be read (at most the last frame's)
)
# The map's frame, the oval the caravans stand on, and where the legend and the caption go.
_MAP_TOP, _MAP_BOTTOM = 44, 396
_CX, _CY, _RX, _RY = WIDTH / 2, 191, 182, 110
_LEGEND_Y, _CAPTION_Y = 400, 436
_LINE_PX = 176  # the widest a caravan's promise or vote line is drawn
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
_NOTE_INK = (75, 63, 176)
_MAJORITY = (212, 160, 23)
_CHOSEN_STRIP = (226, 241, 228)
_LABEL = (74, 59, 40)
_HALO = (250, 240, 220)  # behind a label, so it reads on the storm's streaks
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
_TRAVELLER = (0, 128, 160)  # a traveller, its requests and their answers
_HEARTBEAT = (196, 84, 150)
# A journey's riders: the single-decree colours for the same messages, and its own kinds'.
_JOURNEY_COLOURS = {
    **{kind: _COLOURS[kind] for kind in ("prepare", "promise", "accept", "accepted", "nack")},
    "decision": _COLOURS["decided"],
    "heartbeat": _HEARTBEAT,
    "request": _TRAVELLER,
    "response": _TRAVELLER,
    "catch_up": _COLOURS["inquire"],
    "snapshot": _COLOURS["inquire"],
}
# The journey's legend: one colour per line, in the glossary's words.
_JOURNEY_LEGEND = (
    *((RIDER_WORDS[kind], _COLOURS[kind]) for kind in ("prepare", "promise", "accept")),
    (RIDER_WORDS["accepted"], _COLOURS["accepted"]),
    (RIDER_WORDS["nack"], _COLOURS["nack"]),
    ("news of a night", _COLOURS["decided"]),
    ("heartbeat", _HEARTBEAT),
    ("request, answer", _TRAVELLER),
    ("catch-up", _COLOURS["inquire"]),
)
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
    _NOTE_INK,
    _MAJORITY,
    _CHOSEN_STRIP,
    _LABEL,
    _HALO,
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
_JOURNEY_NAMED_COLOURS = (*_NAMED_COLOURS, _TRAVELLER, _HEARTBEAT)
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
    "★": "*",
}


@dataclass(frozen=True, slots=True)
class GifStep:
    index: int  # the event the frame shows the desert after
    tier: int  # 0 key, 1 riders out / lost / timers, 2 riders arriving
    caption: str
    note: bool = False  # a note (a teacher's, or a caravan's): framed in its own colour, up longer


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


class _DesertVoice:
    """How :func:`gif_steps` tells a single-decree day: the story voice, event by event."""

    key_kinds = _KEY_KINDS
    timer_tier, drop_tier = 1, 1  # a proposer's patience running out, a rider lost
    once = False

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def tell(self, index: int) -> str:
        return story_voice(self.events[index])

    def rider(self, index: int) -> str:
        return self.tell(index)

    def broadcast(self, event: dict[str, Any], everyone: bool) -> str:
        return story_voice(event, everyone=everyone)

    def send_tier(self, event: dict[str, Any]) -> int:
        return 1

    def level(self, index: int) -> int:
        return event_level(self.events[index])

    def ending(self) -> str:
        end = self.events[-1]
        decided = end.get("decided")
        if end.get("reason") == "violation":  # whatever was decided is not a campsite agreed
            broken: dict[str, Any] = next(
                (e for e in reversed(self.events) if e.get("kind") == "violation"), {}
            )
            return (
                f"The day ends where safety broke ({broken.get('invariant', 'an invariant')}): "
                "no campsite decided here can be trusted."
            )
        if decided:
            return f"The day ends: the caravans camp at {decided}."
        return "The day ends without a campsite."

    def cut_short(self) -> str:
        return incomplete_note(summarize_trace(self.events))


class _JourneyVoice(_DesertVoice):
    """A journey: told in order by its story (so a caption has the story's context), with
    elections, nights chosen, requests and answers as key steps; a caravan standing for
    election is key too, and heartbeats and lost riders come last."""

    key_kinds = _JOURNEY_KEY_KINDS
    timer_tier, drop_tier = 0, 2
    # A second rider told the same way in the same tick (a catch-up's news, a vote sent
    # again) would draw the same frame again (a frame shows the end of its tick).
    once = True

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__(events)
        story = JourneyStory()
        self.told = [story.tell(event) for event in events]

    def tell(self, index: int) -> str:
        return self.told[index].story

    def rider(self, index: int) -> str:
        return _sentence(self.tell(index))

    def broadcast(self, event: dict[str, Any], everyone: bool) -> str:
        return _sentence(journey_story_voice(event, everyone=everyone))

    def send_tier(self, event: dict[str, Any]) -> int:
        # Heartbeats ride all journey long: they come after the riders that do the work.
        msg = event.get("msg")
        return 2 if isinstance(msg, dict) and msg.get("type") == "heartbeat" else 1

    def level(self, index: int) -> int:
        return self.told[index].level

    def ending(self) -> str:
        return self.told[-1].story

    def cut_short(self) -> str:
        nights = len({e.get("slot") for e in self.events if e.get("kind") == "chosen"})
        return f"{super().cut_short()} Nights chosen in it: {nights}."


def gif_steps(
    events: list[dict[str, Any]], caravans: list[str], *, journey: bool = False
) -> list[GifStep]:
    """Every moment of the run worth a frame, in order, with its story caption.

    A ``journey`` (a Multi-Paxos trace) is told in the journey's story voice, with its
    own key steps: elections, nights chosen, requests and answers, and the desert's events.
    """
    voice = _JourneyVoice(events) if journey else _DesertVoice(events)
    steps: list[GifStep] = []
    index = 0
    while index < len(events):
        event = events[index]
        kind = event.get("kind")
        self_message = event.get("src") is not None and event.get("src") == event.get("dst")
        if kind in voice.key_kinds:
            steps.append(GifStep(index, 0, voice.tell(index), note=kind == "note"))
        elif kind == "send" and "copy_of" not in event:
            last = _merged_broadcast(events, index, caravans)
            group = events[index : last + 1]
            dsts = [str(e.get("dst")) for e in group]
            tier = voice.send_tier(event)
            if len(group) > 1:
                everyone = sorted(dsts) == sorted(caravans)
                steps.append(GifStep(last, tier, voice.broadcast(dict(event, dst=dsts), everyone)))
            elif not self_message:
                steps.append(GifStep(index, tier, voice.rider(index)))
            index = last
        elif kind == "send":  # the desert's duplicate of a rider
            steps.append(GifStep(index, 1, "The desert doubles a rider: " + voice.rider(index)))
        elif kind == "timer" and voice.level(index) <= 1:
            steps.append(GifStep(index, voice.timer_tier, voice.tell(index)))
        elif kind == "drop":  # riders lost: to a collapsed caravan, or in a sandstorm
            steps.append(GifStep(index, voice.drop_tier, voice.tell(index)))
        elif kind == "deliver" and not self_message:
            steps.append(GifStep(index, 2, voice.rider(index)))
        index += 1
    if events and events[-1].get("kind") == "end":
        steps.append(GifStep(len(events) - 1, 0, voice.ending()))
    elif events:  # a run cut short: say so, and what the trace holds
        steps.append(GifStep(len(events) - 1, 0, voice.cut_short()))
    if not voice.once:
        return steps
    seen: set[tuple[Any, str]] = set()
    once: list[GifStep] = []
    for step in steps:
        key = (events[step.index].get("t"), step.caption)
        if key not in seen:
            seen.add(key)
            once.append(step)
    return once


def _sentence(text: str) -> str:
    """A rider's story (the journey voice leaves it open) ended as a sentence."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _choose(steps: list[GifStep], max_frames: int) -> list[GifStep]:
    """At most ``max_frames`` steps: key steps first, then the others sampled evenly."""
    if len(steps) <= max_frames:
        return steps
    chosen: list[int] = []  # positions in ``steps``
    budget = max_frames
    for tier in (0, 1, 2):
        pool = [number for number, s in enumerate(steps) if s.tier == tier]
        if budget <= 0:
            break
        if len(pool) <= budget:
            chosen += pool
        else:
            chosen += [pool[(i * len(pool)) // budget] for i in range(budget)]
        budget = max_frames - len(chosen)
    # In the steps' own order: a trace cut short right after a rider still ends on its note.
    return [steps[number] for number in sorted(chosen)]


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

    def __init__(self, model: RunModel, *, journey: bool = False) -> None:
        from PIL import ImageFont

        self.model = model
        self.journey = journey  # a Multi-Paxos journey: leaders, nights and travellers
        self.colours = _JOURNEY_COLOURS if journey else _COLOURS
        self.travellers = _travellers(model) if journey else frozenset()
        self.font = ImageFont.load_default(size=13)
        self.small = ImageFont.load_default(size=11)
        self.bold = ImageFont.load_default(size=15)
        n = max(1, len(model.caravans))
        self.pos = [
            (
                _CX + _RX * math.cos(-math.pi / 2 + 2 * math.pi * i / n),
                _CY + _RY * math.sin(-math.pi / 2 + 2 * math.pi * i / n),
            )
            for i in range(n)
        ]
        self.lane = {name: i for i, name in enumerate(model.caravans)}

    def frame(
        self, step: GifStep, fold: StateFold, nights: JourneyFold | None = None
    ) -> Image.Image:
        from PIL import Image, ImageDraw

        model = self.model
        t = model.times[step.index] if model.events else 0
        image = Image.new("RGB", (WIDTH, HEIGHT), _SAND)
        draw = ImageDraw.Draw(image)
        draw.rectangle((10, _MAP_TOP, WIDTH - 10, _MAP_BOTTOM), fill=_MAP, outline=_FRAME)
        self._storm(draw, t)
        title = f"Desert Paxos - {model.header.get('scenario', '?')}"
        draw.text((12, 8), _fit(draw, title, self.bold, WIDTH - 100), font=self.bold, fill=_INK)
        clock = f"t = {t}"
        draw.text((WIDTH - 12, 9), clock, font=self.font, fill=_MUTED, anchor="ra")
        self._riders(draw, t)
        self._majority(draw, step.index)
        if nights is None:
            self._caravans(draw, fold)
            self._chosen(draw, step.index, fold)
        else:
            self._journey_caravans(draw, fold, nights)
            self._nights(draw, nights)
        self._legend(draw)
        self._caption(draw, step)
        end = max(1, model.end_time)
        draw.rectangle((0, HEIGHT - 5, WIDTH, HEIGHT), fill=_FRAME)
        draw.rectangle((0, HEIGHT - 5, int(WIDTH * min(1.0, t / end)), HEIGHT), fill=_PROGRESS)
        return image

    def _journey_caravans(
        self, draw: ImageDraw.ImageDraw, fold: StateFold, nights: JourneyFold
    ) -> None:
        """A journey's caravans: each one's role and nights; its travellers, what they wait on."""
        for name, (x, y) in zip(self.model.caravans, self.pos, strict=False):
            if name in self.travellers:
                self._traveller(draw, name, (x, y), nights)
                continue
            state = fold.states[name]
            promised = state.promised
            lines: list[tuple[str, tuple[int, int, int]]] = []
            label = _fit(draw, name, self.font, _LABEL_PX)
            if not state.alive:
                _collapsed_tent(draw, x, y)
                label += " - collapsed"
                kept = f"banner {fmt_ballot(promised)}" if promised is not None else "no promise"
                lines.append((f"logbook: {kept}", _LABEL))
            else:
                banner = nights.leading.get(name)
                leads = banner is not None
                draw.ellipse(
                    (x - 20, y - 20, x + 20, y + 20),
                    fill=(255, 243, 220),
                    outline=_PROGRESS if leads else (90, 65, 39),
                    width=3 if leads else 2,
                )
                if leads:  # the leader's banner: a flag on its tent
                    draw.line((x - 6, y + 11, x - 6, y - 12), fill=_PROGRESS, width=2)
                    draw.polygon(
                        [(x - 5, y - 12), (x + 11, y - 6), (x - 5, y)],
                        fill=_MAJORITY,
                        outline=_PROGRESS,
                    )
                    lines.append((f"leader, banner {fmt_ballot(banner)}", _PROGRESS))
                elif promised is None:
                    lines.append(("no promise yet", _LABEL))
                elif name in nights.standing:
                    lines.append((f"stands for banner {fmt_ballot(promised)}", _LABEL))
                elif isinstance(promised, list) and promised[1:] == [name]:
                    lines.append((f"promised banner {fmt_ballot(promised)}", _LABEL))
                else:
                    lines.append((f"follows banner {fmt_ballot(promised)}", _LABEL))
                known, executed = nights.knows(name), nights.executed.get(name, 0)
                told = (
                    f"knows {known} night{'s' if known != 1 else ''}, executed {executed}"
                    if known
                    else "no nights yet"
                )
                lines.append((told, _LABEL))
            self._named(draw, (x, y), label, state.alive, lines)

    def _traveller(
        self,
        draw: ImageDraw.ImageDraw,
        name: str,
        at: tuple[float, float],
        nights: JourneyFold,
    ) -> None:
        """A traveller: a small walker, what it asked and had answered, what it waits on."""
        x, y = at
        draw.ellipse((x - 14, y - 14, x + 14, y + 14), fill=(216, 230, 242), outline=_TRAVELLER)
        draw.ellipse((x - 3, y - 10, x + 3, y - 4), fill=_TRAVELLER)  # a walker: head, body
        draw.line((x, y - 4, x, y + 4), fill=_TRAVELLER, width=2)
        draw.line((x, y + 3, x - 4, y + 10), fill=_TRAVELLER, width=2)
        draw.line((x, y + 3, x + 4, y + 10), fill=_TRAVELLER, width=2)
        self._label(draw, (x, y + 20), _fit(draw, name, self.font, _LABEL_PX), self.font, _INK)
        asked, answered = nights.travellers.get(name, (0, 0))
        lines = [f"traveller, {answered} of {asked} answered" if asked else "traveller"]
        waiting = nights.waiting.get(name)
        if waiting is not None:
            lines.append(f"waits: {waiting}")
        for number, line in enumerate(lines):
            text = _fit(draw, line, self.small, _LINE_PX)
            self._label(draw, (x, y + 35 + 12 * number), text, self.small, _TRAVELLER)

    def _storm(self, draw: ImageDraw.ImageDraw, t: int) -> None:
        storm = self.model.storm_at(t)
        if storm is None:
            return
        top, bottom = _MAP_TOP + 1, _MAP_BOTTOM - 1
        draw.rectangle((11, top, WIDTH - 11, bottom), fill=_STORM)
        for x in range(-400, WIDTH, 22):  # wind-driven sand: slanted streaks
            draw.line((x, bottom, x + 200, top), fill=_STORM_LINE, width=3)
        # Trim the streaks back to the map's frame.
        draw.rectangle((0, 0, WIDTH, top - 2), fill=_SAND)
        draw.rectangle((0, bottom + 2, WIDTH, bottom + 22), fill=_SAND)
        draw.rectangle((0, 0, 9, bottom + 22), fill=_SAND)
        draw.rectangle((WIDTH - 9, 0, WIDTH, bottom + 22), fill=_SAND)
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
                colour = self.colours.get(rider.type, (85, 85, 85))
                draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=colour, outline=(255, 255, 255))
            elif rider.fate == "dropped" and rider.end_at == t:
                x, y = ax + (bx - ax) * 0.86 + ox, ay + (by - ay) * 0.86 + oy
                draw.line((x - 6, y - 6, x + 6, y + 6), fill=_DANGER, width=3)
                draw.line((x - 6, y + 6, x + 6, y - 6), fill=_DANGER, width=3)

    def _caravans(self, draw: ImageDraw.ImageDraw, fold: StateFold) -> None:
        for name, (x, y) in zip(self.model.caravans, self.pos, strict=False):
            state = fold.states[name]
            if not state.alive:
                _collapsed_tent(draw, x, y)
            elif state.decided is not None:
                draw.ellipse(
                    (x - 20, y - 20, x + 20, y + 20), fill=(205, 235, 211), outline=_GREEN, width=3
                )
                draw.polygon([(x - 10, y + 8), (x, y - 10), (x + 10, y + 8)], fill=_GREEN)
            else:
                draw.ellipse(
                    (x - 20, y - 20, x + 20, y + 20),
                    fill=(255, 243, 220),
                    outline=(90, 65, 39),
                    width=2,
                )
            label = _fit(draw, name, self.font, _LABEL_PX)
            if not state.alive:
                label = _fit(draw, name, self.font, _LABEL_PX) + " - collapsed"
            # Beneath the name: what it knows, then its logbook (its promise and its vote).
            lines: list[tuple[str, tuple[int, int, int]]] = []
            if state.alive and state.decided is not None:
                lines.append(("knows " + state.decided, _GREEN))
            promised = state.promised
            lines.append(
                (
                    f"promised banner {fmt_ballot(promised)}"
                    if promised is not None
                    else "no promise yet",
                    _LABEL,
                )
            )
            vote = state.accepted if isinstance(state.accepted, dict) else None
            if vote is not None:
                lines.append((f"voted {vote.get('value')}", _LABEL))
                lines.append((f"under {fmt_ballot(vote.get('ballot'))}", _LABEL))
            else:
                lines.append(("no vote yet", _LABEL))
            self._named(draw, (x, y), label, state.alive, lines)

    def _named(
        self,
        draw: ImageDraw.ImageDraw,
        at: tuple[float, float],
        label: str,
        alive: bool,
        lines: list[tuple[str, tuple[int, int, int]]],
    ) -> None:
        """A caravan's name under its tent (red when collapsed), and its lines beneath."""
        x, y = at
        self._label(draw, (x, y + 28), label, self.font, _INK if alive else _DANGER)
        for number, (line, colour) in enumerate(lines):
            text = _fit(draw, line, self.small, _LINE_PX)
            self._label(draw, (x, y + 43 + 12 * number), text, self.small, colour)

    def _label(
        self,
        draw: ImageDraw.ImageDraw,
        at: tuple[float, float],
        text: str,
        font: Any,
        fill: tuple[int, int, int],
        anchor: str = "ma",
    ) -> None:
        """Centred text, moved inward where it would leave the map, with a halo of sand."""
        half = draw.textlength(text, font=font) / 2
        x = min(max(at[0], 14 + half), WIDTH - 14 - half)
        draw.text(
            (x, at[1]), text, font=font, fill=fill, anchor=anchor, stroke_width=2, stroke_fill=_HALO
        )

    def _majority(self, draw: ImageDraw.ImageDraw, index: int) -> None:
        """Ring the majority a proposer holds while its phase 2 rides (red: in both majorities)."""
        held: Majority | None = None
        for majority in self.model.majorities:
            if majority.index > index:
                break
            if index <= majority.until:
                held = majority
        if held is None:
            return
        for name in held.members:
            x, y = self.pos[self.lane[name]]
            draw.ellipse((x - 25, y - 25, x + 25, y + 25), outline=_MAJORITY, width=4)
            if name in held.overlap:
                for start in range(0, 360, 30):  # a dashed red ring: it carries the warning
                    box = (x - 30, y - 30, x + 30, y + 30)
                    draw.arc(box, start, start + 18, fill=_DANGER, width=3)

    def _chosen(self, draw: ImageDraw.ImageDraw, index: int, fold: StateFold) -> None:
        """The omniscient strip: the campsite chosen so far, and how many caravans know it."""
        chosen = None
        for moment in self.model.chosen:
            if moment.index > index:
                break
            chosen = moment
        if chosen is None:
            return
        knowing = sum(1 for s in fold.states.values() if s.alive and s.decided == chosen.value)
        told = (
            f"{knowing} of {len(fold.states)} caravans know it"
            if knowing
            else "no caravan knows it yet"
        )
        text = f"* chosen: {chosen.value} under banner {fmt_ballot(chosen.ballot)} - {told}"
        top = _MAP_BOTTOM - 20
        draw.rectangle((11, top, WIDTH - 11, _MAP_BOTTOM - 1), fill=_CHOSEN_STRIP)
        draw.text(
            (16, top + 4), _fit(draw, text, self.small, WIDTH - 32), font=self.small, fill=_GREEN
        )

    def _nights(self, draw: ImageDraw.ImageDraw, nights: JourneyFold) -> None:
        """A journey's omniscient strip: the nights chosen so far (the latest that fit), and
        how many of the travellers' requests are answered."""
        if not nights.chosen and not nights.asked:
            return
        top = _MAP_BOTTOM - 20
        draw.rectangle((11, top, WIDTH - 11, _MAP_BOTTOM - 1), fill=_CHOSEN_STRIP)
        plural = "s" if nights.asked != 1 else ""
        answered = f"{nights.answered} of {nights.asked} request{plural} answered"
        answered = _fit(draw, answered, self.small, WIDTH // 3)
        draw.text((WIDTH - 16, top + 4), answered, font=self.small, fill=_TRAVELLER, anchor="ra")
        room = WIDTH - 32 - int(draw.textlength(answered, font=self.small)) - 14
        told = [f"{slot} {what.removeprefix('a ')}" for slot, what in sorted(nights.chosen.items())]
        count = len(told)
        head = (
            f"* {count} night{'s' if count != 1 else ''} chosen: "
            if told
            else "* no night chosen yet"
        )
        text = head
        for shown in range(count, 0, -1):  # the latest nights that fit
            text = head + ("..., " if shown < count else "") + ", ".join(told[count - shown :])
            if draw.textlength(_ascii(text), font=self.small) <= room:
                break
        draw.text((16, top + 4), _fit(draw, text, self.small, room), font=self.small, fill=_GREEN)

    def _legend(self, draw: ImageDraw.ImageDraw) -> None:
        """The riders' colours in the glossary's words, on two rows, and the majority's rings."""
        x, y = 14, _LEGEND_Y
        words = (
            _JOURNEY_LEGEND
            if self.journey
            else tuple((RIDER_WORDS[kind], colour) for kind, colour in _COLOURS.items())
        )
        for word, colour in words:
            width = 18 + int(draw.textlength(word, font=self.small)) + 6
            if x + width > WIDTH - 10:
                x, y = 14, y + 15
            draw.ellipse((x, y + 2, x + 9, y + 11), fill=colour)
            draw.text((x + 12, y), word, font=self.small, fill=_MUTED)
            x += width
        draw.ellipse((x, y + 1, x + 11, y + 12), outline=_MAJORITY, width=3)
        draw.text((x + 14, y), "majority", font=self.small, fill=_MUTED)
        x += 14 + int(draw.textlength("majority", font=self.small)) + 10
        for start in range(0, 360, 60):  # dashed, as drawn around a caravan with the warning
            draw.arc((x, y + 1, x + 11, y + 12), start, start + 35, fill=_DANGER, width=2)
        draw.text((x + 14, y), "in both majorities", font=self.small, fill=_MUTED)

    def _caption(self, draw: ImageDraw.ImageDraw, step: GifStep) -> None:
        lines = _caption_lines(step.caption)
        colour = _DANGER if step.caption.startswith(("SAFETY", "INCOMPLETE")) else _INK
        if self.journey and step.caption.startswith("✗"):  # a journey's broken rule
            colour = _DANGER
        if step.note:  # a note: framed, in the note's own colour
            colour = _NOTE_INK
            bottom = _CAPTION_Y + 20 * len(lines) + 2
            draw.rectangle((8, _CAPTION_Y - 4, WIDTH - 8, bottom), outline=_NOTE_INK, width=2)
        for i, line in enumerate(lines):
            line = _fit(draw, line, self.font, WIDTH - 28)
            draw.text((14, _CAPTION_Y + i * 20), line, font=self.font, fill=colour)


def _collapsed_tent(draw: ImageDraw.ImageDraw, x: float, y: float) -> None:
    """A collapsed caravan's tent: greyed and crossed."""
    draw.ellipse((x - 20, y - 20, x + 20, y + 20), fill=(187, 187, 187), outline=(119,) * 3)
    draw.line((x - 9, y - 9, x + 9, y + 9), fill=_DANGER, width=4)
    draw.line((x - 9, y + 9, x + 9, y - 9), fill=_DANGER, width=4)


def _travellers(model: RunModel) -> frozenset[str]:
    """The journey's travellers: the header's, and any a request names."""
    named = model.header.get("travellers")
    found = {str(n) for n in named} if isinstance(named, list) else set()
    found.update(str(e["traveller"]) for e in model.events if e.get("kind") == "request")
    return frozenset(found - set(str(c) for c in model.header.get("caravans") or []))


def gif_frames(
    header: dict[str, Any], events: list[dict[str, Any]], *, max_frames: int = MAX_FRAMES
) -> tuple[list[Image.Image], list[int]]:
    """The frames of the run's GIF and how long (ms) each stays up."""
    journey = header.get("protocol") == "multi-paxos"
    model = build_model(header, events)
    caravans = model.caravans
    if journey and header.get("caravans"):  # a broadcast to them all is to "every caravan"
        caravans = [str(c) for c in header["caravans"]]
    steps = _choose(gif_steps(events, caravans, journey=journey), max(1, max_frames))
    painter = _Painter(model, journey=journey)
    fold = StateFold(model.caravans)
    nights = JourneyFold(model.caravans) if journey else None  # a journey's leaders and nights
    frames: list[Image.Image] = []
    durations: list[int] = []
    folded = -1
    for step in steps:
        # The frame shows the desert at the end of the step's tick, as the riders drawn are.
        t = model.times[step.index]
        while folded + 1 < len(events) and (folded < step.index or model.times[folded + 1] == t):
            folded += 1
            fold.apply(events[folded])
            if nights is not None:
                nights.apply(events[folded])
        frames.append(painter.frame(step, fold, nights))
        durations.append(
            min(_LAST_FRAME_MS, _DURATION_MS[0] + _NOTE_MS_PER_CHAR * len(step.caption))
            if step.note
            else _DURATION_MS[step.tier]
        )
    if not frames:  # a trace with nothing to show still makes a (one-frame) picture
        told = incomplete_note(summarize_trace(events))  # not even an end event
        frames.append(painter.frame(GifStep(0, 0, told), fold, nights))
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
    journey = header.get("protocol") == "multi-paxos"
    named = list(dict.fromkeys(_JOURNEY_NAMED_COLOURS if journey else _NAMED_COLOURS))
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
