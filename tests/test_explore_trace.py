"""Counterexamples as traces: the foundation's format, consistent with itself and with the monitor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desert_paxos.explore import Counterexample, ExploreOptions, Model, counterexample, search
from desert_paxos.narrate import protocol_voice, story_voice
from desert_paxos.scenario import scenario_from_data
from desert_paxos.trace import TRACE_FORMAT, dump_event, read_trace


def _story(**options: Any) -> Counterexample:
    model = Model(ExploreOptions(**options))
    result = search(model)
    assert result.violation is not None
    return counterexample(model, result.path, result.violation)


VARIANT_OPTIONS = [
    {"variant": "stubborn-proposer"},
    {"variant": "early-learner"},
    {"variant": "reused-ballot", "invariants": ("agreement",)},
    {"variant": "forgetful-acceptor", "crashes": 1, "invariants": ("agreement",)},
    {"variant": "small-quorums", "q1": 2, "q2": 1},
    {"variant": "stubborn-proposer", "duplicate": True, "loss": True},
    {"variant": "early-learner", "self_delay": True},
]


@pytest.mark.parametrize("options", VARIANT_OPTIONS)
def test_the_trace_is_well_formed_and_ends_with_the_violation(
    options: dict[str, Any], tmp_path: Path
) -> None:
    story = _story(**options)
    path = tmp_path / "counterexample.jsonl"
    path.write_text(
        "".join(dump_event(e) + "\n" for e in (story.header, *story.events)), encoding="utf-8"
    )
    header, events = read_trace(path)  # checks seq increases and t never goes back
    assert header["format"] == TRACE_FORMAT
    assert header["variant"] == options["variant"]
    assert header["caravans"] == ["Aghilas", "Taziri", "Amastan"]
    assert events[-1]["kind"] == "end" and events[-1]["reason"] == "violation"
    assert events[-2]["kind"] == "violation"
    assert events[-2]["invariant"] == story.invariant
    assert [e["t"] for e in events if e["kind"] == "violation"] == [story.length]
    # The header's spec is a scenario the loader accepts.
    spec = scenario_from_data(header["spec"], "spec")
    assert spec.variant == options["variant"]
    assert {p.caravan for p in spec.proposals} <= set(header["caravans"])


@pytest.mark.parametrize("options", VARIANT_OPTIONS)
def test_every_rider_is_sent_before_it_arrives_and_arrives_when_it_says(
    options: dict[str, Any],
) -> None:
    story = _story(**options)
    sends: dict[int, dict[str, Any]] = {}
    for event in story.events:
        match event["kind"]:
            case "send":
                assert event["id"] not in sends
                sends[event["id"]] = event
            case "deliver" | "drop":
                sent = sends[event["id"]]  # sent earlier in the trace
                assert (sent["src"], sent["dst"], sent["msg"]) == (
                    event["src"],
                    event["dst"],
                    event["msg"],
                )
                assert sent["arrive"] == event["t"]
    copies = [e for e in sends.values() if "copy_of" in e]
    assert bool(copies) == bool(options.get("duplicate"))  # with duplication, riders come twice
    for copy in copies:
        original = sends[copy["copy_of"]]
        assert copy["msg"] == original["msg"] and copy["t"] == original["t"]


def test_each_step_is_one_tick_and_tells_its_move() -> None:
    story = _story(variant="stubborn-proposer")
    assert [step.t for step in story.steps] == list(range(1, story.length + 1))
    first = story.steps[0]
    assert first.action == ("propose", 0)
    assert first.events[0] == {
        "kind": "propose",
        "node": "Aghilas",
        "value": "Oasis of Siwa",
        "t": 1,
        "seq": first.events[0]["seq"],
    }
    for step in story.steps:
        assert all(e["t"] == step.t for e in step.events)


def test_both_voices_tell_every_event_of_a_counterexample() -> None:
    story = _story(variant="forgetful-acceptor", crashes=1, invariants=("agreement",))
    kinds = {e["kind"] for e in story.events}
    assert {"crash", "recover", "persist", "decide", "violation"} <= kinds
    for event in story.events:
        assert story_voice(event) and story_voice(event) != event["kind"]
        assert protocol_voice(event)


def test_the_forgetful_acceptor_story_shows_the_forgotten_promise() -> None:
    story = _story(variant="forgetful-acceptor", crashes=1, invariants=("agreement",))
    recover = next(e for e in story.events if e["kind"] == "recover")
    # It comes back without the promise it made before collapsing: that is the lesson.
    assert recover["promised"] is None
    decided = {e["value"] for e in story.events if e["kind"] == "decide"}
    assert len(decided) == 2
    assert "decided" in story.message


def test_a_symmetric_search_is_retold_with_concrete_caravans() -> None:
    model = Model(ExploreOptions(caravans=4, variant="small-quorums", symmetry=True))
    result = search(model)
    assert result.violation == "single-choice"
    story = counterexample(model, result.path, "single-choice")
    assert story.header["caravans"] == ["Aghilas", "Taziri", "Amastan", "Itri"]
    assert story.events[-2]["invariant"] == "single-choice"


def test_a_path_the_monitor_disagrees_with_is_refused() -> None:
    model = Model(ExploreOptions(variant="stubborn-proposer"))
    result = search(model)
    assert result.violation == "single-choice"
    with pytest.raises(AssertionError, match="monitor saw single-choice"):
        counterexample(model, result.path, "agreement")
    with pytest.raises(AssertionError, match="monitor saw nothing"):
        counterexample(model, result.path[:-1], "single-choice")
