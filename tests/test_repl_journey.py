"""The REPL on a journey: the map, /log, /leader, /request, story and time travel."""

from __future__ import annotations

import json
from pathlib import Path

from desert_paxos.scenario import load_scenario_file
from desert_paxos.sim import Simulation

from .test_repl_session import run, session


def test_a_journey_opens_with_its_table_and_steps_in_the_journeys_voices() -> None:
    s, out = session("calm-journey")
    s.welcome()
    opening = out.getvalue()
    assert "Aghilas: follows no leader yet" in opening and "Ines: thinking; 3 more" in opening
    told = run(s, out, "/run 200")
    assert "leads under banner (1, Taziri)" in told and "internal error" not in told


def test_leader_and_log_read_the_caravans() -> None:
    s, out = session("calm-journey")
    run(s, out, "/run 300")
    leader = run(s, out, "/leader")
    assert "Taziri leads under banner (1, Taziri)." in leader
    assert "Aghilas follows Taziri; stands at t=" in leader
    log = run(s, out, "/log Taziri")
    assert "night 1: voted Tin's get dates under (1, Taziri)" in log and "executed" in log


def test_request_by_hand_is_answered_and_kept_across_time_travel(tmp_path: Path) -> None:
    s, out = session("calm-journey")
    run(s, out, "/run 500")
    told = run(s, out, "/request Ines put water 77")
    assert "Ines asks to put water 77" in told
    run(s, out, "/run 1200")
    answered = [
        json.loads(line)
        for line in s.tm.lines[: s.tm.seq]
        if '"kind": "response"' in line and '"value": 77' in line
    ]
    assert answered and answered[0]["traveller"] == "Ines"
    assert "compacted into the supplies" in run(s, out, "/log Aghilas")
    assert "water 77" in run(s, out, "/map")
    # Back before the act and forward again: the same events, the act kept.
    before = list(s.tm.lines[: s.tm.seq])
    run(s, out, "/back 50")
    run(s, out, "/run 1200")
    assert s.tm.lines[: s.tm.seq] == before
    # A saved session is a scenario that runs the same journey.
    saved = tmp_path / "mine.json"
    assert "internal error" not in run(s, out, f"/save {saved}")
    result = Simulation(load_scenario_file(saved)).run()
    assert result.violation is None and result.end_reason == "quiet"


def test_journey_commands_refuse_bad_input_and_single_decree_days() -> None:
    s, out = session("calm-journey")
    assert "unknown traveller 'Nobody'" in run(s, out, "/request Nobody get water")
    assert "not an operation" in run(s, out, "/request Ines steal water")
    assert "a cas is written cas KEY EXPECTED NEW" in run(s, out, "/request Ines cas water 4")
    assert "not an amount" in run(s, out, "/request Ines put water lots")
    assert "unknown caravan" in run(s, out, "/log Nobody")
    day, out2 = session("calm-day")
    assert "is for a journey" in run(day, out2, "/leader")


def test_state_and_why_point_a_journey_to_its_own_commands() -> None:
    s, out = session("calm-journey")
    run(s, out, "/run 300")
    for line in ("/state", "/why Taziri"):
        told = run(s, out, line)
        assert "on a journey: /log C" in told and "internal error" not in told
