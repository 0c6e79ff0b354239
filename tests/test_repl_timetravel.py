"""Time travel: snapshots plus deterministic replay give back the exact state and the same future."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desert_paxos.repl import SNAPSHOT_EVERY, TimeMachine, capture, restore
from desert_paxos.repl._snapshot import next_event_time
from desert_paxos.scenario import BUILTIN_NAMES, resolve_scenario, scenario_from_data
from desert_paxos.sim import Simulation

NAMES = ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"]

# A desert that never settles: everyone cut off from everyone, so proposers
# retry and learners inquire until `until`.
ENDLESS = scenario_from_data(
    {
        "name": "endless-storm",
        "seed": 5,
        "until": 60_000,
        "network": {"loss": 0.1, "duplicate": 0.1},
        "proposals": [{"at": 0, "caravan": n, "campsite": f"Camp {n}"} for n in NAMES],
        "timeline": [
            {"at": 1, "sandstorm": [[n] for n in NAMES]},
            {"at": 3000, "crash": "Itri"},
            {"at": 9000, "recover": "Itri"},
        ],
    },
    "endless",
)


def straight_trace(scenario: object) -> list[str]:
    events: list[dict[str, object]] = []
    Simulation(scenario, observers=[events.append]).run()  # type: ignore[arg-type]
    return [json.dumps(e, sort_keys=True, ensure_ascii=False) for e in events[1:]]


def state(sim: Simulation) -> tuple[object, ...]:
    snap = capture(sim)
    monitor = snap.monitor
    return (
        snap.now,
        sorted(snap.heap, key=lambda e: (e[0], e[1])),
        snap.event_seq,
        snap.next_msg_id,
        snap.caravans,
        snap.disk,
        snap.armed,
        snap.groups,
        snap.in_flight,
        snap.script_pending,
        snap.stats,
        snap.rng_state,
        snap.end_reason,
        snap.events_processed,
        (monitor.proposed, monitor.decisions, monitor.votes, monitor.chosen, monitor.promises),
    )


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_recording_a_run_gives_exactly_the_trace_of_a_plain_run(name: str) -> None:
    scenario = resolve_scenario(name)
    tm = TimeMachine(scenario)
    while tm.step():
        pass
    assert tm.lines == straight_trace(scenario)


def test_every_position_restores_the_state_a_straight_run_had_there() -> None:
    scenario = resolve_scenario("dueling-proposers")
    straight = TimeMachine(scenario)
    states = [state(straight.sim)]
    while straight.step():
        states.append(state(straight.sim))
    tm = TimeMachine(scenario)
    tm.goto(straight.frontier)
    for position in reversed(range(straight.frontier + 1)):
        tm.goto(position)
        assert state(tm.sim) == states[position], position


def test_replay_after_travel_matches_the_record_event_for_event() -> None:
    tm = TimeMachine(ENDLESS)
    tm.verify = True  # every replayed event is compared with the recorded line
    tm.goto(3 * SNAPSHOT_EVERY + 17)
    tm.goto(SNAPSHOT_EVERY - 3)
    tm.goto(2 * SNAPSHOT_EVERY + 100)
    tm.goto(5)
    while tm.step():
        pass
    assert tm.lines == straight_trace(ENDLESS)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(BUILTIN_NAMES),
    moves=st.lists(
        st.tuples(st.sampled_from(["goto", "step", "time"]), st.integers(0, 400)), max_size=8
    ),
)
def test_any_walk_through_time_then_to_the_end_gives_the_straight_trace(
    name: str, moves: list[tuple[str, int]]
) -> None:
    scenario = resolve_scenario(name)
    tm = TimeMachine(scenario)
    tm.verify = True
    for move, n in moves:
        match move:
            case "goto":
                tm.goto(n)
            case "step":
                for _ in range(n % 7):
                    tm.step()
            case "time":
                tm.goto_time(n * 5)
    tm.goto(10**9)
    assert tm.lines == straight_trace(scenario)
    assert tm.ended


def test_goto_time_stops_exactly_between_ticks() -> None:
    tm = TimeMachine(ENDLESS)
    for t in (0, 1, 299, 3000, 3001, 12_345, 40_000):
        tm.goto_time(t)
        told = [json.loads(line)["t"] for line in tm.lines[: tm.seq]]
        assert all(x <= t for x in told)
        upcoming = next_event_time(tm.sim)
        assert upcoming is None or upcoming > t


def test_restore_gives_a_simulation_that_runs_on_exactly_like_the_original() -> None:
    scenario = resolve_scenario("lossy-desert")
    sim = Simulation(scenario)
    sim.start()
    for _ in range(30):
        sim.step()
    copy = restore(capture(sim), scenario)
    sim.run()
    copy.run()
    assert state(copy) == state(sim)


def test_purging_stale_timers_changes_nothing_the_run_does() -> None:
    scenario = resolve_scenario("dueling-proposers")
    plain = straight_trace(scenario)
    events: list[dict[str, object]] = []
    sim = Simulation(scenario, observers=[events.append])
    sim.start()
    while sim.end_reason is None:
        next_event_time(sim)
        sim.step()
    assert [json.dumps(e, sort_keys=True, ensure_ascii=False) for e in events[1:]] == plain


def test_snapshots_are_taken_periodically_and_goto_uses_the_nearest() -> None:
    tm = TimeMachine(ENDLESS)
    tm.goto(4 * SNAPSHOT_EVERY + 1)
    assert sorted(tm.snapshots) == [i * SNAPSHOT_EVERY for i in range(5)]
    tm.goto(2 * SNAPSHOT_EVERY + 5)
    assert tm.position == 2 * SNAPSHOT_EVERY + 5
