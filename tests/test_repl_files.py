"""The REPL writes files atomically too: it says when /save or /export replaced a file, and it
never writes over the scenario file it loaded."""

from __future__ import annotations

import io
import json
from pathlib import Path

from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import resolve_scenario

from .test_cli_bad_input import GOOD


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _session(spec: str) -> tuple[Session, io.StringIO]:
    out = io.StringIO()
    return Session(spec, resolve_scenario(spec), Screen(out)), out


def _said(s: Session, out: io.StringIO, line: str) -> str:
    """What the session answered to ``line``, as one line (the screen wraps long answers)."""
    before = len(out.getvalue())
    s.execute(line)
    return " ".join(out.getvalue()[before:].split())


def test_the_repl_says_when_it_replaced_a_file(tmp_path: Path) -> None:
    s, out = _session("calm-day")
    target, trace = tmp_path / "storm.json", tmp_path / "storm.jsonl"
    for line, path in ((f"/save {target}", target), (f"/export trace {trace}", trace)):
        assert "Replaced" not in _said(s, out, line)
        assert _said(s, out, line).startswith(f"Replaced {path} (it existed)")
    assert s.rejected == 0
    assert _names(tmp_path) == ["storm.json", "storm.jsonl"]


def test_the_repl_never_overwrites_the_scenario_it_loaded(tmp_path: Path) -> None:
    scenario = tmp_path / "lesson.json"
    scenario.write_text(json.dumps(GOOD), encoding="utf-8")
    before = scenario.read_bytes()
    s, out = _session(str(scenario))
    s.execute("/step 3")
    for line in (f"/save {scenario}", f"/export trace {tmp_path / '.' / 'lesson.json'}"):
        said = _said(s, out, line)
        assert said.startswith("refusing to write") and f"loaded scenario {scenario}" in said
    assert s.rejected == 2
    assert scenario.read_bytes() == before
