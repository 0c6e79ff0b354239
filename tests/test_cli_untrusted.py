"""Hostile input at the command line: every class is exit 2 with one message naming the file,
the line or field and what would be right, never a traceback; the terminal stays ours."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.cli import main
from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import resolve_scenario

GOOD: dict[str, Any] = {
    "name": "good",
    "caravans": ["Aghilas", "Taziri", "Itri"],
    "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Siwa"}],
    "until": 300,
}
HEADER = '{"kind": "header", "format": "desert-paxos-trace/1", "caravans": ["A", "B"]}'
SEND = (
    '{"kind": "send", "seq": 1, "t": 0, "id": 1, "src": "A", "dst": "B", "arrive": 3, '
    '"msg": {"type": "prepare", "ballot": [1, "A"]}}'
)
HUGE = "9" * 5000
NESTED = "[" * 50_000 + "]" * 50_000


def _scenario(text: str | None = None, **changes: Any) -> str:
    return text if text is not None else json.dumps(dict(GOOD, **changes))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# (file name, content, fragments the message must hold)
BAD_SCENARIOS: list[tuple[str, str, list[str]]] = [
    ("nested.json", '{"timeline": ' + NESTED + "}", ["nested too deeply"]),
    ("nested.toml", "x = " + "[" * 5000 + "]" * 5000, ["nested too deeply"]),
    (
        "digits.json",
        _scenario(None).replace('"until": 300', '"until": ' + HUGE),
        ["until", "5,000"],
    ),
    ("digits.toml", "until = " + HUGE, ["line 1", "4,300 digits"]),
    (
        "infinity.json",
        _scenario(None, network={"delay": {"mean": 1}}).replace('"mean": 1', '"mean": Infinity'),
        ["network.delay.mean", "Infinity"],
    ),
    ("nan.json", _scenario(None, seed=1).replace('"seed": 1', '"seed": NaN'), ["seed", "NaN"]),
    ("inf.toml", 'name = "x"\n[network]\nloss = inf\n', ["network.loss", "inf"]),
    (
        "surrogate.json",
        _scenario(None, name="x").replace('"name": "x"', '"name": "\\ud800"'),
        ["name", "surrogate"],
    ),
    ("escape.json", _scenario(None, name="\u001b[2J"), ["name", "control character U+001B"]),
    (
        "forged.json",
        _scenario(None, proposals=[{"at": 0, "caravan": "Itri", "campsite": "S\nt=5 X"}]),
        ["proposals[0].campsite", "U+000A"],
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "fragments"), BAD_SCENARIOS, ids=[c[0] for c in BAD_SCENARIOS]
)
def test_check_and_run_refuse_the_same_bad_scenarios(
    name: str,
    content: str,
    fragments: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    trace = tmp_path / "out.jsonl"
    for args in (["check", str(path)], ["run", str(path), "--trace", str(trace)]):
        code, _, err = _run(capsys, *args)
        assert code == 2, err
        assert str(path) in err
        for fragment in fragments:
            assert fragment in err
        assert "\x1b" not in err
    assert not trace.exists()  # nothing half-written: the run never started


def test_repl_load_refuses_a_bomb_and_keeps_the_session(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.json"
    bomb.write_text('{"proposals": ' + NESTED + "}", encoding="utf-8")
    out = io.StringIO()
    session = Session("calm-day", resolve_scenario("calm-day"), Screen(out))
    session.execute(f"/load {bomb}")
    shown = out.getvalue()
    assert "nested too deeply" in shown and "internal error" not in shown
    assert session.scenario.name == "calm-day"


def test_a_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "bom.json"
    scenario.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    toml = tmp_path / "bom.toml"
    toml.write_bytes(
        b'\xef\xbb\xbfname = "t"\n[[proposals]]\nat = 0\ncaravan = "Itri"\ncampsite = "S"\n'
    )
    assert _run(capsys, "check", str(scenario), str(toml))[0] == 0
    trace = tmp_path / "t.jsonl"
    assert _run(capsys, "run", str(scenario), "--trace", str(trace), "--log-level", "quiet")[0] == 0
    with_bom = tmp_path / "bom.jsonl"
    with_bom.write_bytes(b"\xef\xbb\xbf" + trace.read_bytes())
    code, out, err = _run(capsys, "replay", str(with_bom))
    assert code == 0, err
    assert "Siwa" in out


BAD_TRACES: list[tuple[str, list[str]]] = [
    (SEND.replace('"src": "A", ', ""), ["send event", "src: missing"]),
    (
        SEND.replace('{"type": "prepare", "ballot": [1, "A"]}', '"hello"'),
        ["msg: expected a message"],
    ),
    ('{"kind": "sandstorm", "seq": 1, "t": 0, "groups": "abc"}', ["groups: expected a list"]),
    ('{"kind": "calm", "seq": 1, "t": ' + HUGE + "}", ["t: a whole number of 5,000 digits"]),
    ('{"kind": "calm", "seq": 1, "t": 0, "x": ' + NESTED + "}", ["nested too deeply"]),
    (
        '{"kind": "network", "seq": 1, "t": 0, "delay": {"mean": NaN}, "loss": 0, "duplicate": 0}',
        ["delay.mean: NaN"],
    ),
    (
        '{"kind": "propose", "seq": 1, "t": 0, "node": "A", "value": "\\udfff"}',
        ["value", "surrogate"],
    ),
]


@pytest.mark.parametrize(
    ("line", "fragments"), BAD_TRACES, ids=[str(i) for i in range(len(BAD_TRACES))]
)
def test_replay_and_export_name_the_line_and_field(
    line: str, fragments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{HEADER}\n{line}\n", encoding="utf-8")
    page = tmp_path / "page.html"
    for args in (["replay", str(path)], ["export", str(path), "--html", str(page)]):
        code, _, err = _run(capsys, *args)
        assert code == 2, err
        assert f"{path}:2: " in err
        for fragment in fragments:
            assert fragment in err
    assert not page.exists()


def test_a_header_with_bad_caravans_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"kind": "header", "format": "desert-paxos-trace/1", "caravans": [1, null, {}]}\n'
    )
    code, _, err = _run(capsys, "replay", str(path))
    assert code == 2 and f"{path}:1: caravans[0]: expected a string" in err


def test_replay_escapes_what_would_drive_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "\u001b[2J\u001b]0;pwned\u0007"
    lines = [
        json.dumps({"kind": "header", "format": "desert-paxos-trace/1", "scenario": hostile}),
        json.dumps({"kind": "propose", "seq": 1, "t": 0, "node": hostile, "value": "S\nt=9 X"}),
        json.dumps(
            {"kind": "decide", "seq": 2, "t": 1, "node": "B", "value": hostile, "ballot": [1, "B"]}
        ),
        json.dumps({"kind": "note", "seq": 3, "t": 2, "text": "\u009b31m red"}),
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for level in ("info", "trace"):
        code, out, err = _run(capsys, "replay", str(path), "--log-level", level)
        assert code == 0, err
        assert not any(ch in out for ch in "\x1b\x07\x9b")
        assert "\\x1b[2J\\x1b]0;pwned\\x07" in out
        assert "S\\nt=9 X" in out  # the forged line stays inside its own line


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desert_paxos", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=60,  # a command that blocks on a FIFO fails here instead of hanging
        check=False,
    )


def test_devices_and_fifos_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    cases = [
        (["run", "/dev/zero"], "character device"),
        (["replay", "/dev/zero"], "character device"),
        (["run", str(fifo)], "FIFO"),
        (["export", str(fifo), "--html", str(tmp_path / "x.html")], "FIFO"),
    ]
    for args, fragment in cases:
        done = _cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert fragment in done.stderr and "regular file" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout


def test_oversize_files_are_refused_with_the_way_to_raise_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = tmp_path / "big.json"
    scenario.write_text(json.dumps(dict(GOOD, description="d" * 1000)) + " " * 1_500_000)
    trace = tmp_path / "big.jsonl"
    trace.write_text(HEADER + "\n" + "\n" * 1_500_000)
    monkeypatch.setenv("DESERT_PAXOS_MAX_SCENARIO_MB", "1")
    monkeypatch.setenv("DESERT_PAXOS_MAX_TRACE_MB", "1")
    code, _, err = _run(capsys, "check", str(scenario))
    assert code == 2 and "1.5 MB is more than the 1 MB" in err
    assert "DESERT_PAXOS_MAX_SCENARIO_MB=2" in err
    code, _, err = _run(capsys, "replay", str(trace))
    assert code == 2 and "DESERT_PAXOS_MAX_TRACE_MB=2" in err
    monkeypatch.setenv("DESERT_PAXOS_MAX_SCENARIO_MB", "2")
    assert _run(capsys, "check", str(scenario))[0] == 0
