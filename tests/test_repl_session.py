"""The REPL driven through piped input, as a lesson or a script would drive it."""

from __future__ import annotations

import io
import json
import signal
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from desert_paxos.repl import COMMANDS, Screen, Session, capture, run_repl
from desert_paxos.repl._machine import encode_event
from desert_paxos.scenario import resolve_scenario, scenario_from_data
from desert_paxos.sim import Simulation

HUGE = "999999999999999"


def repl(*lines: str, scenario: str = "calm-day", seed: int | None = None) -> str:
    out = io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    code = run_repl(scenario, resolve_scenario(scenario), seed=seed, stdin=stdin, stdout=out)
    assert code == 0
    return out.getvalue()


def session(
    scenario: str = "calm-day", seed: int | None = None, **screen: Any
) -> tuple[Session, io.StringIO]:
    """A session on ``scenario`` writing into a string (``screen``: colour, width)."""
    out = io.StringIO()
    s = Session(scenario, resolve_scenario(scenario), Screen(out, **screen), seed=seed)
    return s, out


def run(s: Session, out: io.StringIO, line: str) -> str:
    start = out.tell()
    assert s.execute(line)
    out.seek(start)
    text = out.read()
    out.seek(0, io.SEEK_END)
    return text


def test_opens_paused_at_zero_with_the_map_and_a_hint_and_no_prompt_noise() -> None:
    text = repl()
    assert "t=0 · step 0 · 0 riders on the sand" in text
    assert "Aghilas" in text and "Tassadit" in text and "╭─ calm-day" in text
    assert "Type /help" in text
    assert ">>>" not in text


def test_echo_shows_each_command_after_the_prompt() -> None:
    out = io.StringIO()
    stdin = io.StringIO("/step\n")
    run_repl("calm-day", resolve_scenario("calm-day"), stdin=stdin, stdout=out, echo=True)
    assert ">>> /step\n" in out.getvalue()


def test_step_tells_the_events_and_moves_the_clock() -> None:
    s, out = session()
    text = run(s, out, "/step 3")
    assert "Aghilas wishes to camp at Oasis of Siwa" in text
    assert s.tm.position == 3
    assert "step 3" in text.splitlines()[-1]


def test_help_lists_every_command_with_an_example() -> None:
    s, out = session()
    text = run(s, out, "/help")
    for command in COMMANDS:
        assert command.synopsis in text, command.name
        assert command.summary in text, command.name
        assert f"e.g. {command.example}" in text, command.name


def test_help_for_one_command() -> None:
    s, out = session()
    text = run(s, out, "/help sandstorm")
    assert "/sandstorm A,B | C,D,E" in text and "e.g. /sandstorm" in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/crsh Itri", "did you mean /crash?"),
        ("/crash", "usage: /crash C"),
        ("/crash Itro", "did you mean Itri?"),
        ("/step many", "n must be a whole number from 1 to 1,000,000, got 'many'"),
        ("/step 0", "n must be a whole number from 1 to 1,000,000, got 0"),
        ("/goto soon", "/goto takes a tick from 0 to 1,000 (the scenario's end) like 120"),
        ("", "empty line: type /help"),
        ("   ", "empty line: type /help"),
        ("/map now", "/map takes no arguments"),
        ("/st", "/st could be /step, /state"),
        ("hello", "commands start with /"),
        ("/step \x1b[A", "control character"),
        ("/" + "x" * 5000, "characters long"),
        ("/loss 2", "P must be between 0 and 1"),
        ("/delay 9 3", "MIN 9 is greater than MAX 3"),
        ("/recover Itri", "Itri is on its feet"),
        ("/calm", "there is no sandstorm to calm"),
        ("/drop 999", "no rider #999 is on the sand"),
        ("/sandstorm Aghilas | Aghilas", "named twice"),
        ("/log loud", "LEVEL one of quiet, info, debug, trace"),
        ("/load no-such-desert", "no built-in scenario or file by this name"),
        ("/export html x", "usage: /export trace FILE"),
        ("/back", "already at the very beginning"),
        # A number out of range names the range (huge, negative, zero).
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
        ("/seed -1", "seed must be a whole number from 0 to 9,007,199,254,740,991, got -1"),
        ("/seed 9007199254740992", "from 0 to 9,007,199,254,740,991"),
        ("/goto -1", "ticks start at 0"),
        ("/goto soon", "/goto takes a tick from 0 to 1,000 (the scenario's end)"),
        ("/run -1", "/run only goes forward"),
        ("/run soon", "/run takes a tick from 0 to 1,000 (the scenario's end)"),
    ],
)
def test_every_mistake_is_one_line_with_a_hint_and_changes_nothing(
    line: str, expected: str
) -> None:
    s, out = session()
    before = s.fingerprint()
    text = run(s, out, line)
    assert text.count("\n") == 1, text
    assert expected in text
    assert s.rejected == 1
    assert s.fingerprint() == before


def test_binary_garbage_from_a_pipe_is_an_error_line_not_a_crash() -> None:
    raw = b"/step\n\xff\xfe\x00garbage\n/state Itri\n"
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    out = io.StringIO()
    run_repl("calm-day", resolve_scenario("calm-day"), stdin=stdin, stdout=out)
    text = out.getvalue()
    assert "not UTF-8 text" in text
    assert "Itri: on its feet" in text  # the line after the garbage still ran


def test_plain_words_work_without_the_slash() -> None:
    s, out = session()
    run(s, out, "step 2")
    assert s.tm.position == 2
    run(s, out, "crash Itri")
    assert s.tm.sim.caravans["Itri"] is None


def test_comments_in_a_lesson_are_shown_not_rejected() -> None:
    text = repl("# Now the storm comes", "/step")
    assert "# Now the storm comes" in text
    assert "error" not in text.lower()


def test_crash_is_told_and_state_shows_it() -> None:
    s, out = session()
    run(s, out, "/step 4")
    text = run(s, out, "/crash Itri")
    assert "Itri collapses" in text
    assert s.tm.sim.caravans["Itri"] is None
    state = run(s, out, "/state")
    assert any(row.startswith("✗ Itri") and "collapsed" in row for row in state.splitlines())
    why = run(s, out, "/why Itri")
    assert f"collapsed at t={s.clock}" in why


def test_a_fault_mid_tick_lands_on_the_next_tick_after_the_tick_is_finished() -> None:
    s, out = session()
    run(s, out, "/step 1")  # the proposal at t=0; its self-delivery is still due at t=0
    assert s.tm.next_event_time() == 0
    text = run(s, out, "/crash Taziri")
    assert "At t=1: Taziri collapses" in text
    assert "still due before it happens" in text
    assert s.clock == 1


def test_a_fault_at_the_very_start_lands_at_zero() -> None:
    s, out = session()
    text = run(s, out, "/crash Taziri")
    assert "At t=0: Taziri collapses." in text


def test_run_to_a_time_then_act_there() -> None:
    s, out = session()
    run(s, out, "/run 30")
    assert s.clock == 30
    assert all(json.loads(line)["t"] <= 30 for line in s.tm.lines[: s.tm.seq])
    assert s.tm.next_event_time() is None or s.tm.next_event_time() > 30  # type: ignore[operator]
    happened_at_30 = s.tm.last_event_time() == 30
    text = run(s, out, "/sandstorm Aghilas | Taziri,Amastan,Itri,Tassadit")
    # At the clock if nothing happened at t=30 yet, else at the next tick.
    expected = 31 if happened_at_30 else 30
    assert f"At t={expected}: a sandstorm rises" in text
    assert s.tm.sim.groups is not None and s.clock == expected


def test_run_without_argument_runs_until_quiet_and_says_so() -> None:
    s, out = session()
    text = run(s, out, "/run")
    assert s.tm.sim.end_reason == "quiet"
    assert "Oasis of Siwa" in text
    again = run(s, out, "/run")
    assert "The run is over: the desert is quiet" in again


def test_back_restores_the_exact_state_and_forward_replays_the_same_events() -> None:
    s, out = session("dueling-proposers")
    run(s, out, "/step 20")
    before = whole_state(s)
    forward = run(s, out, "/step 15")
    run(s, out, "/back 15")
    assert s.tm.position == 20 and s.clock == before[0]
    assert whole_state(s) == before
    again = run(s, out, "/step 15")
    assert again == forward


def whole_state(s: Session) -> tuple[object, ...]:
    snap = capture(s.tm.sim)
    return (
        s.clock,
        snap.now,
        sorted(snap.heap, key=lambda entry: (entry[0], entry[1])),
        snap.event_seq,
        snap.next_msg_id,
        snap.caravans,
        snap.disk,
        snap.timer_gen,
        snap.armed,
        snap.groups,
        snap.in_flight,
        snap.script_pending,
        snap.stats,
        snap.rng_state,
        s.tm.lines[: s.tm.seq],
    )


def test_goto_backwards_and_forwards() -> None:
    s, out = session("dueling-proposers")
    run(s, out, "/run")
    end_seq = s.tm.seq
    text = run(s, out, "/goto 50")
    assert "Back to t=50" in text
    assert all(json.loads(line)["t"] <= 50 for line in s.tm.lines[: s.tm.seq])
    assert json.loads(s.tm.lines[s.tm.seq])["t"] > 50
    run(s, out, "/goto 100000")
    assert s.tm.seq == end_seq


def test_acting_after_going_back_forks_the_future_and_says_so() -> None:
    s, out = session()
    run(s, out, "/step 10")
    run(s, out, "/crash Itri")
    run(s, out, "/step 10")
    run(s, out, "/back 15")
    text = run(s, out, "/crash Tassadit")
    assert "The old future was discarded" in text
    assert "with 1 hand-made event" in text
    assert [i.item.caravan for i in s.injections] == ["Tassadit"]  # type: ignore[union-attr]


def test_going_back_and_on_without_acting_keeps_the_future() -> None:
    s, out = session()
    run(s, out, "/step 5")
    run(s, out, "/crash Itri")
    run(s, out, "/back 3")
    run(s, out, "/run")
    assert s.tm.sim.caravans["Itri"] is None
    assert len(s.injections) == 1


def test_inflight_lists_riders_with_arrival() -> None:
    s, out = session()
    run(s, out, "/step 2")
    text = run(s, out, "/inflight")
    assert "riders on the sand" in text
    assert "PREPARE (1, Aghilas)" in text and "arrives t=" in text


def test_drop_a_rider_in_flight() -> None:
    s, out = session()
    run(s, out, "/step 2")
    rider = s.tm.sim.heap and min(e[3] for e in s.tm.sim.heap if e[2] in (0, 1))
    text = run(s, out, f"/drop {rider}")
    assert f"rider #{rider}" in text and "is taken off the sand" in text
    assert s.tm.sim.stats.dropped.get("hand") == 1


def test_timeline_shows_both_voices() -> None:
    s, out = session()
    run(s, out, "/step 3")
    text = run(s, out, "/timeline 2")
    lines = text.splitlines()
    assert [line.startswith("t=") for line in lines].count(True) == 2  # two stories
    protocol = [line.strip() for line in lines if "│" in line]  # each under its story
    assert len(protocol) == 2
    assert all(p.lstrip("│ ").startswith(("Aghilas", "deliver", "persist")) for p in protocol)


def test_why_explains_adoption_from_a_promise() -> None:
    s, out = session("proposer-collapses")
    while (
        s.tm.sim.caravans["Taziri"] is not None
        and s.tm.sim.caravans["Taziri"].proposer.phase != "accepting"
    ):
        s.tm.step()
        s.clock = s.tm.now
    text = " ".join(run(s, out, "/why Taziri").split())
    assert "It carries Oasis of Siwa forward instead of its own wish, Wells of Timbuktu" in text
    assert "may already be chosen" in text


def test_log_level_quiet_tells_nothing_but_the_status() -> None:
    s, out = session()
    run(s, out, "/log quiet")
    text = run(s, out, "/step 3")
    assert text.splitlines() == [s.status_text()]


def test_seed_starts_over() -> None:
    s, out = session()
    run(s, out, "/step 5")
    run(s, out, "/crash Itri")
    text = run(s, out, "/seed 7")
    assert "Starting over at t=0 with seed 7 (1 hand-made events cleared)" in text
    assert s.tm.position == 0 and s.scenario.seed == 7 and not s.injections


def test_load_another_scenario(tmp_path: Path) -> None:
    s, out = session()
    text = run(s, out, "/load sandstorm-minority")
    assert "Desert Paxos — sandstorm-minority" in text
    assert s.base.name == "sandstorm-minority"
    bad = tmp_path / "bad.json"
    bad.write_text('{"proposals": [], "quorum": 9}', encoding="utf-8")
    text = run(s, out, f"/load {bad}")
    assert text.count("\n") == 1 and "quorum 9 is larger than the 5 caravans" in text


VIOLATING = {
    "name": "split-brain",
    "variant": "small-quorums",
    "quorums": {"phase1": 2, "phase2": 2},
    "seed": 3,
    "proposals": [
        {"at": 1, "caravan": "Aghilas", "campsite": "Siwa"},
        {"at": 1, "caravan": "Itri", "campsite": "Agadez"},
    ],
    "timeline": [{"at": 0, "sandstorm": [["Aghilas", "Taziri"], ["Amastan", "Itri", "Tassadit"]]}],
    "until": 2000,
}


def test_a_violation_pauses_loudly_with_why_and_a_reproduce_command(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    path.write_text(json.dumps(VIOLATING), encoding="utf-8")
    scenario = scenario_from_data(VIOLATING, str(path))
    out = io.StringIO()
    s = Session(str(path), scenario, Screen(out))
    text = run(s, out, "/run")
    assert "!!! SAFETY VIOLATED at t=" in text
    assert "Why is" in text
    assert f"desert-paxos run {path} --seed 3 --log-level debug" in text
    assert s.tm.sim.violation is not None
    refused = run(s, out, "/crash Itri")
    assert "the run stopped at a safety violation" in refused
    run(s, out, "/back 1")
    assert s.tm.sim.violation is None


def test_quit_stops_reading() -> None:
    text = repl("/quit", "/step")
    assert "Aghilas wishes" not in text


def test_ctrl_c_pauses_a_run_cleanly_between_steps() -> None:
    s, out = session("dueling-proposers")
    real_step = s.tm.step
    taken = 0

    def step_then_interrupt() -> bool:
        nonlocal taken
        taken += 1
        if taken == 5:
            signal.raise_signal(signal.SIGINT)  # as if Ctrl-C came in the middle of this step
        return real_step()

    s.tm.step = step_then_interrupt  # type: ignore[method-assign]
    text = run(s, out, "/run")
    assert "Paused at t=" in text
    assert s.tm.position == 5  # the interrupted step finished; no later step started
    del s.tm.step
    run(s, out, "/run")
    straight: list[dict[str, object]] = []
    Simulation(s.scenario, observers=[straight.append]).run()
    assert s.tm.lines == [encode_event(e) for e in straight[1:]]


def test_after_running_to_a_tick_where_something_happened_the_act_lands_on_the_next() -> None:
    s, out = session()
    run(s, out, "/run 30")
    busy_tick = s.tm.last_event_time()
    other, other_out = session()
    run(other, other_out, f"/run {busy_tick}")
    text = run(other, other_out, "/crash Itri")
    assert f"At t={busy_tick + 1}: Itri collapses." in text


def test_a_bug_in_a_command_is_reported_and_the_session_survives_intact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s, out = session()
    run(s, out, "/step 5")
    before = whole_state(s)

    def broken(*args: object) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr("desert_paxos.repl._session.state_lines", broken)
    text = run(s, out, "/state")
    assert text.count("\n") == 1
    assert "internal error (RuntimeError: boom); this is a bug" in text
    assert whole_state(s) == before
    run(s, out, "/step")
    assert s.tm.position == 6


def test_a_step_that_fails_half_way_leaves_no_trace_in_the_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desert_paxos.protocol import Caravan

    s, out = session("dueling-proposers")
    run(s, out, "/step 10")
    real = Caravan.on_message
    calls = 0

    def flaky(self: Caravan, src: str, msg: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 7:
            raise RuntimeError("a caravan tripped")
        return real(self, src, msg)  # type: ignore[arg-type]

    monkeypatch.setattr(Caravan, "on_message", flaky)
    text = run(s, out, "/run")
    assert "internal error (RuntimeError: a caravan tripped)" in text
    monkeypatch.setattr(Caravan, "on_message", real)
    run(s, out, "/run")
    straight: list[dict[str, object]] = []
    Simulation(s.scenario, observers=[straight.append]).run()
    assert s.tm.lines == [encode_event(e) for e in straight[1:]]


def test_play_on_a_terminal_animates_the_map_in_place_until_the_desert_is_quiet() -> None:
    out = io.StringIO()
    s = Session(
        "calm-day", resolve_scenario("calm-day"), Screen(out, colour=True), interactive=True
    )
    s.execute("/play 3000")
    text = out.getvalue()
    assert s.tm.sim.end_reason == "quiet"
    assert "events happened; /timeline" in text
    plain = Text.from_ansi(text).plain
    assert plain.count("╭─ calm-day") >= 2  # frames redrawn in place
    assert "\x1b[2K" in text or "\x1b[1A" in text  # by moving the cursor back
    assert f"t={s.tm.now} · step" in plain  # the clock stops when the desert goes quiet


def test_why_says_how_a_caravan_learned_the_decision() -> None:
    s, out = session()
    run(s, out, "/run")
    leader = " ".join(run(s, out, "/why Aghilas").split())  # lines broken at the width, joined
    assert (
        "it counted the vote of" in leader and "completed a majority for its own banner" in leader
    )
    follower = " ".join(run(s, out, "/why Taziri").split())
    assert "a rider from Aghilas brought the news" in follower


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("paxos", "it promised banner (1, Aghilas) and remembers that it has no vote"),
        ("forgetful-acceptor", "not even its promise to follow banner (1, Aghilas)"),
    ],
)
def test_why_tells_truthfully_what_a_collapsed_caravans_logbook_keeps(
    variant: str, expected: str
) -> None:
    scenario = scenario_from_data(
        {
            "variant": variant,
            "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Siwa"}],
            "timeline": [{"at": 50, "crash": "Itri"}],
        },
        "collapse.json",
    )
    out = io.StringIO()
    s = Session("collapse.json", scenario, Screen(out))
    s.execute("/run 60")
    text = " ".join(run(s, out, "/why Itri").split())
    assert expected in text
    assert ("forgotten" in text) == (variant == "forgetful-acceptor")


@pytest.mark.parametrize("given", ["-0", "-0.0%", "-0e5"])
def test_a_loss_of_minus_zero_is_told_as_zero(given: str) -> None:
    s, out = session()
    told = run(s, out, f"/loss {given}")
    assert "from now on 0% of riders are lost" in told and "-0" not in told


def test_a_file_with_two_problems_says_one_more_problem(tmp_path: Path) -> None:
    bad = tmp_path / "two.json"
    bad.write_text(json.dumps({"name": 1, "seed": -1, "proposals": []}), encoding="utf-8")
    s, out = session()
    told = run(s, out, f"/load {bad}")
    assert "(and 1 more problem)" in told, told


def test_a_byte_order_mark_before_a_command_is_read_past() -> None:
    """A commands file saved by an editor that starts it with a BOM, piped into the REPL."""
    s, out = session()
    told = run(s, out, "\ufeff/step 3")
    assert "control character" not in told and "Aghilas wishes to camp" in told
    assert s.rejected == 0


@pytest.mark.parametrize(
    ("campsite", "fragment"),
    [("x" * 201, "at most 200"), ("Oasis\tof Siwa", "U+0009")],
)
def test_propose_refuses_a_campsite_a_scenario_file_could_not_hold(
    campsite: str, fragment: str, tmp_path: Path
) -> None:
    """`/save` always writes a file that loads: a campsite is held to the scenario's own rule."""
    s, out = session()
    told = run(s, out, f"/propose Taziri {campsite}")
    assert fragment in told and s.rejected == 1
    run(s, out, f"/save {tmp_path / 'saved.json'}")
    resolve_scenario(str(tmp_path / "saved.json"))  # loads
