"""The REPL on a journey: the map, /log, /leader, /request, story and time travel."""

from __future__ import annotations

import json
from pathlib import Path

import desert_paxos.scenario
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


def test_state_shows_each_caravans_roles_and_the_chosen_nights() -> None:
    s, out = session("calm-journey")
    run(s, out, "/run 300")
    table = run(s, out, "/state")
    assert "Taziri  leads under (1, Taziri)" in table
    assert "Aghilas follows Taziri" in table and "nights 1..3" in table
    assert "Chosen (a majority voted one command): nights 1..4" in table
    one = run(s, out, "/state Taziri")
    assert "leader    leads under (1, Taziri); open: no night; next night 5" in one
    assert "acceptor  promise (1, Taziri); logbook: votes in nights 1..4" in one
    assert "replica   executed nights 1..4" in one and "supplies: water 40" in one
    assert "each traveller's last request executed: Ines #2, Tin #2" in one
    assert "internal error" not in table + one


def test_why_tells_a_caravans_last_step_in_both_voices_and_the_rule() -> None:
    s, out = session("calm-journey")
    run(s, out, "/run 300")
    why = run(s, out, "/why Aghilas")
    assert "Aghilas's last step, at t=287:" in why
    assert "Aghilas hears from Taziri: will you vote for Ines's get water" in why  # the story
    assert "│ Taziri ⇒ Aghilas: accept(ballot=(1, Taziri)" in why  # the protocol
    assert "The rule at work: Phase 2, as an acceptor" in why
    assert "Now: Aghilas follows Taziri" in why
    leader = run(s, out, "/why Taziri")
    assert "The rule at work: The replica: it records the night" in leader
    everyone = run(s, out, "/why")
    assert "Chosen nights (a majority voted one command): 1, 2, 3, 4." in everyone
    assert everyone.count("'s last step, at t=") == 3


def test_state_and_why_on_a_collapsed_caravan_read_its_logbook() -> None:
    s, out = session("leader-collapses")
    run(s, out, "/run 400")
    state = run(s, out, "/state Aghilas")
    assert "Aghilas: collapsed" in state and "(all that survives a collapse)" in state
    assert "✗ Aghilas" in run(s, out, "/state")
    why = run(s, out, "/why Aghilas")
    assert "The rule at work: It collapsed" in why
    assert "Now: Aghilas lies collapsed; its logbook survives." in why


def test_why_on_a_broken_journey_names_the_variants_lesson(tmp_path: Path) -> None:
    library = Path(desert_paxos.scenario.__file__).parent / "library"
    data = json.loads((library / "calm-journey.json").read_text())
    data["variant"] = "twice-executed"
    broken = tmp_path / "twice.json"
    broken.write_text(json.dumps(data))
    s, out = session(str(broken))
    run(s, out, "/run 300")
    why = run(s, out, "/why Taziri")
    assert "The rule at work: The replica" in why
    assert "This journey runs the broken variant 'twice-executed'" in why


def test_state_and_why_refuse_an_unknown_caravan_in_one_line() -> None:
    s, out = session("calm-journey")
    for line in ("/state Nobody", "/why Nobody"):
        told = run(s, out, line).strip()
        assert told.startswith("unknown caravan 'Nobody'") and "\n" not in told


def test_a_journeys_violation_says_why_the_caravan_named_is_there(tmp_path: Path) -> None:
    from desert_paxos.swarm import draw_desert

    scenario = tmp_path / "skip.json"
    desert = draw_desert(4, "skip-phase1", "multi-paxos")  # breaks slot-choice at t=1243
    scenario.write_text(json.dumps(desert.scenario.to_json()))
    s, out = session(str(scenario))
    told = run(s, out, "/run 2000")
    assert "SAFETY VIOLATED at t=1243: slot-choice" in told
    assert "This desert runs the broken variant 'skip-phase1'" in told
    assert "Why is Amastan there?" in told and "The rule at work:" in told
    assert "internal error" not in told
