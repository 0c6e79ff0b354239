"""Timeline events made by hand in the REPL: network changes and dropped riders."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from desert_paxos.scenario import ScenarioError, TimelineEvent, scenario_from_data
from desert_paxos.scenario._schema import scenario_json_schema
from desert_paxos.sim import Simulation

BASE: dict[str, Any] = {
    "seed": 3,
    "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Siwa"}],
}


def doc(*timeline: dict[str, Any]) -> dict[str, Any]:
    return {**BASE, "timeline": list(timeline)}


def trace(data: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    Simulation(scenario_from_data(data, "x.json"), observers=[events.append]).run()
    return events[1:]


def test_network_and_drop_events_load_round_trip_and_match_the_schema() -> None:
    data = doc(
        {"at": 10, "network": {"loss": 0.5, "delay": {"min": 1, "max": 3}}},
        {"at": 12, "network": {"duplicate": 0.25}},
        {"at": 20, "drop": 7},
    )
    scenario = scenario_from_data(data, "x.json")
    kinds = [e.kind for e in scenario.timeline]
    assert kinds == ["network", "network", "drop"]
    assert scenario.timeline[2] == TimelineEvent(at=20, kind="drop", rider=7)
    assert scenario_from_data(scenario.to_json(), "again.json") == scenario
    jsonschema.validate(scenario.to_json(), scenario_json_schema())


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"at": 1, "network": {}}, 'timeline[0].network: say what changes, e.g. {"loss": 0.3}'),
        (
            {"at": 1, "network": {"loss": 2}},
            "timeline[0].network.loss: probability 2 is outside [0, 1]",
        ),
        ({"at": 1, "network": {"lag": 3}}, "timeline[0].network.lag: unknown key 'lag'"),
        (
            {"at": 1, "network": {"delay": {"min": 9, "max": 1}}},
            "timeline[0].network.delay: min 9 is greater than max 1",
        ),
        ({"at": 1, "drop": 0}, "timeline[0].drop: 0 is too small: must be >= 1"),
        (
            {"at": 1, "drop": "seven"},
            "timeline[0].drop: expected a whole number >= 1, got a string",
        ),
        (
            {"at": 1, "drop": 3, "calm": True},
            "an event is exactly one of: sandstorm, calm, crash, recover, network, drop",
        ),
    ],
)
def test_bad_hand_events_are_named_with_their_path(event: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(doc(event), "bad.json")
    assert message in caught.value.render()
    if "greater than" in message:
        return  # min <= max is beyond JSON Schema; the loader is the authority
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc(event), scenario_json_schema())


def test_a_network_change_applies_to_riders_sent_after_it() -> None:
    events = trace(doc({"at": 1, "network": {"delay": {"min": 100, "max": 100}}}))
    change = next(e for e in events if e["kind"] == "network")
    assert change == {
        "kind": "network",
        "seq": change["seq"],
        "t": 1,
        "delay": {"min": 100, "max": 100},
        "loss": 0.0,
        "duplicate": 0.0,
    }
    later = [e for e in events if e["kind"] == "send" and e["t"] > 1 and e["src"] != e["dst"]]
    assert later and all(e["arrive"] - e["t"] == 100 for e in later)
    earlier = [e for e in events if e["kind"] == "send" and e["t"] == 0 and e["src"] != e["dst"]]
    assert all(e["arrive"] < 100 for e in earlier)


def test_total_loss_from_a_tick_on_means_no_rider_arrives_after_it() -> None:
    events = trace(doc({"at": 0, "network": {"loss": 1.0}}))
    delivered = [e for e in events if e["kind"] == "deliver" and e["src"] != e["dst"]]
    assert delivered == []
    assert not any(e["kind"] == "decide" for e in events)


def test_a_dropped_rider_never_arrives_and_the_trace_says_by_hand() -> None:
    plain = trace(doc())
    first_send = next(e for e in plain if e["kind"] == "send" and e["src"] != e["dst"])
    events = trace(doc({"at": 1, "drop": first_send["id"]}))
    drop = next(e for e in events if e["kind"] == "drop")
    assert drop["reason"] == "hand" and drop["id"] == first_send["id"] and drop["t"] == 1
    assert not any(e["kind"] == "deliver" and e["id"] == first_send["id"] for e in events)


def test_dropping_a_rider_no_longer_on_the_sand_is_a_note() -> None:
    events = trace(doc({"at": 1500, "drop": 2}))
    note = next(e for e in events if e["kind"] == "note")
    assert "rider #2 is not on the sand" in note["text"]


def test_files_without_hand_events_run_exactly_as_before() -> None:
    data = doc({"at": 30, "crash": "Itri"})
    a, b = trace(data), trace(json.loads(json.dumps(data)))
    assert a == b
    assert not any(e["kind"] == "network" for e in a)
