"""The one simulator runs the long journey: safe, live after calm, deterministic, checked."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest

from desert_paxos.check import check_events
from desert_paxos.check._journey import JourneyMonitor, history_events
from desert_paxos.protocol import Ballot
from desert_paxos.protocol.multi import REST_DAY, Command, JourneyCaravan, Logbook
from desert_paxos.scenario import (
    JOURNEY_NAMES,
    ScenarioError,
    load_builtin,
    scenario_from_data,
)
from desert_paxos.sim import SimTraceWriter, Simulation
from desert_paxos.swarm import draw_desert, run_swarm
from desert_paxos.trace import TraceError
from desert_paxos.trace._io import parse_trace_lines


def traced(scenario, seed: int | None = None) -> tuple[list[dict], Simulation]:  # type: ignore[no-untyped-def,type-arg]
    events: list[dict] = []  # type: ignore[type-arg]
    sim = Simulation(scenario, seed=seed, observers=[events.append])
    sim.run()
    return events, sim


@pytest.mark.parametrize("name", JOURNEY_NAMES)
@pytest.mark.parametrize("seed", range(6))
def test_every_journey_is_safe_answers_everyone_and_agrees(name: str, seed: int) -> None:
    events, sim = traced(load_builtin(name), seed)
    result = sim.result()
    assert result.violation is None, result.violation
    assert result.end_reason == "quiet"
    end = events[-1]
    asked = {(e["traveller"], e["request"]) for e in events if e["kind"] == "request"}
    answered = {(e["traveller"], e["request"]) for e in events if e["kind"] == "response"}
    assert asked == answered and end["answered"] == len(answered)
    assert len(set(end["executed"].values())) == 1  # every caravan executed as many nights
    assert end["linearizable"] == "linearizable"
    # Every caravan executed the same command in each night, and each request once.
    nights: dict[int, dict] = {}  # type: ignore[type-arg]
    for e in events:
        if e["kind"] == "execute":
            assert nights.setdefault(e["slot"], e["command"]) == e["command"]
    done = [(c["traveller"], c["request"]) for s, c in sorted(nights.items()) if c["op"] != "rest"]
    assert sorted(set(done)) == sorted(answered)


def test_a_journey_trace_is_deterministic_and_meets_the_trace_contract() -> None:
    scenario = load_builtin("leader-collapses")

    def text() -> str:
        out = io.StringIO()
        Simulation(scenario, observers=[SimTraceWriter(out)]).run()
        return out.getvalue()

    first = text()
    assert first == text()
    header, events = parse_trace_lines(iter(first.splitlines()), "leader-collapses")
    assert header["protocol"] == "multi-paxos" and header["travellers"] == ["Ines", "Tin"]
    kinds = {e["kind"] for e in events}
    assert {"elected", "learn", "execute", "request", "response", "chosen"} <= kinds
    assert all("slot" in e for e in events if e["kind"] == "chosen")


def test_the_leader_that_collapses_is_replaced_and_gets_up_caught_up() -> None:
    events, sim = traced(load_builtin("leader-collapses"))
    crash = next(e for e in events if e["kind"] == "crash")
    leaders = [e for e in events if e["kind"] == "elected"]
    assert leaders[-1]["t"] > crash["t"] and leaders[-1]["node"] != crash["node"]
    recovered = sim.caravans[crash["node"]]
    assert isinstance(recovered, JourneyCaravan)
    assert recovered.replica.executed == events[-1]["nights"]


@pytest.mark.parametrize(
    ("name", "variant", "seed", "invariant"),
    [
        ("sandstorm-isolates-leader", "stale-read", 5, "linearizable"),
        ("leader-collapses", "twice-executed", 0, "once"),
        ("swarm", "skip-phase1", 4, "slot-choice"),
        ("swarm", "stale-read", 92, "linearizable"),
        ("swarm", "twice-executed", 1, "once"),
    ],
)
def test_each_broken_journey_is_caught(name: str, variant: str, seed: int, invariant: str) -> None:
    if name == "swarm":  # one of the swarm's random journeys (swarm --protocol multi-paxos)
        real = draw_desert(seed, "paxos", "multi-paxos").scenario
    else:
        real = load_builtin(name)
    events, sim = traced(replace(real, variant=variant), seed)
    assert sim.violation is not None and sim.violation.invariant == invariant
    told = [e for e in events if e["kind"] == "violation"]
    assert told and told[0]["invariant"] == invariant and told[0]["rule"]
    # The real journey under the same desert and seed holds.
    assert Simulation(real, seed=seed).run().violation is None


def test_the_swarm_of_journeys_holds_and_catches_a_broken_variant() -> None:
    held = run_swarm(60, protocol="multi-paxos")
    assert held.ok and held.done == 60 and held.deliveries > 0
    broken = run_swarm(20, variant="twice-executed", protocol="multi-paxos")
    assert broken.safety_failed > 0
    assert all(f.kind == "safety" for f in broken.failures if "once" in f.detail)


def test_the_log_stays_bounded_on_a_long_journey() -> None:
    data = json.loads(json.dumps(load_builtin("calm-journey").to_json()))
    data["travellers"] = [
        {"name": "Ines", "count": 150, "keys": ["water"], "think": [0, 5]},
        {"name": "Tin", "count": 150, "keys": ["water", "dates"], "think": [0, 5]},
    ]
    data["until"] = 100_000
    scenario = scenario_from_data(data, "long")
    sim = Simulation(scenario)
    most = 0
    while sim.step():
        for name in sim.names:
            c = sim.caravans[name]
            if isinstance(c, JourneyCaravan):
                held = max(len(c.record.votes), len(c.replica.decisions))
                most = max(most, held)
    config = sim.protocol_config
    assert sim.violation is None and sim.end_reason == "quiet"
    assert sim.result().events > 1000
    assert most <= config.compact_every + config.window
    assert all(
        c.record.floor >= 300 - config.compact_every
        for c in sim.caravans.values()
        if isinstance(c, JourneyCaravan)
    )


def test_history_export_is_the_checkers_format_and_retries_are_one_operation() -> None:
    trace = [
        {"kind": "request", "traveller": "Ines", "request": 1, "op": "put", "key": "w", "value": 4},
        {"kind": "request", "traveller": "Ines", "request": 1, "op": "put", "key": "w", "value": 4},
        {"kind": "request", "traveller": "Tin", "request": 1, "op": "get", "key": "w"},
        {
            "kind": "response",
            "traveller": "Ines",
            "request": 1,
            "op": "put",
            "key": "w",
            "value": 4,
            "ok": True,
            "result": None,
        },
        {
            "kind": "response",
            "traveller": "Tin",
            "request": 1,
            "op": "get",
            "key": "w",
            "ok": True,
            "result": 4,
        },
        {
            "kind": "request",
            "traveller": "Tin",
            "request": 2,
            "op": "cas",
            "key": "w",
            "expected": 5,
            "value": 6,
        },
        {
            "kind": "response",
            "traveller": "Tin",
            "request": 2,
            "op": "cas",
            "key": "w",
            "expected": 5,
            "value": 6,
            "ok": False,
            "result": 4,
        },
        {"kind": "request", "traveller": "Ines", "request": 2, "op": "get", "key": "w"},
    ]
    history = history_events(trace)
    assert history == [
        {"process": "Ines", "type": "invoke", "f": "write", "key": "w", "value": 4},
        {"process": "Tin", "type": "invoke", "f": "read", "key": "w", "value": None},
        {"process": "Ines", "type": "ok", "f": "write", "key": "w", "value": 4},
        {"process": "Tin", "type": "ok", "f": "read", "key": "w", "value": 4},
        {"process": "Tin", "type": "invoke", "f": "cas", "key": "w", "value": [5, 6]},
        {"process": "Tin", "type": "fail", "f": "cas", "key": "w", "value": [5, 6]},
        {"process": "Ines", "type": "invoke", "f": "read", "key": "w", "value": None},
    ]
    assert check_events(history).linearizable is True
    stale = [*history[:2], history[2], {**history[3], "value": 7}]
    assert check_events(stale).linearizable is False


def put(n: int, value: int) -> Command:
    return Command(traveller="Ines", request=n, op="put", key="water", value=value)


def test_monitor_catches_two_commands_in_one_night() -> None:
    monitor = JourneyMonitor(2, ("A", "B", "C"))
    assert monitor.on_learn(1, "A", 3, put(1, 4)) is None
    problem = monitor.on_learn(2, "B", 3, REST_DAY)
    assert problem is not None and problem.invariant == "slot-agreement"
    assert "night 3" in problem.message and problem.rule


def test_monitor_catches_a_second_choice_in_a_night_from_the_logbooks() -> None:
    monitor = JourneyMonitor(2, ("A", "B", "C"))
    b1, b2 = Ballot(1, "A"), Ballot(2, "B")
    assert monitor.on_persist(1, "A", Logbook(promised=b1, votes=((1, b1, put(1, 4)),))) is None
    assert monitor.on_persist(2, "B", Logbook(promised=b1, votes=((1, b1, put(1, 4)),))) is None
    assert monitor.just_chosen == (1, b1, put(1, 4), ("A", "B"))
    monitor.on_persist(3, "C", Logbook(promised=b2, votes=((1, b2, REST_DAY),)))
    problem = monitor.on_persist(4, "B", Logbook(promised=b2, votes=((1, b2, REST_DAY),)))
    assert problem is not None and problem.invariant == "slot-choice"


def test_monitor_catches_a_request_executed_in_two_nights_and_prefix_disagreement() -> None:
    monitor = JourneyMonitor(2, ("A", "B", "C"))
    assert monitor.on_executed(1, "A", 1, put(1, 4), again=False) is None
    assert monitor.on_executed(1, "B", 1, put(1, 4), again=False) is None
    assert monitor.on_executed(2, "A", 2, put(1, 4), again=True) is None  # skipped: fine
    twice = monitor.on_executed(3, "B", 2, put(1, 4), again=False)
    assert twice is not None and twice.invariant == "once"
    other = monitor.on_executed(4, "C", 1, REST_DAY, again=False)
    assert other is not None and other.invariant == "executed-prefix"


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        ({"travellers": None}, "travellers"),
        ({"protocol": "raft"}, "unknown protocol"),
        ({"travellers": [{"name": "Taziri", "count": 2}]}, "is a caravan"),
        ({"travellers": [{"name": "Ines"}]}, '"requests"'),
        ({"travellers": [{"name": "Ines", "requests": [{"op": "put", "key": "w"}]}]}, "value"),
        ({"proposals": [{"at": 0, "caravan": "Taziri", "campsite": "Siwa"}]}, "not proposals"),
        ({"variant": "forgetful-acceptor"}, "unknown variant"),
    ],
)
def test_bad_journey_scenarios_are_refused_by_field(edit: dict, fragment: str) -> None:  # type: ignore[type-arg]
    data = load_builtin("calm-journey").to_json()
    for key, value in edit.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    with pytest.raises(ScenarioError, match=fragment):
        scenario_from_data(data, "bad")


def test_travellers_on_a_single_decree_day_are_refused() -> None:
    data = load_builtin("calm-day").to_json()
    data["travellers"] = [{"name": "Ines", "count": 1}]
    with pytest.raises(ScenarioError, match="multi-paxos"):
        scenario_from_data(data, "bad")


def test_a_journey_scenario_round_trips() -> None:
    for name in JOURNEY_NAMES:
        scenario = load_builtin(name)
        assert scenario_from_data(scenario.to_json(), name) == scenario


def test_the_trace_contract_reads_a_journey_by_its_header_and_names_a_bad_field() -> None:
    out = io.StringIO()
    Simulation(load_builtin("calm-journey"), observers=[SimTraceWriter(out)]).run()
    lines = out.getvalue().splitlines()
    accept = next(i for i, line in enumerate(lines) if '"type": "accept"' in line)
    bad = json.loads(lines[accept])
    bad["msg"]["slot"] = "one"
    edited = [*lines[:accept], json.dumps(bad), *lines[accept + 1 :]]
    with pytest.raises(TraceError, match=r"msg\.slot"):
        parse_trace_lines(iter(edited), "bad.jsonl")
    # Read as a single-decree trace, a journey's promise lacks "accepted": refused by name.
    header = json.loads(lines[0])
    del header["protocol"]
    with pytest.raises(TraceError, match=r"promise|persist|accept"):
        parse_trace_lines(iter([json.dumps(header), *lines[1:]]), "bad.jsonl")


@pytest.mark.parametrize("name", JOURNEY_NAMES)
def test_journeys_satisfy_the_scenario_json_schema(name: str) -> None:
    import jsonschema

    from desert_paxos.scenario import builtin_path
    from desert_paxos.scenario._schema import scenario_json_schema

    schema = scenario_json_schema()
    doc = json.loads(builtin_path(name).read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    jsonschema.validate(load_builtin(name).to_json(), schema)  # what /save writes
    with_request = {
        **doc,
        "timeline": [{"at": 5, "request": {"traveller": "Ines", "op": "get", "key": "w"}}],
    }
    jsonschema.validate(with_request, schema)
    for wrong in (
        {**doc, "proposals": [{"at": 0, "caravan": "Taziri", "campsite": "Siwa"}]},
        {k: v for k, v in doc.items() if k != "travellers"},
        {**doc, "travellers": [{"name": "Ines"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)
        with pytest.raises(ScenarioError):
            scenario_from_data(wrong, "wrong")


def test_the_sandstorm_of_sandstorm_isolates_leader_cuts_off_the_leader() -> None:
    """The built-in's storm and note are about the caravan that leads when it strikes."""
    scenario = load_builtin("sandstorm-isolates-leader")
    events, _ = traced(scenario)
    storm = next(e for e in events if e["kind"] == "sandstorm")
    calm = next(e for e in events if e["kind"] == "calm")
    before = [e for e in events if e["kind"] == "elected" and e["t"] < storm["t"]]
    leader = max(before, key=lambda e: tuple(e["ballot"]))["node"]
    caravans = set(scenario.caravans)
    majority = len(caravans) // 2 + 1
    side = next(g for g in storm["groups"] if leader in g)
    assert len(caravans.intersection(side)) < majority
    # The far side elects a leader of its own during the storm.
    during = [e for e in events if e["kind"] == "elected" and storm["t"] < e["t"] < calm["t"]]
    assert during and all(e["node"] not in side for e in during)
    note = next(e for e in events if e["kind"] == "note")
    assert f"The leader {leader} is cut off" in note["text"]
