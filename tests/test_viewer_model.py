"""The viewer's reading of a trace: riders, storms, outages and states, checked against the events."""

from __future__ import annotations

import re

import pytest

from desert_paxos.narrate import fmt_ballot
from desert_paxos.viewer import build_model, page_data
from desert_paxos.viewer._model import promise_text, vote_text

from .viewer_traces import Event, by_hand, trace_of


def test_one_rider_per_send_with_the_fate_the_trace_gives_it() -> None:
    header, events = trace_of("lossy-desert")
    model = build_model(header, events)
    sends = {e["id"]: e for e in events if e["kind"] == "send"}
    fates = {e["id"]: e for e in events if e["kind"] in ("deliver", "drop")}
    assert sorted(r.id for r in model.riders) == sorted(sends)
    for rider in model.riders:
        send, fate = sends[rider.id], fates.get(rider.id)
        assert (rider.src, rider.dst, rider.sent_at) == (send["src"], send["dst"], send["t"])
        assert rider.type == send["msg"]["type"]
        assert rider.copy_of == send.get("copy_of")
        assert fate is not None  # the run ends quiet: every rider arrived or was lost
        assert rider.end_at == fate["t"]
        assert rider.fate == ("dropped" if fate["kind"] == "drop" else "delivered")
        assert rider.reason == fate.get("reason")
    assert any(r.copy_of is not None for r in model.riders), "lossy-desert duplicates riders"
    assert any(r.fate == "dropped" for r in model.riders), "lossy-desert loses riders"


def test_a_trace_cut_short_leaves_riders_on_the_sand_until_their_arrival() -> None:
    header, events = trace_of("calm-day")
    # Cut right after the first broadcast of Prepares: none of them has arrived yet.
    cut = max(i for i, e in enumerate(events) if e["kind"] == "send" and e["t"] == 0) + 1
    cut_events = [e for e in events[:cut] if not (e["kind"] == "deliver" and e["t"] == 0)]
    model = build_model(header, cut_events)
    riding = [r for r in model.riders if r.fate == "riding"]
    arrive = {e["id"]: e["arrive"] for e in cut_events if e["kind"] == "send"}
    assert riding, "the Prepares to other caravans are still on the way"
    assert all(r.end_at == arrive[r.id] and r.fate_index is None for r in riding)


def test_sandstorm_and_calm_become_one_storm_with_the_traced_groups() -> None:
    header, events = trace_of("sandstorm-minority")
    model = build_model(header, events)
    storm_events = [e for e in events if e["kind"] in ("sandstorm", "calm")]
    assert [e["kind"] for e in storm_events] == ["sandstorm", "calm"]
    assert len(model.storms) == 1
    storm = model.storms[0]
    assert (storm.start, storm.end) == (storm_events[0]["t"], storm_events[1]["t"])
    assert [list(g) for g in storm.groups] == storm_events[0]["groups"]
    assert model.storm_at(storm.start) == storm
    assert model.storm_at(storm.end) is None


def test_collapse_and_recovery_are_an_outage_and_states_follow_the_logbook() -> None:
    header, events = trace_of("late-recovery")
    model = build_model(header, events)
    crashes = [e for e in events if e["kind"] == "crash"]
    recovers = [e for e in events if e["kind"] == "recover"]
    assert crashes and recovers
    outage = model.outages[0]
    assert (outage.caravan, outage.start, outage.end) == (
        crashes[0]["node"],
        crashes[0]["t"],
        recovers[0]["t"],
    )
    node = crashes[0]["node"]
    crash_index = events.index(crashes[0])
    recover_index = events.index(recovers[0])
    assert model.state_after(crash_index)[node].alive is False
    back = model.state_after(recover_index)[node]
    assert back.alive is True
    assert back.promised == recovers[0]["promised"]
    assert back.decided is None  # what it learned is gone with the collapse


def test_state_after_each_decide_names_the_campsite_and_persist_updates_promises() -> None:
    header, events = trace_of("calm-day")
    model = build_model(header, events)
    for index, event in enumerate(events):
        state = model.state_after(index)
        if event["kind"] == "decide":
            assert state[event["node"]].decided == event["value"]
        if event["kind"] == "persist":
            assert state[event["node"]].promised == event["promised"]
            assert state[event["node"]].accepted == event["accepted"]
    before = model.state_after(-1)
    assert all(s.promised is None and s.decided is None for s in before.values())


def test_unknown_kinds_and_fields_are_tolerated() -> None:
    header, events = trace_of("calm-day")
    odd = [dict(e, colour="ochre") for e in events]
    odd.insert(3, {"kind": "mirage", "seq": odd[2]["seq"], "t": odd[2]["t"], "node": "Itri"})
    model = build_model(header, odd)
    assert len(model.riders) == sum(1 for e in events if e["kind"] == "send")
    data = page_data(header, odd)
    assert "mirage" in data["kinds"]
    assert len(data["story"]) == len(odd)


def test_page_data_states_show_ballots_as_the_narration_does() -> None:
    header, events = trace_of("calm-day")
    data = page_data(header, events)
    aghilas = data["caravans"].index("Aghilas")
    last = data["states"][aghilas][-1]
    persists = [e for e in events if e["kind"] == "persist" and e["node"] == "Aghilas"]
    assert last[2] == "banner " + fmt_ballot(persists[-1]["promised"])
    assert last[5] == fmt_ballot(persists[-1]["promised"])
    assert last[4] == "Oasis of Siwa"


# -- the lessons: majorities, chosen moments, teacher's notes -------------------------------


def _held_promises(events: list[Event]) -> dict[tuple[str, tuple[int, str]], set[str]]:
    """For each (proposer, banner) that began phase 2: who had promised it by then."""
    delivered: dict[tuple[str, tuple[int, str]], set[str]] = {}
    held: dict[tuple[str, tuple[int, str]], set[str]] = {}
    for event in events:
        msg = event.get("msg") or {}
        if event["kind"] == "deliver" and msg.get("type") == "promise":
            key = (event["dst"], tuple(msg["ballot"]))
            delivered.setdefault(key, set()).add(event["src"])
        elif event["kind"] == "send" and msg.get("type") == "accept":
            key = (event["src"], tuple(msg["ballot"]))
            held.setdefault(key, set(delivered.get(key, set())))
    return held


@pytest.mark.parametrize("name", ["calm-day", "dueling-proposers", "proposer-collapses"])
def test_each_majority_is_the_promises_a_proposer_held_when_phase_two_began(name: str) -> None:
    header, events = trace_of(name)
    model = build_model(header, events)
    held = _held_promises(events)
    assert model.majorities, f"{name} has a proposer that reaches phase 2"
    assert {(m.proposer, tuple(m.ballot)): set(m.members) for m in model.majorities} == held
    majority = len(header["caravans"]) // 2 + 1
    for m in model.majorities:
        assert len(m.members) >= majority  # Paxos begins phase 2 only on a majority
        completing = events[m.index]
        assert completing["kind"] == "deliver" and completing["msg"]["type"] == "promise"
        assert completing["dst"] == m.proposer and completing["src"] in m.members
        assert m.index <= m.until


def test_members_of_both_majorities_voted_for_the_chosen_campsite_and_warn() -> None:
    header, events = trace_of("dueling-proposers")
    events = by_hand(header, events)  # chosen counted here from the logbooks
    model = build_model(header, events)
    warned = [m for m in model.majorities if m.overlap]
    assert warned, "a later banner gathers a majority after a campsite was chosen"
    promises = {
        (e["src"], e["dst"], tuple(e["msg"]["ballot"])): e["msg"]
        for e in events
        if e["kind"] == "send" and e["msg"]["type"] == "promise"
    }
    for m in warned:
        assert m.chosen is not None
        chosen = events[m.chosen]
        assert chosen["kind"] == "chosen" and m.chosen < m.index
        assert set(m.overlap) == set(m.members) & set(chosen["by"])
        for name in m.overlap:  # its promise carries its vote: the warning
            vote = promises[(name, m.proposer, tuple(m.ballot))]["accepted"]
            assert vote is not None and vote["value"] == chosen["value"]
    for m in model.majorities:
        if m.chosen is None:
            assert m.overlap == ()


def test_chosen_moments_and_teacher_notes_are_read_from_the_trace() -> None:
    header, events = trace_of("calm-day")
    events = by_hand(header, events, notes=((0, "Watch the banner."), (30, "A majority!")))
    model = build_model(header, events)
    chosen = [i for i, e in enumerate(events) if e["kind"] == "chosen"]
    assert [c.index for c in model.chosen] == chosen and len(chosen) == 1
    assert model.chosen[0].value == "Oasis of Siwa"
    assert set(model.chosen[0].by) <= set(header["caravans"])
    assert [events[i]["text"] for i in model.notes] == ["Watch the banner.", "A majority!"]
    first_decide = next(i for i, e in enumerate(events) if e["kind"] == "decide")
    assert chosen[0] < first_decide  # chosen before any caravan knows it


def test_states_speak_the_glossary() -> None:
    header, events = trace_of("dueling-proposers")
    data = page_data(header, events)
    seen = [row for rows in data["states"] for row in rows]
    assert seen
    for row in seen:
        promise, vote = row[2], row[3]
        assert promise == "none yet" or re.fullmatch(r"banner \(\d+, \w+\)", promise)
        assert vote == "none yet" or re.fullmatch(r".+ under \(\d+, \w+\)", vote)
        assert "@" not in promise + vote
    assert promise_text([2, "Taziri"]) == "banner (2, Taziri)"
    assert vote_text({"ballot": [1, "Aghilas"], "value": "Oasis of Siwa"}) == (
        "Oasis of Siwa under (1, Aghilas)"
    )
