"""Teacher's notes in the REPL: once the learner changes the desert, a later note says it was
written for the day as scripted (the trace itself is unchanged)."""

from __future__ import annotations

import io
import json

from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import resolve_scenario

FLAG = "written for the day as scripted"


def told(lines: list[str]) -> tuple[str, Session]:
    out = io.StringIO()
    session = Session("calm-day", resolve_scenario("calm-day"), Screen(out))
    for line in lines:
        session.execute(line)
    return " ".join(out.getvalue().split()), session


def test_notes_of_an_unchanged_day_are_told_as_written() -> None:
    text, _ = told(["/run"])
    assert "Teacher's note" in text and FLAG not in text


def test_notes_after_a_hand_made_change_say_they_describe_the_scripted_day() -> None:
    text, session = told(["/sandstorm Aghilas,Taziri | Amastan,Itri | Tassadit", "/run 200"])
    assert text.count("Teacher's note") == text.count(FLAG) > 0
    notes = [json.loads(x) for x in session.tm.lines if '"note"' in x]
    assert notes and all(not n["text"].startswith("(") for n in notes)  # the trace keeps the text


OTHER_SEED = "written for seed 1, the scenario's own; this desert has seed 5"


def test_notes_under_another_seed_say_whose_seed_they_were_written_for() -> None:
    """A note is timed for the scenario's seed: `/seed 5` (and `repl --seed 5`, `make magic
    seed=5`) plays another day, where a note may come before what it describes."""
    text, _ = told(["/seed 5", "/run"])
    assert text.count("Teacher's note") == text.count(OTHER_SEED) > 0
    out = io.StringIO()
    session = Session("calm-day", resolve_scenario("calm-day"), Screen(out), seed=5)
    session.execute("/run")
    told_here = " ".join(out.getvalue().split())
    assert told_here.count("Teacher's note") == told_here.count(OTHER_SEED) > 0
    text, _ = told(["/seed 5", "/seed 1", "/run"])  # back on the scenario's own day
    assert "Teacher's note" in text and "written for seed" not in text
