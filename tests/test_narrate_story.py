"""The story names the rule when it acts: pinned on the built-in scenarios.

Every expectation is recomputed from the trace itself (who promised when, which
promise reported what, when a proposer's patience ran out), so a test fails if
the narration says something the events do not.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.narrate import LEVELS, Narrator, Story, StoryKeeper
from desert_paxos.protocol import PROPOSER_TIMER
from desert_paxos.scenario import BUILTIN_NAMES, load_builtin, load_scenario_file
from desert_paxos.sim import SimTraceWriter, Simulation
from desert_paxos.trace import dump_event, read_trace

GOLDEN_SCENARIOS = Path(__file__).parent / "golden" / "scenarios"


def _events(name: str | Path, seed: int | None = None) -> list[dict[str, Any]]:
    scenario = load_builtin(name) if isinstance(name, str) else load_scenario_file(name)
    events: list[dict[str, Any]] = []
    Simulation(scenario, seed=seed, observers=[events.append]).run()
    return events


def _told(events: list[dict[str, Any]], level: str = "info") -> list[tuple[int, str]]:
    """(t, story) of every line the narrator tells at ``level`` (teacher notes left out)."""
    out = io.StringIO()
    narrator = Narrator(level, out, colour=False)
    for event in events:
        if event["kind"] != "note":
            narrator(event)
    narrator.flush()
    lines = []
    for line in out.getvalue().splitlines():
        m = re.match(r"t=\s*(\d+)  (.*)$", line)
        if m:
            story = m.group(2).split(" │ ", 1)[0].rstrip()
            lines.append((int(m.group(1)), story))
    return lines


def _ballot(b: Any) -> str:
    return f"({b[0]}, {b[1]})"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _phase1_quorums(events: list[dict[str, Any]]) -> list[tuple[int, str, list[Any], list[str]]]:
    """(t, proposer, ballot, members) whenever a proposer's promises first reach the quorum."""
    q1 = events[0]["quorums"]["phase1"]
    counted: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
    out = []
    for e in events:
        if e["kind"] == "deliver" and e["msg"]["type"] == "promise":
            key = (e["dst"], tuple(e["msg"]["ballot"]))
            members = counted.setdefault(key, [])
            if e["src"] not in members and len(members) < q1:
                members.append(e["src"])
                if len(members) == q1:
                    out.append((e["t"], e["dst"], e["msg"]["ballot"], list(members)))
    return out


# -- quorums -----------------------------------------------------------------------


def test_calm_day_names_its_majority_of_promises_and_of_votes() -> None:
    events = _events("calm-day")
    told = _told(events)
    [(t, proposer, ballot, members)] = _phase1_quorums(events)
    assert (
        t,
        f"{proposer} has promises from {_names(members)} for banner {_ballot(ballot)}: "
        "3 of 5, a majority, so phase 1 is won. None of them has voted yet, so Aghilas is "
        "free to ask for its own wish, Oasis of Siwa.",
    ) in told
    decide_t = next(e["t"] for e in events if e["kind"] == "decide" and e["node"] == proposer)
    votes = [
        e["src"]
        for e in events
        if e["kind"] == "deliver" and e["msg"]["type"] == "accepted" and e["t"] <= decide_t
    ]
    assert (
        decide_t,
        f"{proposer} has votes from {_names(votes[:3])} for Oasis of Siwa under banner "
        f"{_ballot(ballot)}: 3 of 5, a majority, so phase 2 is won.",
    ) in told


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_phase_one_majority_is_named_when_it_forms(name: str) -> None:
    events = _events(name)
    told = _told(events)
    for t, proposer, ballot, members in _phase1_quorums(events):
        expected = (
            f"{proposer} has promises from {_names(members)} for banner {_ballot(ballot)}: "
            "3 of 5, a majority"
        )
        assert any(at == t and story.startswith(expected) for at, story in told), expected


def test_a_smaller_quorum_is_called_what_it_is() -> None:
    events = _events(GOLDEN_SCENARIOS / "small-quorums.json", seed=1)
    q1 = events[0]["quorums"]["phase1"]
    n = len(events[0]["caravans"])
    assert q1 <= n // 2
    told = " ".join(story for _, story in _told(events))
    assert f"{q1} of {n}, a quorum of {q1}, smaller than a majority" in told


# -- adopt -------------------------------------------------------------------------


def test_proposer_collapses_names_amastan_as_the_reporter() -> None:
    events = _events("proposer-collapses")
    adopt = next(e for e in events if e["kind"] == "adopt")
    [line] = [story for t, story in _told(events) if t == adopt["t"] and "carries" in story]
    assert line.startswith(
        "Amastan's promise reports a vote for Oasis of Siwa under banner (1, Aghilas)"
    )
    assert "instead of its own wish, Wells of Timbuktu" in line
    assert "learns from its own logbook" not in line
    # Taziri's own promise reported the same vote: the story may say so, and does.
    own = next(
        e
        for e in events
        if e["kind"] == "deliver"
        and e["msg"]["type"] == "promise"
        and e["src"] == e["dst"] == "Taziri"
        and e["msg"]["ballot"] == [2, "Taziri"]
    )
    assert own["msg"]["accepted"]["ballot"] == [1, "Aghilas"]
    assert "and so does Taziri's own logbook" in line


def _adopt_run(own_report: bool) -> list[dict[str, Any]]:
    """A hand-made trace: Taziri gathers three promises; Amastan's reports a vote."""
    names = ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"]
    header = {
        "kind": "header",
        "caravans": names,
        "quorum": 3,
        "quorums": {"phase1": 3, "phase2": 3},
        "variant": "paxos",
    }
    ballot = [2, "Taziri"]
    old = {"ballot": [1, "Aghilas"], "value": "Oasis of Siwa"}
    events: list[dict[str, Any]] = [
        header,
        {"kind": "propose", "node": "Taziri", "value": "Wells of Timbuktu", "t": 0, "seq": 1},
    ]
    seq = 1
    for i, dst in enumerate(names, start=1):
        seq += 1
        events.append(
            {
                "kind": "send",
                "id": i,
                "src": "Taziri",
                "dst": dst,
                "msg": {"type": "prepare", "ballot": ballot},
                "arrive": 5,
                "t": 0,
                "seq": seq,
            }
        )
    for i, (src, accepted) in enumerate(
        [("Taziri", old if own_report else None), ("Itri", None), ("Amastan", old)], start=10
    ):
        seq += 1
        events.append(
            {
                "kind": "deliver",
                "id": i,
                "src": src,
                "dst": "Taziri",
                "msg": {"type": "promise", "ballot": ballot, "accepted": accepted},
                "t": 10,
                "seq": seq,
            }
        )
    events.append(
        {
            "kind": "adopt",
            "node": "Taziri",
            "ballot": ballot,
            "value": "Oasis of Siwa",
            "from_ballot": [1, "Aghilas"],
            "reported_by": "Taziri" if own_report else "Amastan",
            "own_value": "Wells of Timbuktu",
            "t": 10,
            "seq": seq + 1,
        }
    )
    return events


@pytest.mark.parametrize("own_report", [False, True])
def test_own_logbook_is_named_only_when_its_own_promise_reported_the_vote(
    own_report: bool,
) -> None:
    story = Story()
    told = [story.tell(e) for e in _adopt_run(own_report)]
    line = told[-1].story
    assert line.startswith("Amastan's promise reports a vote for Oasis of Siwa")
    assert ("Taziri's own logbook" in line) is own_report


# -- late answers -------------------------------------------------------------------


def test_dueling_proposers_explains_the_late_promises() -> None:
    events = _events("dueling-proposers")
    told = _told(events)
    phase2: dict[tuple[str, tuple[Any, ...]], int] = {}  # (proposer, ballot) -> seq of accept
    late = []
    for e in events:
        if e["kind"] == "send" and e["msg"]["type"] == "accept":
            phase2.setdefault((e["src"], tuple(e["msg"]["ballot"])), e["seq"])
        promise = e["kind"] == "deliver" and e["msg"]["type"] == "promise"
        if promise and (e["dst"], tuple(e["msg"]["ballot"])) in phase2:
            late.append(e)
    assert len(late) >= 3
    explained: set[tuple[str, tuple[Any, ...]]] = set()
    for e in late:
        key = (e["dst"], tuple(e["msg"]["ballot"]))
        start = (
            f"{e['src']}'s promise for banner {_ballot(e['msg']['ballot'])} reaches {e['dst']} late"
        )
        [line] = [s for t, s in told if t == e["t"] and s.startswith(start)]
        if key in explained:
            assert "for the same reason" in line
        else:
            assert "phase 2 has begun" in line and "That is safe" in line
            assert "at least one of them would have reported it" in line
            explained.add(key)
    # The late promise that reports another campsite says so: that is the lesson.
    assert any(
        "(it reports a vote for Wells of Timbuktu under (2, Tassadit))" in s for _, s in told
    )


# -- retries ------------------------------------------------------------------------


def _retries(events: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[Any]]]:
    """(the first prepare send of each retry, the ballot that failed before it)."""
    ballots: dict[str, list[Any]] = {}
    proposed: set[str] = set()
    out = []
    for e in events:
        if e["kind"] == "propose":
            proposed.add(e["node"])
        elif e["kind"] == "send" and e["msg"]["type"] == "prepare":
            src, ballot = e["src"], e["msg"]["ballot"]
            if ballots.get(src) == ballot:
                continue
            if src in proposed:
                proposed.discard(src)  # a first attempt, not a retry
            else:
                out.append((e, ballots[src]))
            ballots[src] = ballot
    return out


def test_sandstorm_no_majority_gives_each_retry_its_cause_once() -> None:
    events = _events("sandstorm-no-majority")
    told = _told(events)
    retries = _retries(events)
    assert len(retries) >= 4
    for send, old in retries:
        node = send["src"]
        # Two alarms per retry: the patience that runs out, then the end of the random wait.
        fired = [
            e["t"]
            for e in events
            if e["kind"] == "timer" and e["name"] == PROPOSER_TIMER and e["node"] == node
        ]
        assert send["t"] in fired
        timeout = max(t for t in fired if t < send["t"])
        lines = [
            s
            for _, s in told
            if s.startswith(f"Banner {_ballot(old)} failed: ")
            and s.endswith(f"my banner {_ballot(send['msg']['ballot'])}?")
        ]
        assert len(lines) == 1, lines
        line = lines[0]
        assert f"failed: by t={timeout} only " in line and "had promised" in line
        assert "no answer from" in line
        assert f"After a random wait of {send['t'] - timeout} ticks, {node} sends riders" in line
        # Told once: the cause does not reappear in any other line.
        cause = line.split(" failed: ", 1)[1].split(". After", 1)[0]
        assert sum(cause in s for _, s in told) == 1
    assert len([s for _, s in told if " failed: " in s]) == len(retries)


def test_a_retry_after_refusals_names_the_higher_banner() -> None:
    events = _events("dueling-proposers")
    told = _told(events)
    line = next(s for _, s in told if s.startswith("Banner (1, Aghilas) failed:"))
    refusers = []
    for e in events:
        refusal = e["kind"] == "deliver" and e["msg"]["type"] == "nack"
        if refusal and e["msg"]["ballot"] == [1, "Aghilas"] and e["src"] not in refusers:
            refusers.append(e["src"])
        if len(refusers) == 3:
            break
    assert f"{_names(refusers)} refused it, following the higher banner (2, Tassadit)" in line
    assert "my banner (3, Aghilas)?" in line


# -- learning by asking, duplicates, collapses ----------------------------------------


def test_late_recovery_shows_the_inquiry_and_its_answer_at_info() -> None:
    events = _events("late-recovery")
    told = _told(events)
    recover = next(e for e in events if e["kind"] == "recover")
    ask = next(
        e
        for e in events
        if e["kind"] == "send" and e["msg"]["type"] == "inquire" and e["src"] == "Itri"
    )
    assert (
        ask["t"],
        f"Itri has had no news of a campsite since t={recover['t']}, so it asks. Itri sends "
        "riders to every other caravan with an inquiry: has a campsite been chosen?",
    ) in told
    answers = [
        e
        for e in events
        if e["kind"] == "send"
        and e["msg"]["type"] == "decided"
        and e["dst"] == "Itri"
        and e["t"] >= ask["t"]
    ]
    assert answers
    for e in answers:
        assert (
            e["t"],
            f"{e['src']} answers Itri's inquiry: a rider tells Itri that the caravans have "
            "chosen Oasis of Siwa.",
        ) in told
    decide = next(e for e in events if e["kind"] == "decide" and e["node"] == "Itri")
    [line] = [s for t, s in told if t == decide["t"] and s.startswith("⛺ Itri")]
    assert "answer to its inquiry" in line


def test_a_second_copy_is_told_as_one() -> None:
    events = _events("lossy-desert")
    told = _told(events)
    family: dict[int, int] = {}
    arrived: set[int] = set()
    seconds = []
    for e in events:
        if e["kind"] == "send":
            family[e["id"]] = e.get("copy_of", e["id"])
        if e["kind"] == "deliver":
            f = family[e["id"]]
            if f in arrived:
                seconds.append((e["t"], f, e["dst"]))
            arrived.add(f)
    assert seconds
    for t, f, dst in seconds:
        assert any(
            at == t and s.startswith(f"A second copy of rider #{f} reaches {dst}; ")
            for at, s in told
        )
    assert len([s for _, s in told if s.startswith("A second copy")]) == len(seconds)


def test_the_forgetful_acceptor_is_told_that_it_forgets_its_promise() -> None:
    events = _events(GOLDEN_SCENARIOS / "forgetful.json", seed=2)
    told = [s for _, s in _told(events)]
    assert any(
        "Itri collapses" in s and "its promise to follow banner (1, Aghilas) is lost" in s
        for s in told
    )
    assert any(
        "Itri is back on its feet" in s and "it has forgotten its promise" in s for s in told
    )


def test_real_paxos_recovery_keeps_promise_and_vote() -> None:
    events = _events("proposer-collapses")
    told = [s for _, s in _told(events)]
    [crash] = [s for s in told if "Aghilas collapses" in s]
    [back] = [s for s in told if "Aghilas is back on its feet" in s]
    vote = "its vote for Oasis of Siwa under banner (1, Aghilas)"
    assert f"its promise to follow banner (1, Aghilas) and {vote}" in crash
    assert f"its promise to follow banner (1, Aghilas) and {vote}" in back
    assert "forgot" not in back


# -- chosen is not known --------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_chosen_is_told_then_each_decide_says_how_long_after(name: str) -> None:
    events = _events(name)
    told = _told(events)
    chosen = [e for e in events if e["kind"] == "chosen"]
    decides = [e for e in events if e["kind"] == "decide"]
    if not chosen:
        assert not decides
        return
    first = chosen[0]
    line = next(s for t, s in told if t == first["t"] and f"{first['value']} is chosen" in s)
    assert f"{_names(first['by'])} have written votes" in line
    assert "3 of 5, a majority" in line
    assert line.endswith("No caravan knows it yet.")
    for d in decides:
        expected = f"{d['t'] - first['t']} ticks after it was chosen (t={first['t']}"
        assert any(
            t == d["t"] and s.startswith(f"⛺ {d['node']} knows the campsite") and expected in s
            for t, s in told
        ), expected


# -- one vocabulary; no timer names in the story ---------------------------------------


@pytest.mark.parametrize("name", BUILTIN_NAMES)
@pytest.mark.parametrize("level", ["info", "debug", "trace"])
def test_no_story_line_names_a_timer_or_leaves_the_glossary(name: str, level: str) -> None:
    events = _events(name)
    timers = {e["name"] for e in events if e["kind"] in ("timer", "timer_set")}
    assert timers  # there are timers to keep out of the story
    told = _told(events, level)
    assert told
    for _, story in told:
        for timer in timers:
            assert not re.search(rf"\b{re.escape(timer)}\b", story), story
        for word in (r"\bagrees?\b", r"\baccepted\b", r"\bballot\b", r"own note"):
            assert not re.search(word, story), story


def test_the_protocol_voice_keeps_the_timer_names() -> None:
    out = _told(_events("calm-day"), "trace")
    raw = io.StringIO()
    narrator = Narrator("trace", raw, colour=False)
    for event in _events("calm-day"):
        narrator(event)
    assert f"timer Aghilas.{PROPOSER_TIMER} set" in raw.getvalue()
    assert out


# -- telling a run in pieces (the REPL) ------------------------------------------------


def test_a_story_kept_across_pieces_tells_what_one_telling_tells() -> None:
    events = _events("dueling-proposers")
    header, rest = events[0], events[1:]
    lines = [dump_event(e) for e in rest]
    whole = [
        (e["seq"], told.story)
        for e, told in zip(rest, _tell_all(header, rest), strict=True)
        if e["kind"] != "send"
    ]
    keeper = StoryKeeper()
    pieces: list[tuple[int, str]] = []
    position = 0
    for stop in (7, 40, 41, 120, len(lines)):
        story = keeper.story_at(header, lines, position)
        for line in lines[position:stop]:
            event = json.loads(line)
            told = story.tell(event)
            if event["kind"] != "send":
                pieces.append((event["seq"], told.story))
        keeper.moved(lines, stop)
        position = stop
    assert pieces == whole
    # Going back in time starts again from the header and still tells the same.
    story = keeper.story_at(header, lines, 40)
    again = [story.tell(json.loads(line)) for line in lines[40:60]]
    assert [t.story for t in again] == [t.story for t in _tell_all(header, rest)[40:60]]


def _tell_all(header: dict[str, Any], events: list[dict[str, Any]]) -> list[Any]:
    story = Story()
    story.tell(header)
    return [story.tell(e) for e in events]


def test_levels_put_the_rule_at_info_and_the_rider_at_debug() -> None:
    events = _events("calm-day")
    story = Story()
    levels = {}
    for e in events:
        told = story.tell(e)
        levels[e.get("seq")] = told.level
    quorum_t = _phase1_quorums(events)[0][0]
    completing = [
        e
        for e in events
        if e["kind"] == "deliver" and e["t"] == quorum_t and e["msg"]["type"] == "promise"
    ]
    assert levels[completing[-1]["seq"]] == LEVELS["info"]
    ordinary = next(e for e in events if e["kind"] == "deliver" and e["msg"]["type"] == "prepare")
    assert levels[ordinary["seq"]] == LEVELS["debug"]


def test_a_campsite_from_a_file_cannot_drive_the_terminal() -> None:
    events = _adopt_run(own_report=False)
    for e in events:
        if e["kind"] == "deliver" and isinstance(e["msg"].get("accepted"), dict):
            e["msg"]["accepted"] = dict(e["msg"]["accepted"], value="Siwa\x1b[2J")
    events[-1]["value"] = "Siwa\x1b[2J"
    story = Story()
    told = [story.tell(e) for e in events]
    assert "Siwa" in told[-1].story
    assert all("\x1b" not in t.story and "\x1b" not in t.lead for t in told)


@pytest.mark.parametrize("name", ["proposer-collapses", "sandstorm-no-majority"])
def test_a_replayed_trace_is_told_as_the_live_run(name: str, tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    live: list[dict[str, Any]] = []
    with path.open("w", encoding="utf-8") as f:
        Simulation(load_builtin(name), observers=[SimTraceWriter(f), live.append]).run()
    header, events = read_trace(path)
    assert _told([header, *events], "debug") == _told(live, "debug")


def test_a_word_to_itself_that_took_its_time_is_not_told_as_at_once() -> None:
    """With `explore --self-delay` a caravan's rider to itself travels like any other (where the
    volatile-round lesson lives): its arrival says when it left, never 'at once'."""
    story = Story()
    names = ["Aghilas", "Taziri", "Amastan"]
    story.tell({"kind": "header", "caravans": names, "quorums": {"phase1": 2, "phase2": 2}})
    prepare = {"type": "prepare", "ballot": [1, "Taziri"]}
    rider = {"id": 8, "src": "Taziri", "dst": "Taziri", "msg": prepare}
    story.tell({"kind": "send", "t": 11, "seq": 1, "arrive": 12, **rider})
    late = story.tell({"kind": "deliver", "t": 12, "seq": 2, **rider}).story
    assert "at once" not in late and "t=11" in late and "Taziri" in late
    rider = dict(rider, id=9)
    story.tell({"kind": "send", "t": 13, "seq": 3, "arrive": 13, **rider})
    assert "at once" in story.tell({"kind": "deliver", "t": 13, "seq": 4, **rider}).story
