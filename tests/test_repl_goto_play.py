"""A forward /goto tells what it passes over; /play tells the story under the map as it goes."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.text import Text

from desert_paxos.narrate import event_level
from desert_paxos.repl import Session

from .test_repl_session import run, session


def said(s: Session, out: io.StringIO, line: str) -> str:
    text = run(s, out, line)
    assert s.rejected == 0, text
    return text


def test_a_short_forward_goto_tells_the_events_it_passes_over() -> None:
    s, out = session()
    text = said(s, out, "/goto 20")
    assert re.search(r"Forward to t=20: \d+ events happened", text)
    assert "t=    0  Aghilas wishes to camp at Oasis of Siwa" in text
    ticks = [int(m.group(1)) for m in re.finditer(r"^t=\s*(\d+)  ", text, re.MULTILINE)]
    passed = [json.loads(line) for line in s.tm.lines[: s.tm.seq]]
    assert len(ticks) >= 3 and max(ticks) <= 20
    assert ticks[-1] == max(e["t"] for e in passed if event_level(e) <= 1)


def test_the_events_are_told_at_the_current_level() -> None:
    info, info_out = session()
    debug, debug_out = session()
    said(debug, debug_out, "/log debug")
    told_info = said(info, info_out, "/goto 20")
    told_debug = said(debug, debug_out, "/goto 20")
    assert "│" not in told_info.split("╭")[0]  # the story voice alone at info
    assert "│" in told_debug.split("╭")[0]  # both voices at debug
    assert told_debug.split("╭")[0].count("\n") > told_info.split("╭")[0].count("\n")


def test_a_long_forward_goto_counts_the_events_and_names_the_timeline_that_shows_them() -> None:
    s, out = session("dueling-proposers")
    start_seq = s.tm.seq
    text = " ".join(said(s, out, "/goto 2000").split())  # lines broken at the width, joined
    match = re.search(
        r"(\d[\d,]*) events happened, too many to tell here; /timeline (\d+) shows", text
    )
    assert match, text
    n = int(match.group(2))
    assert "Tassadit wishes to camp" not in text  # nothing was told one by one
    listing = said(s, out, f"/timeline {n}")
    first = next(line for line in listing.splitlines() if line.startswith("t="))
    passed = [json.loads(line) for line in s.tm.lines[start_seq : s.tm.seq]]
    visible = [e for e in passed if e["kind"] not in ("timer_set", "timer_cancel")]
    assert len(visible) == n  # N covers every event passed over, and no more
    assert first.startswith(f"t={visible[0]['t']:>5}")


def test_quiet_goto_tells_nothing_but_says_how_many_and_where_to_look() -> None:
    s, out = session()
    said(s, out, "/log quiet")
    text = " ".join(said(s, out, "/goto 60").split())
    assert "Aghilas wishes" not in text
    assert re.search(r"Forward to t=60: \d+ events happened; /timeline \d+ shows them", text)


def test_a_forward_goto_is_bounded_and_says_how_to_go_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from desert_paxos.repl import _session

    monkeypatch.setattr(_session, "MAX_RUN_STEPS", 10)
    s, out = session("dueling-proposers")
    text = " ".join(said(s, out, "/goto 2000").split())
    assert s.tm.position == 10
    assert f"Paused after 10 steps at t={s.clock}; /goto 2000 again to go on." in text


def test_play_on_a_terminal_shows_the_story_under_the_map_as_it_animates() -> None:
    s, out = session(colour=True, width=100)
    s.interactive = True
    s.execute("/play 200")  # 20 ticks a frame
    plain = Text.from_ansi(out.getvalue()).plain
    joined = " ".join(plain.split())
    frames = plain.split("╭─ calm-day")
    assert len(frames) >= 3
    last = frames[-1]
    below = last.split("╰", 1)[1]
    assert "Aghilas knows the campsite" in below or "knows the campsite" in below
    assert any("t=    0  Aghilas wishes to camp" in frame.split("╰", 1)[-1] for frame in frames)
    assert re.search(r"\d+ events happened; /timeline \d+ shows them", joined)


def told_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"t=\s*\d+  ", line)]


def test_the_repl_tells_the_story_in_context_step_by_step_as_run_does() -> None:
    """Each /step is told knowing what came before: the majority, late answers, chosen."""
    whole, whole_out = session(width=200)
    at_once = told_lines(said(whole, whole_out, "/run"))
    piecewise, piece_out = session(width=200)
    steps = []
    while not piecewise.tm.ended:
        steps += told_lines(said(piecewise, piece_out, "/step"))
    assert steps == at_once
    joined = "\n".join(steps)
    assert "3 of 5, a majority" in joined
    assert "reaches Aghilas late" in joined
    assert "is chosen" in joined


def test_after_travelling_back_the_story_is_told_again_the_same_way() -> None:
    s, out = session(width=200)
    said(s, out, "/run 40")
    first = told_lines(said(s, out, "/run 70"))
    said(s, out, "/goto 40")
    again = told_lines(said(s, out, "/run 70"))
    assert again == first and any("3 of 5, a majority" in line for line in first)
