"""What a live page draws, kept up to date as the session moves: the viewer's data, by deltas.

Theory of operation
-------------------
The live page draws with the viewer's own script (``viewer/assets/viewer.js``)
from the viewer's own data (``viewer._html``: :func:`event_columns` and
:func:`model_data`). What it shows is the session's *known history*: every
event its time machine has recorded, up to the frontier, so the slider covers
the past and any future already lived through (after ``/back``) alike.

Re-reading a 10,000-event history at every step would cost far more than a
step, so the feed reads each event once. A :class:`~desert_paxos.viewer.ModelBuilder`
is fed the newest events; the per-event columns (both voices, the level) are
appended; and the page is sent only what changed: for every list, the length
of the part it already has and the new tail (a rider still riding at the last
look is sent again when it arrives or is lost). When the session forks (an act
after travelling back), the record shares its past with the old one: the feed
keeps that common part and reads only the new course (the room tells it how much
of the past a fork kept, so only the lines after that are compared). A new scenario or seed
starts a new feed (``reset``).

The feed never changes the session: it reads the time machine's record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..repl import Session
from ..viewer._html import EVENT_COLUMNS, RowCache, event_columns, model_data
from ..viewer._model import ModelBuilder

__all__ = ["LiveFeed", "common_prefix"]

# Lists of the viewer's data sent as (kept, tail); the rest are sent whole when they change.
_TAILED = ("riders", "marks", "majorities", "chosen", "notes", "violations")


def common_prefix(old: Sequence[Any], new: Sequence[Any]) -> int:
    """How many leading items ``old`` and ``new`` share.

    Both are iterated, not indexed: a session's record (``TraceLines``) reads
    block by block when iterated, where indexing each line would look up its block.
    """
    i = 0
    for a, b in zip(old, new, strict=False):
        if a is not b and a != b:
            break
        i += 1
    return i


class LiveFeed:
    """The viewer's data for one session, and the deltas that bring a page up to date."""

    def __init__(self) -> None:
        self._tm: Any = None
        self._base: Any = None
        self._lines: list[str] = []
        self._builder: ModelBuilder | None = None
        self._columns: dict[str, list[Any]] = {name: [] for name in EVENT_COLUMNS}
        self._model: dict[str, Any] = {}
        self._raw: dict[str, Any] | None = None  # model_data of the events read, before _live
        self._rows = RowCache()  # its rows, made once each
        self.version = 0  # counts resets: a page holding another version needs the whole data

    # -- reading the session ------------------------------------------------------------

    def update(self, session: Session, *, shared: int = 0) -> dict[str, Any] | None:
        """The delta since the last call (None when the data did not change).

        ``shared``: how many leading lines of the session's record are known to be
        those read last (a fork keeps its past, see :meth:`Room.execute`), compared no more.
        """
        tm = session.tm
        lines = tm.lines
        reset = self._builder is None or session.base is not self._base
        if reset:
            self._start(session)
            kept = 0
        elif tm is self._tm and len(lines) >= len(self._lines):
            kept = len(self._lines)
            if kept and lines[kept - 1] is not self._lines[kept - 1]:
                kept = common_prefix(self._lines, lines)
        else:
            shared = max(0, min(shared, len(self._lines), len(lines)))
            kept = shared + common_prefix(self._lines[shared:], lines[shared:])
        builder = self._builder
        assert builder is not None
        self._tm = tm
        changed = reset or kept < len(self._lines) or builder.header is not tm.header
        if builder.header is not tm.header:
            builder.header = tm.header
        if kept < len(self._lines):
            builder.truncate(kept)
            for column in self._columns.values():
                del column[kept:]
            del self._lines[kept:]
        fresh = lines[len(self._lines) :]
        events = [json.loads(line) for line in fresh]
        builder.extend(events)
        self._lines.extend(fresh)
        new_columns = event_columns(events)
        for name, values in new_columns.items():
            self._columns[name].extend(values)
        if changed or fresh or self._raw is None:  # else only the clock moved: no re-reading
            self._raw = model_data(builder.model(), live=True, cache=self._rows)
        model = self._live(session, self._raw)
        delta = self._delta(model) if not reset else {"set": model, "tails": {}, "lanes": None}
        if not reset and not fresh and kept == len(self._lines) and not delta:
            return None
        self._model = model
        return {
            "type": "data",
            "version": self.version,
            "reset": reset,
            "kept": kept,
            "columns": new_columns,
            "model": delta,
        }

    def _start(self, session: Session) -> None:
        self.version += 1
        self._base = session.base
        self._tm = None
        self._lines = []
        self._builder = ModelBuilder(session.tm.header)
        self._columns = {name: [] for name in EVENT_COLUMNS}
        self._model = {}
        self._raw = None
        self._rows = RowCache()

    def _live(self, session: Session, raw: dict[str, Any]) -> dict[str, Any]:
        """The viewer's data as the live page draws it: its time runs to the session's clock."""
        tm = session.tm
        data = dict(raw)
        end = max(raw["end"], tm.t_after[tm.frontier], session.clock)
        data["end"] = end
        data["drawnUntil"] = max(raw["drawnUntil"], end)
        # A storm still raging blows on to the clock, not only to the last event.
        data["storms"] = [[s[0], end, *s[2:]] if s[3] else s for s in raw["storms"]]
        return data

    def _delta(self, model: dict[str, Any]) -> dict[str, Any]:
        """``set``: values sent whole; ``tails``: key -> (kept, tail); ``lanes``: the same per lane."""
        old = self._model
        whole: dict[str, Any] = {}
        tails: dict[str, Any] = {}
        lanes: list[Any] | None = None
        for key, value in model.items():
            before = old.get(key)
            if key in _TAILED and isinstance(before, list):
                kept = common_prefix(before, value)
                if kept < len(before) or kept < len(value):
                    tails[key] = [kept, value[kept:]]
            elif key == "states" and isinstance(before, list) and len(before) == len(value):
                parts = [[common_prefix(b, v), v] for b, v in zip(before, value, strict=True)]
                if any(k < len(b) or k < len(v) for (k, v), b in zip(parts, before, strict=True)):
                    lanes = [[k, v[k:]] for k, v in parts]
            elif value != before:
                whole[key] = value
        if not (whole or tails or lanes):
            return {}
        return {"set": whole, "tails": tails, "lanes": lanes}

    # -- the whole of it, for a page that joins --------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything a page needs to draw the known history from nothing."""
        return {
            "type": "data",
            "version": self.version,
            "reset": True,
            "kept": 0,
            "columns": self._columns,
            "model": {"set": self._model, "tails": {}, "lanes": None},
        }
