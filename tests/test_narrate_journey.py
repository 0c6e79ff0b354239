"""The journey is told in two voices: nights, leaders, heartbeats, elections, rest days, travellers."""

from __future__ import annotations

import io

from desert_paxos.narrate import Narrator
from desert_paxos.narrate._journey import JourneyStory, journey_protocol_voice
from desert_paxos.scenario import load_builtin
from desert_paxos.sim import Simulation


def told(name: str, level: str) -> str:
    out = io.StringIO()
    narrator = Narrator(level, out, colour=False)
    Simulation(load_builtin(name), observers=[narrator]).run()
    narrator.print_summary()
    return out.getvalue()


def test_info_tells_requests_answers_leaders_and_chosen_nights() -> None:
    text = told("leader-collapses", "info")
    assert "Ines asks" in text and "has its answer to" in text
    assert "leads under banner" in text and "phase 1 runs once" in text
    assert "✦ Night 1 is chosen" in text
    assert "has heard no heartbeat from" in text and "stands for election" in text
    assert "again (no answer came in time), with the same request number" in text
    assert "Journey: 12 nights decided and executed, 12 requests answered" in text
    assert "the travellers' history: linearizable" in text
    assert "heartbeat of banner" not in text  # heartbeats are told from debug on


def test_debug_tells_heartbeats_and_phase_two_per_night_in_both_voices() -> None:
    text = told("calm-journey", "debug")
    assert "a heartbeat of banner (1, Taziri)" in text
    assert "will you vote for" in text and "in night 1" in text
    assert "executes night 1" in text
    assert "│ Taziri → all: accept(ballot=(1, Taziri), slot=1" in text


def test_a_hole_is_closed_with_a_rest_day_and_a_retry_answered_once() -> None:
    story = JourneyStory()
    story.tell({"kind": "header", "caravans": ["A", "B", "C"], "protocol": "multi-paxos"})
    elected = story.tell(
        {"kind": "elected", "t": 5, "node": "B", "ballot": [2, "B"], "first": 3, "filled": [4]}
    )
    assert elected.level == 1
    assert "night 4" in elected.story and "rest day" in elected.story
    skipped = story.tell(
        {
            "kind": "execute",
            "t": 6,
            "node": "B",
            "slot": 5,
            "value": "put water 4",
            "command": {"traveller": "Ines", "request": 1, "op": "put", "key": "water", "value": 4},
            "ok": True,
            "result": None,
            "again": True,
        }
    )
    assert "already executed (each request once)" in skipped.story
    rest = story.tell(
        {
            "kind": "execute",
            "t": 7,
            "node": "B",
            "slot": 4,
            "value": "rest day",
            "command": {"op": "rest"},
            "ok": True,
            "result": None,
            "again": False,
        }
    )
    assert "rests in night 4" in rest.story
    assert "perform(slot=4)" in journey_protocol_voice(
        {"kind": "execute", "node": "B", "slot": 4, "ok": True, "result": None, "again": False}
    )


def test_a_night_chosen_again_under_a_new_banner_is_told_as_the_same() -> None:
    story = JourneyStory()
    story.tell({"kind": "header", "caravans": ["A", "B", "C"]})
    first = {
        "kind": "chosen",
        "t": 1,
        "slot": 2,
        "value": "get water",
        "ballot": [1, "A"],
        "by": ["A", "B"],
    }
    assert "Night 2 is chosen: get water" in story.tell(first).story
    again = story.tell({**first, "ballot": [3, "C"], "by": ["B", "C"]})
    assert "chosen again under banner (3, C): the same get water" in again.story
