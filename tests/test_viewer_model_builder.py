"""ModelBuilder.truncate: the model after a cut is the one the kept events alone draw.

A live page's feed (``desert-paxos serve``) cuts the builder back when the session
forks (an act in the past discards the known future) and reads the new course on.
The cut is undone piece by piece, not read again from the start, so every piece is
checked here against :func:`build_model` of the kept events: riders that arrived
after the cut ride again, storms and outages reopen, states, majorities, chosen
moments and notes go back to what they were.
"""

from __future__ import annotations

from typing import Any

import pytest

from desert_paxos.viewer._model import ModelBuilder, build_model

from .viewer_traces import LONG_DAY, by_hand, trace_of, trace_of_data

Event = dict[str, Any]
_EDGES = ("sandstorm", "calm", "crash", "recover", "chosen", "note", "violation")


def _cuts(events: list[Event], every: int) -> list[int]:
    """Cut points: every ``every`` events, and just before and after each storm, outage,
    chosen moment, note and violation (where an undo is most likely to go wrong)."""
    cuts = set(range(0, len(events) + 1, every))
    for i, e in enumerate(events):
        if e.get("kind") in _EDGES:
            cuts.update((i, i + 1))
    return sorted(c for c in cuts if c <= len(events))


def _check(header: Event, events: list[Event], every: int) -> None:
    builder = ModelBuilder(header)
    builder.extend(events)
    for cut in _cuts(events, every):
        builder.truncate(cut)
        assert builder.model() == build_model(header, events[:cut]), f"cut at {cut}"
        builder.extend(events[cut:])
    assert builder.model() == build_model(header, events)


@pytest.mark.parametrize(
    "name", ["sandstorm-minority", "acceptor-collapses", "three-collapse", "lossy-desert"]
)
def test_a_cut_anywhere_draws_what_the_kept_events_draw(name: str) -> None:
    header, events = trace_of(name)
    _check(header, by_hand(header, events, notes=((40, "a teacher's note"),)), every=7)


def test_a_cut_in_a_long_day_of_storms_collapses_and_copies() -> None:
    header, events = trace_of_data(LONG_DAY)
    assert len(events) > 10_000
    _check(header, events, every=997)


def test_a_cut_forgets_caravans_first_named_after_it() -> None:
    header, events = trace_of("sandstorm-minority")
    nameless = {key: value for key, value in header.items() if key != "caravans"}
    builder = ModelBuilder(nameless)
    builder.extend(events)
    assert len(builder.caravans) == len(header["caravans"])
    for cut in (0, 1, 3, len(events) // 2):
        builder.truncate(cut)
        assert builder.model() == build_model(nameless, events[:cut])
        builder.extend(events[cut:])


def test_a_cut_past_the_end_changes_nothing() -> None:
    header, events = trace_of("calm-day")
    builder = ModelBuilder(header)
    builder.extend(events)
    builder.truncate(len(events) + 5)
    assert builder.model() == build_model(header, events)
