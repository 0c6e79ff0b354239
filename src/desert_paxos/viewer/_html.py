"""The HTML viewer: one self-contained page (inline CSS, JS and SVG) per trace.

Theory of operation
-------------------
Python does the reading, the browser does the drawing. :func:`page_data`
turns the trace into compact JSON: the raw events (for the details panel),
both voices of every event (told here by :mod:`desert_paxos.narrate`, so the
page and the terminal say the same words), and the pieces of
:mod:`._model`: riders, storms, outages, lane marks and the per-caravan state
snapshots. The page script (``assets/viewer.js``) only looks things up in it.

The JSON sits in a ``<script type="application/json">`` element with every ``<``
escaped, so no trace text can close it; a Content-Security-Policy forbids any
network request, so the page works from disk and leaks nothing.
"""

from __future__ import annotations

import bisect
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from .._files import write_output
from ..narrate import (
    GLOSSARY,
    RIDER_WORDS,
    event_level,
    fmt_ballot,
    protocol_voice,
    story_voice,
)
from ..narrate._journey import journey_level, journey_protocol_voice, journey_story_voice
from ..trace import incomplete_note, summarize_trace
from ._journey import history_view_html, log_view_html
from ._model import (
    LANE_MARKS,
    CaravanState,
    Rider,
    RunModel,
    build_model,
    promise_text,
    vote_text,
)

__all__ = [
    "EVENT_COLUMNS",
    "RowCache",
    "event_columns",
    "model_data",
    "page_data",
    "render_html",
    "write_html",
]

_FATES = {"delivered": 0, "dropped": 1, "riding": 2}


def _asset(name: str) -> str:
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _state_row(index: int, state: CaravanState) -> list[Any]:
    """One snapshot: the table's words, and the pieces the map sets on separate lines."""
    vote = state.accepted if isinstance(state.accepted, dict) else None
    return [
        index,
        1 if state.alive else 0,
        promise_text(state.promised),
        vote_text(state.accepted),
        state.decided if state.decided is not None else "",
        fmt_ballot(state.promised) if state.promised is not None else "",
        str(vote.get("value")) if vote else "",
        fmt_ballot(vote.get("ballot")) if vote else "",
    ]


def page_data(header: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the page script needs, as plain JSON-ready values."""
    journey = header.get("protocol") == "multi-paxos"
    return {**model_data(build_model(header, events)), **event_columns(events, journey=journey)}


# The page's per-event lists: a live page (``desert-paxos serve``) appends to them as events come.
EVENT_COLUMNS = ("times", "kinds", "levels", "story", "protocol", "events")


def event_columns(events: list[dict[str, Any]], *, journey: bool = False) -> dict[str, list[Any]]:
    """Each event's time, kind, log level, both voices, and the event itself (a
    ``journey``'s events in the journey's voices, ``narrate._journey``)."""
    level, story, protocol = event_level, story_voice, protocol_voice
    if journey:
        level, story, protocol = journey_level, journey_story_voice, journey_protocol_voice
    return {
        "times": [int(e["t"]) for e in events],
        "kinds": [str(e.get("kind")) for e in events],
        "levels": [level(e) for e in events],
        "story": [story(e) for e in events],
        "protocol": [protocol(e) for e in events],
        "events": events,
    }


def _rider_row(r: Rider, lane: dict[str, int]) -> list[Any]:
    return [
        r.id,
        lane[r.src],
        lane[r.dst],
        r.type,
        r.sent_at,
        r.end_at,
        _FATES[r.fate],
        r.reason or "",
        -1 if r.copy_of is None else r.copy_of,
        r.send_index,
        -1 if r.fate_index is None else r.fate_index,
    ]


def _mark_rows(
    events: list[dict[str, Any]], start: int, lane: dict[str, int]
) -> tuple[list[list[Any]], list[int]]:
    """The lane marks and the note marks of ``events[start:]``."""
    marks = [
        [index, lane[str(e["node"])], str(e["kind"])]
        for index, e in enumerate(events[start:], start)
        if e.get("kind") in LANE_MARKS and e.get("node") in lane
    ]
    notes = [
        i for i, e in enumerate(events[start:], start) if e.get("kind") == "note" and e.get("text")
    ]
    return marks, notes


class RowCache:
    """:func:`model_data`'s long lists for a run that grows or is cut (a live session's).

    Rows are made once: a rider's row is kept while the model holds the same
    :class:`Rider` object, a state row while its lane holds the same snapshot at
    the same place, and the marks of events while those events are the same
    objects; only the rows of what is new are made. The lists are those
    :func:`model_data` makes without the cache, row for row.
    """

    def __init__(self) -> None:
        self._reset([])

    def _reset(self, caravans: list[str]) -> None:
        self._caravans = list(caravans)
        self._events: list[dict[str, Any]] = []  # the events the marks were read from
        self._marks: list[list[Any]] = []
        self._notes: list[int] = []
        self._riders: dict[int, tuple[Rider, list[Any]]] = {}
        self._states: dict[str, tuple[list[int], list[CaravanState], list[list[Any]]]] = {}

    def rows(self, model: RunModel, lane: dict[str, int]) -> dict[str, Any]:
        if model.caravans != self._caravans:
            self._reset(model.caravans)  # lanes renumbered: every row again
        events, seen = model.events, self._events
        shared = _same_prefix(seen, events)
        if shared < len(seen):  # a cut: the rows of what went are dropped
            del self._marks[bisect.bisect_left(self._marks, [shared]) :]
            del self._notes[bisect.bisect_left(self._notes, shared) :]
            self._riders = {
                key: kept for key, kept in self._riders.items() if kept[0].send_index < shared
            }
        marks, notes = _mark_rows(events, shared, lane)
        self._marks.extend(marks)
        self._notes.extend(notes)
        self._events = list(events)
        riders = []
        cached = self._riders
        for r in model.riders:
            found = cached.get(r.id)
            if found is None or found[0] is not r:
                found = cached[r.id] = (r, _rider_row(r, lane))
            riders.append(found[1])
        states = []
        for name in model.caravans:
            marks_of, values = model.state_marks[name], model.state_values[name]
            old_marks, old_values, old_rows = self._states.get(name, ([], [], []))
            keep = _same_prefix(old_values, values)
            while keep and old_marks[keep - 1] != marks_of[keep - 1]:
                keep -= 1
            rows = old_rows[:keep] + [
                _state_row(index, state)
                for index, state in zip(marks_of[keep:], values[keep:], strict=True)
            ]
            self._states[name] = (list(marks_of), list(values), rows)
            states.append(rows)
        return {
            "riders": riders,
            "marks": list(self._marks),
            "states": states,
            "noteMarks": list(self._notes),
        }


def _same_prefix(old: list[Any], new: list[Any]) -> int:
    """How many leading items ``old`` and ``new`` share, compared by identity."""
    n = min(len(old), len(new))
    if n and old[n - 1] is new[n - 1]:
        # The lists only ever lose a tail and gain new objects: the last shared one vouches for
        # the rest (checked from the start when it does not).
        return n
    i = 0
    while i < n and old[i] is new[i]:
        i += 1
    return i


def model_data(
    model: RunModel, *, live: bool = False, cache: RowCache | None = None
) -> dict[str, Any]:
    """Everything else the page needs, read from the model of the run.

    ``live``: a session under way (``desert-paxos serve``), never told as cut short;
    ``cache``: the rows of an earlier look at the same growing run, reused (see :class:`RowCache`).
    """
    header, events = model.header, model.events
    lane = {name: i for i, name in enumerate(model.caravans)}
    if cache is not None:
        rows = cache.rows(model, lane)
    else:
        marks, notes = _mark_rows(events, 0, lane)
        rows = {
            "riders": [_rider_row(r, lane) for r in model.riders],
            "marks": marks,
            "noteMarks": notes,
            "states": [
                [
                    _state_row(index, state)
                    for index, state in zip(
                        model.state_marks[name], model.state_values[name], strict=True
                    )
                ]
                for name in model.caravans
            ],
        }
    drawn_until = max([model.end_time, *(r.end_at for r in model.riders)])
    given_quorums = header.get("quorums")
    quorums: dict[str, Any] = given_quorums if isinstance(given_quorums, dict) else {}
    return {
        "scenario": str(header.get("scenario", "?")),
        "description": str(header.get("description", "")),
        "seed": header.get("seed"),
        "variant": str(header.get("variant", "paxos")),
        "quorums": [quorums.get("phase1"), quorums.get("phase2")],
        "caravans": model.caravans,
        "end": model.end_time,
        "drawnUntil": drawn_until,
        "riders": rows["riders"],
        "storms": [
            [s.start, s.end, [[lane[n] for n in g if n in lane] for g in s.groups], int(s.raging)]
            for s in model.storms
        ],
        "outages": [[lane[o.caravan], o.start, o.end] for o in model.outages],
        "marks": rows["marks"],
        "states": rows["states"],
        "violations": model.violations,
        "incomplete": None if live else _incomplete(events),
        "majorities": [
            [
                m.index,
                m.until,
                lane[m.proposer],
                fmt_ballot(m.ballot),
                [lane[n] for n in m.members if n in lane],
                list(m.riders),
                -1 if m.chosen is None else m.chosen,
                [lane[n] for n in m.overlap if n in lane],
            ]
            for m in model.majorities
            if m.proposer in lane
        ],
        "chosen": [
            [c.index, c.value, fmt_ballot(c.ballot), [lane[n] for n in c.by if n in lane]]
            for c in model.chosen
        ],
        "notes": model.notes,
        # Every note with words is drawn across the diagram: the teacher's, and the ones on a
        # caravan (an explorer counterexample's mark where a variant departs from real Paxos).
        "noteMarks": rows["noteMarks"],
        "quorumSizes": _quorum_sizes(quorums, len(model.caravans)),
        "glossary": [[w.story, w.paxos, w.means] for w in GLOSSARY.values()],
        "riderWords": dict(RIDER_WORDS),  # what each rider carries, as the story voice says it
    }


def _quorum_sizes(quorums: dict[str, Any], caravans: int) -> list[int]:
    """Phase-1 and phase-2 quorum sizes: the header's, or a majority."""
    majority = caravans // 2 + 1
    return [
        q if isinstance(q, int) and q > 0 else majority
        for q in (quorums.get("phase1"), quorums.get("phase2"))
    ]


def _incomplete(events: list[dict[str, Any]]) -> str | None:
    """The banner of a trace without its end event (a run cut short), or None."""
    summary = summarize_trace(events)
    return None if summary["complete"] else incomplete_note(summary)


def _script_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Inside <script>, "</" could end the element and "<!--" open a comment: no "<" at all,
    # then; "\u003c" is the same character to JSON.parse.
    return text.replace("<", "\\u003c")


def render_html(header: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The whole page as one string."""
    title = f"Desert Paxos — {header.get('scenario', 'a run')} (seed {header.get('seed', '?')})"
    slots = {
        "TITLE": html.escape(title),
        "CSS": _asset("viewer.css"),
        "JS": _asset("viewer.js"),
        "DATA": _script_json(page_data(header, events)),
        # a journey's nights × caravans and its travellers' history (viewer._journey)
        "LOG": log_view_html(header, events) + history_view_html(header, events),
    }
    # One pass, so text from the trace can never be mistaken for a later slot.
    return re.sub(r"\{\{(TITLE|CSS|JS|DATA|LOG)\}\}", lambda m: slots[m[1]], _asset("page.html"))


def write_html(header: dict[str, Any], events: list[dict[str, Any]], path: str | Path) -> None:
    """Write the self-contained viewer page for a trace to ``path`` (atomically, see ``_files``)."""
    write_output(path, render_html(header, events), what="the page")
