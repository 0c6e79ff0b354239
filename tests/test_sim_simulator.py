"""The simulator: delivery rules, faults, timers, the end of a run, and the trace it tells."""

from __future__ import annotations

import dataclasses
from typing import Any

from desert_paxos.scenario import (
    Delay,
    Link,
    Network,
    Proposal,
    Scenario,
    TimelineEvent,
    load_builtin,
)
from desert_paxos.sim import Simulation


def _scenario(**changes: Any) -> Scenario:
    base = Scenario(
        name="test",
        proposals=(Proposal(at=0, caravan="Aghilas", campsite="Siwa"),),
        network=Network(delay=Delay(low=5, high=40)),
        until=3000,
    )
    return dataclasses.replace(base, **changes)


def _run(scenario: Scenario, seed: int | None = None) -> tuple[Any, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    result = Simulation(scenario, seed=seed, observers=[events.append]).run()
    return result, events


def _kinds(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("kind") == kind]


def test_trace_invariants_seq_increases_and_time_never_decreases() -> None:
    _, events = _run(load_builtin("lossy-desert"))
    assert events[0]["kind"] == "header"
    body = events[1:]
    assert [e["seq"] for e in body] == list(range(1, len(body) + 1))
    times = [e["t"] for e in body]
    assert times == sorted(times)


def test_every_copy_ends_in_exactly_one_deliver_or_drop() -> None:
    _, events = _run(load_builtin("lossy-desert"))
    sent = {e["id"]: e for e in _kinds(events, "send")}
    ends = [e["id"] for e in events if e.get("kind") in ("deliver", "drop")]
    assert sorted(ends) == sorted(sent)
    for e in events:
        if e.get("kind") in ("deliver", "drop"):
            assert e["t"] == sent[e["id"]]["arrive"]


def test_self_messages_arrive_at_once_and_are_never_lost() -> None:
    lossy = _scenario(network=Network(delay=Delay(low=5, high=40), loss=1.0))
    _, events = _run(lossy)
    own = [e for e in _kinds(events, "send") if e["src"] == e["dst"]]
    assert own, "the proposer prepares itself"
    delivered = {e["id"] for e in _kinds(events, "deliver")}
    assert all(e["arrive"] == e["t"] and e["id"] in delivered for e in own)
    others = [e for e in _kinds(events, "send") if e["src"] != e["dst"]]
    assert others and not any(e["id"] in delivered for e in others)
    assert {e["reason"] for e in _kinds(events, "drop")} == {"loss"}


def test_sandstorm_drops_messages_between_groups_at_delivery_time() -> None:
    storm = TimelineEvent(at=0, kind="sandstorm", groups=(("Aghilas", "Taziri"),))
    result, events = _run(_scenario(timeline=(storm,), until=200))
    assert _kinds(events, "sandstorm")[0]["groups"] == [
        ["Aghilas", "Taziri"],
        ["Amastan", "Itri", "Tassadit"],
    ]
    for drop in _kinds(events, "drop"):
        assert drop["reason"] == "sandstorm"
        assert {drop["src"], drop["dst"]} & {"Aghilas", "Taziri"}
        assert not {drop["src"], drop["dst"]} <= {"Aghilas", "Taziri"}
    assert result.decided_value is None  # two caravans are not a majority


def test_calm_heals_and_the_cut_off_side_learns() -> None:
    scenario = load_builtin("sandstorm-minority")
    result, events = _run(scenario)
    calm_t = _kinds(events, "calm")[0]["t"]
    late = {e["node"] for e in _kinds(events, "decide") if e["t"] > calm_t}
    assert {"Aghilas", "Taziri"} <= late
    assert set(result.decisions) == set(scenario.caravans)


def test_crash_drops_messages_to_it_and_cancels_its_timers() -> None:
    crash = TimelineEvent(at=1, kind="crash", caravan="Itri")
    result, events = _run(_scenario(timeline=(crash,)))
    to_itri = [e for e in events if e.get("kind") in ("deliver", "drop") and e["dst"] == "Itri"]
    assert to_itri and all(e["kind"] == "drop" and e["reason"] == "crashed" for e in to_itri)
    assert not [e for e in _kinds(events, "timer") if e["node"] == "Itri"]
    assert result.alive["Itri"] is False
    assert "Itri" not in result.decisions


def test_recovery_restarts_from_the_durable_record_only() -> None:
    crash = TimelineEvent(at=200, kind="crash", caravan="Taziri")
    recover = TimelineEvent(at=300, kind="recover", caravan="Taziri")
    _, events = _run(_scenario(timeline=(crash, recover)))
    persisted = [e for e in _kinds(events, "persist") if e["node"] == "Taziri" and e["t"] < 200]
    back = _kinds(events, "recover")[0]
    assert back["promised"] == persisted[-1]["promised"]
    assert back["accepted"] == persisted[-1]["accepted"]
    # It forgot the decision (volatile) and learns it again.
    decides = [e for e in _kinds(events, "decide") if e["node"] == "Taziri"]
    assert len(decides) == 2 and decides[1]["t"] > 300


def test_duplicates_are_new_copies_with_their_own_send() -> None:
    dup = _scenario(network=Network(delay=Delay(low=5, high=40), duplicate=1.0))
    result, events = _run(dup)
    copies = [e for e in _kinds(events, "send") if "copy_of" in e]
    originals = {
        e["id"] for e in _kinds(events, "send") if "copy_of" not in e and e["src"] != e["dst"]
    }
    assert copies and {c["copy_of"] for c in copies} == originals
    assert len({e["id"] for e in _kinds(events, "send")}) == len(_kinds(events, "send"))
    assert result.stats.duplicated == len(copies)
    assert result.decided_value == "Siwa"


def test_per_link_override_applies_to_that_direction_only() -> None:
    link = Link(src="Aghilas", dst="Itri", delay=Delay(low=500, high=500))
    _, events = _run(_scenario(network=Network(delay=Delay(low=5, high=5), links=(link,))))
    sends = _kinds(events, "send")
    slow = [e for e in sends if (e["src"], e["dst"]) == ("Aghilas", "Itri")]
    back = [e for e in sends if (e["src"], e["dst"]) == ("Itri", "Aghilas")]
    assert slow and all(e["arrive"] - e["t"] == 500 for e in slow)
    assert all(e["arrive"] - e["t"] == 5 for e in back)


def test_exponential_delays_reorder_riders() -> None:
    exp = _scenario(network=Network(delay=Delay(kind="exponential", mean=30.0)))
    _, events = _run(exp)
    sends = [e for e in _kinds(events, "send") if e["src"] != e["dst"]]
    arrivals = [e["arrive"] for e in sends]
    assert arrivals != sorted(arrivals)  # a later rider overtakes an earlier one
    assert all(e["arrive"] > e["t"] for e in sends)


def test_run_stops_at_until() -> None:
    result, events = _run(_scenario(until=30))
    assert result.end_reason == "until"
    assert all(e["t"] <= 30 for e in events[1:])
    assert events[-1]["kind"] == "end" and events[-1]["t"] == 30


def test_run_ends_early_when_everyone_alive_knows() -> None:
    result, _ = _run(load_builtin("calm-day"))
    assert result.end_reason == "quiet"
    assert result.end_time < 1000


def test_run_ends_early_when_no_quorum_is_alive() -> None:
    result, _ = _run(load_builtin("three-collapse"))
    assert result.end_reason == "quiet"
    assert result.decided_value is None


def test_stepping_gives_the_same_trace_as_running() -> None:
    scenario = load_builtin("dueling-proposers")
    _, ran = _run(scenario)
    stepped: list[dict[str, Any]] = []
    sim = Simulation(scenario, observers=[stepped.append])
    while sim.step():
        pass
    assert stepped == ran


def test_seed_changes_the_run() -> None:
    scenario = load_builtin("lossy-desert")
    _, first = _run(scenario, seed=1)
    _, second = _run(scenario, seed=2)
    assert first[1:] != second[1:]


def test_crash_of_a_collapsed_caravan_is_a_note_not_an_error() -> None:
    twice = (
        TimelineEvent(at=1, kind="crash", caravan="Itri"),
        TimelineEvent(at=2, kind="crash", caravan="Itri"),
    )
    _, events = _run(_scenario(timeline=twice))
    assert len(_kinds(events, "crash")) == 1
    assert any("already collapsed" in e["text"] for e in _kinds(events, "note"))


def test_untraced_run_gives_the_same_result_as_a_traced_one() -> None:
    scenario = load_builtin("lossy-desert")
    traced, _ = _run(scenario)
    plain = Simulation(scenario).run()
    assert (plain.decided_value, plain.decided_at, plain.end_time, plain.stats) == (
        traced.decided_value,
        traced.decided_at,
        traced.end_time,
        traced.stats,
    )
