"""The ``chosen`` event: the moment a phase-2 quorum has written votes for one campsite.

Each check recomputes the moment independently from the trace's own ``persist``
events, so the event cannot drift from its definition.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.explore import ExploreOptions, Model, counterexample, search
from desert_paxos.scenario import BUILTIN_NAMES, load_builtin, load_scenario_file
from desert_paxos.sim import SimTraceWriter, Simulation
from desert_paxos.trace import TraceWriter, parse_trace_lines

GOLDEN_SCENARIOS = sorted((Path(__file__).parent / "golden" / "scenarios").glob("*.json"))


def _events(name: str, seed: int | None = None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    Simulation(load_builtin(name), seed=seed, observers=[events.append]).run()
    return events


def _expected_choices(events: list[dict[str, Any]]) -> list[tuple[int, list[Any], str, list[str]]]:
    """(seq of the completing persist, ballot, value, voters) recomputed from persist events."""
    header = events[0]
    quorum = header["quorums"]["phase2"]
    order = header["caravans"]
    votes: dict[tuple[Any, ...], dict[str, str]] = {}
    seen: set[tuple[tuple[Any, ...], str]] = set()
    out = []
    for e in events:
        if e["kind"] != "persist" or e["accepted"] is None:
            continue
        ballot = tuple(e["accepted"]["ballot"])
        value = e["accepted"]["value"]
        voters = votes.setdefault(ballot, {})
        voters[e["node"]] = value
        by = [name for name in order if voters.get(name) == value]
        if len(by) >= quorum and (ballot, value) not in seen:
            seen.add((ballot, value))
            out.append((e["seq"], list(ballot), value, by))
    return out


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_chosen_follows_the_persist_that_completed_the_quorum(name: str) -> None:
    events = _events(name)
    by_seq = {e.get("seq"): e for e in events}
    chosen = [e for e in events if e["kind"] == "chosen"]
    expected = _expected_choices(events)
    assert [(e["seq"] - 1, e["ballot"], e["value"], e["by"]) for e in chosen] == expected
    for e in chosen:
        assert set(e) == {"kind", "seq", "t", "value", "ballot", "by"}
        persist = by_seq[e["seq"] - 1]
        assert persist["kind"] == "persist" and persist["t"] == e["t"]


def test_every_builtin_that_decides_tells_a_chosen_event_first() -> None:
    for name in BUILTIN_NAMES:
        events = _events(name)
        decides = [e for e in events if e["kind"] == "decide"]
        chosen = [e for e in events if e["kind"] == "chosen"]
        if not decides:
            assert chosen == [], name
            continue
        first = chosen[0]
        assert first["seq"] < decides[0]["seq"], name
        assert {d["value"] for d in decides} == {first["value"]}, name


def test_proposer_collapses_chooses_siwa_before_anyone_knows() -> None:
    events = _events("proposer-collapses")
    chosen = [e for e in events if e["kind"] == "chosen"]
    first_decide = next(e for e in events if e["kind"] == "decide")
    assert chosen[0]["value"] == "Oasis of Siwa"
    assert chosen[0]["ballot"] == [1, "Aghilas"]
    assert chosen[0]["by"] == ["Aghilas", "Taziri", "Amastan"]
    crash = next(e for e in events if e["kind"] == "crash")
    assert chosen[0]["t"] < crash["t"] < first_decide["t"]


@pytest.mark.parametrize("path", GOLDEN_SCENARIOS, ids=lambda p: p.stem)
def test_the_fast_writer_writes_chosen_exactly_as_trace_writer(path: Path) -> None:
    scenario = load_scenario_file(path)
    fast, plain = io.StringIO(), io.StringIO()
    Simulation(scenario, seed=2, observers=[SimTraceWriter(fast)]).run()
    Simulation(scenario, seed=2, observers=[TraceWriter(plain)]).run()
    assert fast.getvalue() == plain.getvalue()
    header, events = parse_trace_lines(iter(fast.getvalue().splitlines()), str(path))
    chosen = [e for e in events if e["kind"] == "chosen"]
    expected = _expected_choices([header, *events])
    assert [(e["seq"] - 1, e["ballot"], e["value"], e["by"]) for e in chosen] == expected


def test_a_run_without_observers_is_unchanged_by_the_chosen_event() -> None:
    scenario = load_builtin("dueling-proposers")
    quiet = Simulation(scenario).run()
    told = Simulation(scenario, observers=[lambda e: None]).run()
    assert quiet.decided_value == told.decided_value
    assert quiet.end_time == told.end_time and quiet.events == told.events


@pytest.mark.parametrize(
    "options",
    [
        {"variant": "stubborn-proposer"},
        {"variant": "small-quorums", "q1": 2, "q2": 1},
    ],
)
def test_counterexamples_tell_chosen_events_too(options: dict[str, Any]) -> None:
    model = Model(ExploreOptions(**options))
    result = search(model)
    assert result.violation is not None
    story = counterexample(model, result.path, result.violation)
    events = [story.header, *story.events]
    chosen = [e for e in events if e["kind"] == "chosen"]
    expected = _expected_choices(events)
    assert [(e["seq"] - 1, e["ballot"], e["value"], e["by"]) for e in chosen] == expected
    if story.invariant == "single-choice":
        assert len({e["value"] for e in chosen}) == 2
