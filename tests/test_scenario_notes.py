"""Teacher notes: a timeline entry ``{"at": T, "note": "..."}`` told by every view at its moment.

A note is checked like the rest of a scenario (JSON, TOML and the JSON Schema agree), becomes a
``note`` trace event (``text``, no ``node``: the simulator's own notes name one) in timeline order,
changes nothing else in the trace, never holds a run open, is told by ``run``, ``replay`` and the
REPL, and survives the REPL's ``/save``. The built-in scenarios carry notes where their lesson
happens, and every one of them is told in its run.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from desert_paxos.cli import main
from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import (
    BUILTIN_NAMES,
    ScenarioError,
    load_builtin,
    load_scenario_file,
    parse_scenario_text,
    scenario_from_data,
)
from desert_paxos.scenario._schema import scenario_json_schema
from desert_paxos.sim import Simulation

from .test_cli_bad_input import cli

MAJORITY = "A majority of promises is in: phase 2 may begin."
DOC: dict[str, Any] = {
    "name": "noted",
    "seed": 1,
    "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"}],
    "timeline": [
        {"at": 48, "note": MAJORITY},
        {"at": 62, "note": "Siwa is chosen now, and nobody knows it yet."},
    ],
    "until": 1000,
}


def events_of(doc: dict[str, Any], seed: int | None = None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    Simulation(scenario_from_data(doc, "doc.json"), seed=seed, observers=[events.append]).run()
    return events


def without_notes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events after the header (whose ``spec`` holds the notes) other than teacher notes,
    numbered again as if the notes never were."""
    kept = [dict(e) for e in events[1:] if not (e["kind"] == "note" and "node" not in e)]
    for seq, event in enumerate(kept, start=1):
        event["seq"] = seq
    return kept


# -- checked like the rest ------------------------------------------------------------


BAD_NOTES: list[tuple[object, str]] = [
    ("", "empty"),
    ("   ", "empty"),
    (7, "expected a string"),
    (None, "expected a string"),
    ("two\nlines", "U+000A"),
    ("\x1b[2J clears the screen", "U+001B"),
    ("x" * 501, "at most 500"),
]


@pytest.mark.parametrize(("note", "needle"), BAD_NOTES, ids=lambda x: repr(x)[:20])
def test_a_bad_note_is_refused_by_the_loader_and_the_schema(note: object, needle: str) -> None:
    doc = dict(DOC, timeline=[{"at": 0, "calm": True}, {"at": 5, "note": note}])
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(doc, "doc.json")
    (problem,) = err.value.problems
    assert problem.path == "timeline[1].note"
    assert needle in problem.message
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, scenario_json_schema())


def test_a_good_note_satisfies_loader_and_schema_in_json_and_toml() -> None:
    jsonschema.validate(DOC, scenario_json_schema())
    from_json = scenario_from_data(DOC, "doc.json")
    toml = (
        'name = "noted"\nseed = 1\nuntil = 1000\n'
        '[[proposals]]\nat = 0\ncaravan = "Aghilas"\ncampsite = "Oasis of Siwa"\n'
        f'[[timeline]]\nat = 48\nnote = "{MAJORITY}"\n'
        '[[timeline]]\nat = 62\nnote = "Siwa is chosen now, and nobody knows it yet."\n'
    )
    assert parse_scenario_text(toml, "doc.toml", "toml") == from_json
    notes = [(e.at, e.text) for e in from_json.timeline if e.kind == "note"]
    assert notes == [(48, MAJORITY), (62, "Siwa is chosen now, and nobody knows it yet.")]
    assert scenario_from_data(from_json.to_json(), "again.json") == from_json


def test_a_note_after_until_is_refused_like_any_event() -> None:
    doc = dict(DOC, timeline=[{"at": 1001, "note": "too late"}])
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(doc, "doc.json")
    assert err.value.problems[0].path == "timeline[0].at"


def test_a_bad_note_exits_2_naming_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(dict(DOC, timeline=[{"at": 5, "note": ""}])), encoding="utf-8")
    for command in (["check", str(path)], ["run", str(path)]):
        done = cli(*command)
        assert done.returncode == 2
        assert "timeline[0].note" in done.stderr + done.stdout
        assert "Traceback" not in done.stderr


# -- in the trace, at its moment, changing nothing else ----------------------------------


def test_a_note_becomes_a_note_event_at_its_tick_in_timeline_order() -> None:
    events = events_of(DOC)
    notes = [e for e in events if e["kind"] == "note"]
    assert [(e["t"], e["text"]) for e in notes] == [
        (48, MAJORITY),
        (62, "Siwa is chosen now, and nobody knows it yet."),
    ]
    assert all(set(e) == {"kind", "text", "seq", "t"} for e in notes)
    # Told before everything else of its tick, like every scripted event laid out at the start.
    first_at_48 = next(e for e in events if e.get("t") == 48)
    assert first_at_48["kind"] == "note"
    # Same-tick script items keep the timeline's order.
    doc = dict(DOC, timeline=[{"at": 30, "note": "first"}, {"at": 30, "note": "second"}])
    assert [e["text"] for e in events_of(doc) if e["kind"] == "note"] == ["first", "second"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_notes_change_nothing_but_themselves(seed: int) -> None:
    bare = dict(DOC, timeline=[])
    assert without_notes(events_of(DOC, seed)) == events_of(bare, seed)[1:]


def test_a_note_never_holds_a_run_open() -> None:
    bare = events_of(dict(DOC, timeline=[]))
    late = events_of(dict(DOC, timeline=[{"at": 900, "note": "after the day is over"}]))
    assert late[1:] == bare[1:]  # the run ends quiet where it did; the note is never reached
    assert bare[-1]["reason"] == "quiet" and bare[-1]["t"] < 900


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_builtin_note_is_told_and_changes_nothing_else(name: str) -> None:
    scenario = load_builtin(name)
    written = [(e.at, e.text) for e in scenario.timeline if e.kind == "note"]
    assert written, f"{name} has no teacher's note"
    assert all(len(text or "") <= 500 for _, text in written)
    doc = scenario.to_json()
    events = events_of(doc)
    told = [(e["t"], e["text"]) for e in events if e["kind"] == "note" and "node" not in e]
    assert told == written
    bare = dict(doc, timeline=[e for e in doc["timeline"] if "note" not in e])
    assert without_notes(events) == events_of(bare)[1:]


# -- told by run, replay and the REPL ---------------------------------------------------------


def test_run_and_replay_tell_a_note_in_the_story_voice(tmp_path: Path) -> None:
    path = tmp_path / "noted.json"
    path.write_text(json.dumps(DOC), encoding="utf-8")
    trace = tmp_path / "noted.jsonl"
    run = cli("run", str(path), "--trace", str(trace))
    assert run.returncode == 0, run.stderr
    line = f"t=   48  📜 Teacher's note: {MAJORITY}"
    assert line in run.stdout.splitlines()
    replay = cli("replay", str(trace))
    assert line in replay.stdout.splitlines()
    debug = cli("run", str(path), "--log-level", "debug").stdout
    assert any(
        MAJORITY in row and "teacher's note" in row.split("│")[-1] for row in debug.splitlines()
    )
    assert "Teacher's note" not in cli("run", str(path), "--log-level", "quiet").stdout


def test_run_and_replay_under_another_seed_say_whose_seed_a_note_was_written_for(
    tmp_path: Path,
) -> None:
    """The README's `make magic scenario=sandstorm-minority seed=3`: with seed 3 the note of
    t=75 ("the campsite is chosen") comes before the choice (t=113); it must say it was timed
    for the scenario's own seed, and the trace keeps the teacher's text as written."""
    trace = tmp_path / "s3.jsonl"
    run = cli("run", "sandstorm-minority", "--seed", "3", "--trace", str(trace))
    flag = "(written for seed 7, the scenario's own; this desert has seed 3)"
    notes = [row for row in run.stdout.splitlines() if "Teacher's note" in row]
    assert notes and all(flag in row for row in notes)
    assert [row for row in cli("replay", str(trace)).stdout.splitlines() if flag in row] == notes
    assert flag not in trace.read_text(encoding="utf-8")
    own = cli("run", "sandstorm-minority", "--seed", "7").stdout
    assert "Teacher's note" in own and "written for seed" not in own


def test_the_repl_tells_a_note_when_stepping_past_it() -> None:
    out = io.StringIO()
    s = Session("noted", scenario_from_data(DOC, "noted.json"), Screen(out))
    s.execute("/run 47")
    assert "Teacher's note" not in out.getvalue()
    s.execute("/step")
    assert f"📜 Teacher's note: {MAJORITY}" in out.getvalue()


def test_save_keeps_the_notes_and_the_saved_session_replays_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = Session("calm-day", load_builtin("calm-day"), Screen(io.StringIO()))
    for line in ("/step 5", "/crash Itri", "/run 70"):
        s.execute(line)
    saved = tmp_path / "saved.json"
    session_trace = tmp_path / "session.jsonl"
    rerun_trace = tmp_path / "rerun.jsonl"
    s.execute(f"/save {saved}")
    s.execute(f"/export trace {session_trace}")
    assert s.rejected == 0
    again = load_scenario_file(saved)
    notes = [(e.at, e.text) for e in again.timeline if e.kind == "note"]
    assert notes == [(e.at, e.text) for e in load_builtin("calm-day").timeline if e.kind == "note"]
    assert any(e.kind == "crash" for e in again.timeline)
    main(["run", str(saved), "--trace", str(rerun_trace), "--log-level", "quiet"])
    capsys.readouterr()
    session_lines = session_trace.read_text(encoding="utf-8").splitlines()
    rerun_lines = rerun_trace.read_text(encoding="utf-8").splitlines()
    assert any('"kind": "note"' in line for line in session_lines)
    assert rerun_lines[1 : len(session_lines)] == session_lines[1:]
