"""Scenario loading: defaults, round trips, and the JSON Schema agreeing with the loader."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from desert_paxos.scenario import (
    BUILTIN_NAMES,
    ScenarioError,
    builtin_path,
    load_builtin,
    parse_scenario_text,
    scenario_from_data,
)
from desert_paxos.scenario._schema import scenario_json_schema

MINIMAL: dict[str, Any] = {"proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Siwa"}]}


def test_every_field_but_proposals_has_a_default() -> None:
    s = scenario_from_data(MINIMAL, "minimal.json")
    assert s.caravans == ("Aghilas", "Taziri", "Amastan", "Itri", "Tassadit")
    assert (s.q1, s.q2) == (3, 3)
    assert s.network.loss == 0.0 and s.timeline == ()
    assert s.expect.decided is None


def test_majority_follows_the_number_of_caravans() -> None:
    s = scenario_from_data(dict(MINIMAL, caravans=["Aghilas", "Taziri", "Amastan", "Itri"]), "x")
    assert s.q1 == s.q2 == 3
    assert scenario_from_data(dict(MINIMAL, caravans=["Aghilas"]), "x").q1 == 1


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtins_round_trip_through_to_json(name: str) -> None:
    s = load_builtin(name)
    again = scenario_from_data(json.loads(json.dumps(s.to_json())), "again", default_name="x")
    assert again == s


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtins_satisfy_the_json_schema(name: str) -> None:
    doc = json.loads(builtin_path(name).read_text(encoding="utf-8"))
    jsonschema.validate(doc, scenario_json_schema())


def test_builtins_teach_something() -> None:
    assert len(BUILTIN_NAMES) >= 9
    for name in BUILTIN_NAMES:
        s = load_builtin(name)
        assert s.name == name
        assert len(s.description) > 80
        assert s.expect.decided is not None


# Documents that both the loader and the schema must reject (the loader also checks
# what a schema cannot, such as names that must refer to declared caravans).
SHARED_REJECTS: list[dict[str, Any]] = [
    dict(MINIMAL, extra=1),
    dict(MINIMAL, seed=-1),
    dict(MINIMAL, quorum=0),
    dict(MINIMAL, network={"loss": 1.2}),
    dict(MINIMAL, network={"delay": {"min": 1}}),
    dict(MINIMAL, network={"delay": {"mean": 0}}),
    dict(MINIMAL, timeline=[{"at": 3}]),
    dict(MINIMAL, timeline=[{"at": 3, "calm": False}]),
    dict(MINIMAL, timeline=[{"at": 3, "crash": "Itri", "recover": "Itri"}]),
    dict(MINIMAL, caravans=[]),
    dict(MINIMAL, caravans=["Aghilas", "Aghilas"]),
    dict(MINIMAL, expect={"decided": ""}),
    dict(MINIMAL, variant="byzantine"),
    {"name": "no proposals"},
]


@pytest.mark.parametrize("doc", SHARED_REJECTS, ids=lambda d: json.dumps(d)[:60])
def test_loader_and_schema_reject_the_same_documents(doc: dict[str, Any]) -> None:
    with pytest.raises(ScenarioError):
        scenario_from_data(doc, "doc.json")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, scenario_json_schema())


def test_non_intersecting_quorums_need_the_teaching_variant() -> None:
    doc = dict(MINIMAL, quorums={"phase1": 2, "phase2": 2})
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(doc, "flex.json")
    assert "need not meet" in err.value.render()
    flexible = scenario_from_data(dict(MINIMAL, quorums={"phase1": 4, "phase2": 2}), "ok.json")
    assert (flexible.q1, flexible.q2) == (4, 2)
    broken = scenario_from_data(dict(doc, variant="small-quorums"), "broken.json")
    assert (broken.q1, broken.q2) == (2, 2)


def test_events_after_until_are_rejected() -> None:
    doc = dict(MINIMAL, until=100, timeline=[{"at": 150, "calm": True}])
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(doc, "late.json")
    assert "timeline[0].at" in err.value.render()


def test_toml_and_json_give_the_same_scenario() -> None:
    toml = 'name = "t"\n[[proposals]]\nat = 0\ncaravan = "Aghilas"\ncampsite = "Siwa"\n'
    as_json = json.dumps({"name": "t", **MINIMAL})
    assert parse_scenario_text(toml, "t.toml", "toml") == parse_scenario_text(
        as_json, "t.json", "json"
    )


def test_unlisted_caravans_form_the_remaining_group() -> None:
    from desert_paxos.sim import Simulation

    doc = dict(MINIMAL, timeline=[{"at": 0, "sandstorm": [["Itri"]]}], until=50)
    events: list[dict[str, Any]] = []
    Simulation(scenario_from_data(doc, "x"), observers=[events.append]).run()
    storm = next(e for e in events if e.get("kind") == "sandstorm")
    assert storm["groups"] == [["Itri"], ["Aghilas", "Taziri", "Amastan", "Tassadit"]]
