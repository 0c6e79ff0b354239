"""Times out of range are told plainly, and the session's size stays within a scenario's.

(Huge, negative and zero numbers for every command that takes one are in
``test_repl_session``'s table of mistakes, each answered with the allowed range.)
A /goto or /run past the end says where the scenario stops, never "expected a
tick like 120"; /goto before t=0 says ticks start at 0, never "Forward".
"""

from __future__ import annotations

import pytest

from .test_repl_session import HUGE, session
from .test_repl_session import run as said


def test_goto_past_the_end_says_where_the_desert_stops_and_goes_there() -> None:
    s, out = session()
    text = said(s, out, f"/goto {HUGE}")
    assert "expected a tick" not in text
    assert f"t={HUGE} is past the end: the scenario stops at t=1000" in text
    assert s.rejected == 0
    assert s.tm.ended


def test_run_past_the_end_says_where_the_desert_stops() -> None:
    s, out = session()
    text = said(s, out, f"/run {HUGE}")
    assert "expected a tick" not in text
    assert "the scenario stops at t=1000" in text
    assert s.rejected == 0


def test_goto_minus_one_at_the_start_never_says_forward() -> None:
    s, out = session()
    text = said(s, out, "/goto -1")
    assert "Forward" not in text
    assert "ticks start at 0" in text


def test_goto_minus_dt_travels_back_from_now() -> None:
    s, out = session()
    said(s, out, "/run 60")
    text = said(s, out, "/goto -20")
    assert "Back to t=40" in text
    assert s.clock == 40


def test_goto_to_where_we_already_are_says_so() -> None:
    s, out = session()
    said(s, out, "/run 60")
    text = said(s, out, "/goto 60")
    assert "Already at t=60" in text
    assert "Forward" not in text


def test_hand_made_events_stop_at_what_a_scenario_may_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desert_paxos.repl import _session

    s, out = session()
    held = len(s.scenario.timeline)
    monkeypatch.setitem(_session.SCENARIO_LIMITS, "timeline", held + 1)
    said(s, out, "/crash Itri")
    assert s.rejected == 0
    text = said(s, out, "/recover Itri")
    assert f"already holds {held + 1} desert events, the most a scenario may hold" in text
    assert s.rejected == 1
