"""Every hot event kind: the line ``SimTraceWriter`` formats from fields must be
exactly the line ``TraceWriter`` writes for the dictionary built from them.

Hypothesis draws the fields (any text for names and values, quotes, control
characters and non-ASCII included; every message type; every shape of record),
so the hand-written lines cannot drift from the canonical encoding.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from desert_paxos.protocol import (
    Accept,
    Accepted,
    AcceptorRecord,
    Ballot,
    Decided,
    Inquire,
    Message,
    Nack,
    Prepare,
    Promise,
    Proposal,
)
from desert_paxos.scenario import load_scenario_file
from desert_paxos.sim import SimTraceWriter
from desert_paxos.sim._events import (
    BUILDERS,
    DECIDE,
    DELIVERY,
    DROP,
    PERSIST,
    SEND,
    TIMER_CANCEL,
    TIMER_FIRE,
    TIMER_SET,
    header_event,
)
from desert_paxos.trace import TraceWriter

SCENARIOS = [
    load_scenario_file(path)
    for path in sorted((Path(__file__).parent / "golden" / "scenarios").glob("*.json"))
]

names = st.text(max_size=12)
ticks = st.integers(min_value=-5, max_value=10**12)
ballots = st.builds(Ballot, st.integers(min_value=0, max_value=10**9), names)
optional_ballots = st.none() | ballots
messages: st.SearchStrategy[Message] = st.one_of(
    st.builds(Prepare, ballot=ballots),
    st.builds(
        Promise,
        ballot=ballots,
        accepted=st.none() | st.builds(Proposal, ballot=ballots, value=names),
    ),
    st.builds(Accept, ballot=ballots, value=names),
    st.builds(Accepted, ballot=ballots, value=names),
    st.builds(Nack, ballot=ballots, promised=ballots),
    st.builds(Decided, ballot=ballots, value=names),
    st.just(Inquire()),
)
records = st.builds(
    AcceptorRecord,
    promised=optional_ballots,
    accepted_ballot=optional_ballots,
    accepted_value=st.none() | names,
)

FIELDS: dict[int, st.SearchStrategy[tuple[Any, ...]]] = {
    SEND: st.tuples(ticks, names, names, messages, ticks, st.none() | ticks),
    DELIVERY: st.tuples(ticks, names, names, messages),
    DROP: st.tuples(ticks, names, names, messages, names),
    PERSIST: st.tuples(names, records),
    TIMER_SET: st.tuples(names, names, ticks),
    TIMER_CANCEL: st.tuples(names, names),
    TIMER_FIRE: st.tuples(names, names),
    DECIDE: st.tuples(names, names, ballots),
}
events = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda kind: st.tuples(st.just(kind), ticks, ticks, FIELDS[kind])
)


def reference_line(kind: int, seq: int, t: int, fields: tuple[Any, ...]) -> str:
    event = BUILDERS[kind](*fields)
    event["seq"] = seq
    event["t"] = t
    out = io.StringIO()
    TraceWriter(out)(event)
    return out.getvalue()


def fast_line(writer: SimTraceWriter, out: io.StringIO, event: tuple[Any, ...]) -> str:
    out.seek(0)
    out.truncate()
    writer.line(*event)
    return out.getvalue()


def test_every_kind_has_fields_a_builder_and_a_line() -> None:
    assert sorted(FIELDS) == list(range(len(BUILDERS)))


@given(events)
def test_fast_line_is_the_trace_writers_line(event: tuple[int, int, int, tuple[Any, ...]]) -> None:
    out = io.StringIO()
    assert fast_line(SimTraceWriter(out), out, event) == reference_line(*event)


@given(st.lists(events, min_size=2, max_size=30))
def test_a_reused_writer_and_reused_messages_keep_every_line_right(
    batch: list[tuple[int, int, int, tuple[Any, ...]]],
) -> None:
    # The same message objects again and again, as a broadcast sends them.
    out = io.StringIO()
    writer = SimTraceWriter(out)
    for event in batch + batch:
        assert fast_line(writer, out, event) == reference_line(*event)


def test_the_message_cache_forgets_and_stays_right() -> None:
    out = io.StringIO()
    writer = SimTraceWriter(out)
    sent = [Prepare(ballot=Ballot(i, "Itri")) for i in range(SimTraceWriter._MESSAGE_CACHE + 10)]
    for i, msg in enumerate(sent):
        event = (DELIVERY, i + 1, i, (i, "Itri", "Amastan", msg))
        assert fast_line(writer, out, event) == reference_line(*event[:3], event[3])
    assert len(writer._messages) <= SimTraceWriter._MESSAGE_CACHE


@given(st.sampled_from(SCENARIOS), names, st.text(max_size=60), ticks, ticks)
def test_header_line_is_the_trace_writers_line(
    scenario: Any, name: str, description: str, seed: int, until: int
) -> None:
    scenario = dataclasses.replace(scenario, name=name, description=description)
    config = scenario.config()
    expected = io.StringIO()
    TraceWriter(expected)(header_event(scenario, seed, until, config))
    out = io.StringIO()
    writer = SimTraceWriter(out)
    writer.header(scenario, seed, until, config)
    writer.header(scenario, seed, until, config)  # the second from the cached spec
    assert out.getvalue() == expected.getvalue() * 2


def test_other_kinds_reach_the_writer_as_dictionaries() -> None:
    out = io.StringIO()
    SimTraceWriter(out)({"kind": "calm", "seq": 4, "t": 9})
    assert out.getvalue() == '{"kind": "calm", "seq": 4, "t": 9}\n'
