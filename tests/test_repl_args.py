"""Every argument a REPL command rejects gets one line that says the allowed range.

Huge numbers, negative numbers and zero are tried on every command that takes
a number; the answer names the command's range (or the limit it stops at),
never a bare "expected a tick like 120", and never a message about the wrong
direction of travel.
"""

from __future__ import annotations

import io

import pytest

from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import resolve_scenario

HUGE = "999999999999999"


def session(scenario: str = "calm-day") -> tuple[Session, io.StringIO]:
    out = io.StringIO()
    return Session(scenario, resolve_scenario(scenario), Screen(out)), out


def said(s: Session, out: io.StringIO, line: str) -> str:
    start = out.tell()
    s.execute(line)
    out.seek(start)
    text = out.read()
    out.seek(0, io.SEEK_END)
    return text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/step 0", "n must be a whole number from 1 to 1,000,000, got 0"),
        ("/step -1", "n must be a whole number from 1 to 1,000,000, got -1"),
        (f"/step {HUGE}", f"n must be a whole number from 1 to 1,000,000, got {HUGE}"),
        ("/back 0", "n must be a whole number from 1 to 1,000,000, got 0"),
        ("/back -2", "n must be a whole number from 1 to 1,000,000, got -2"),
        (f"/back {HUGE}", "from 1 to 1,000,000"),
        ("/timeline 0", "n must be a whole number from 1 to 1,000,000, got 0"),
        ("/timeline -5", "from 1 to 1,000,000, got -5"),
        (f"/timeline {HUGE}", "from 1 to 1,000,000"),
        ("/play 0", "speed must be a whole number from 1 to 100,000 ticks a second, got 0"),
        ("/play -3", "from 1 to 100,000 ticks a second, got -3"),
        (f"/play {HUGE}", "from 1 to 100,000 ticks a second"),
        ("/drop 0", "a rider's id is a whole number from 1 up"),
        ("/drop -4", "a rider's id is a whole number from 1 up"),
        (f"/drop {HUGE}", f"no rider #{HUGE} is on the sand"),
        ("/loss -0.5", "P must be between 0 and 1 (or 0% to 100%), got '-0.5'"),
        ("/loss 101%", "P must be between 0 and 1 (or 0% to 100%), got '101%'"),
        (f"/loss {HUGE}", "P must be between 0 and 1"),
        ("/delay -1 5", "MIN must be a whole number from 0 to 1,000 (the scenario's end), got -1"),
        (f"/delay 1 {HUGE}", "MAX must be a whole number from 0 to 1,000 (the scenario's end)"),
        ("/seed -1", "seed must be a whole number from 0 to 18,446,744,073,709,551,615, got -1"),
        ("/seed 99999999999999999999", "from 0 to 18,446,744,073,709,551,615"),
        ("/goto -1", "ticks start at 0"),
        ("/goto soon", "/goto takes a tick from 0 to 1,000 (the scenario's end)"),
        ("/run -1", "/run only goes forward"),
        ("/run soon", "/run takes a tick from 0 to 1,000 (the scenario's end)"),
    ],
)
def test_each_rejected_number_names_the_allowed_range(line: str, expected: str) -> None:
    s, out = session()
    before = s.fingerprint()
    text = said(s, out, line)
    assert text.count("\n") == 1, text
    assert expected in text
    assert s.rejected == 1
    assert s.fingerprint() == before


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
