"""Every bad input gets a clear error naming the file, the path inside it and the reason: exit 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD: dict[str, object] = {
    "name": "good",
    "caravans": ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"],
    "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Siwa"}],
}


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "desert_paxos", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        check=False,
    )


def _write(tmp_path: Path, name: str, content: str | dict[str, object]) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def _with(**changes: object) -> dict[str, object]:
    doc = json.loads(json.dumps(GOOD))
    doc.update(changes)
    return doc


CASES: list[tuple[str, str | dict[str, object], list[str]]] = [
    ("malformed.json", '{"name": "x", "proposals": [', ["not valid JSON", "line 1"]),
    ("malformed.toml", 'name = "x"\nproposals = [\n', ["not valid TOML"]),
    ("unknown-key.json", _with(sandstorms=[]), ["sandstorms", "unknown key"]),
    (
        "unknown-nested-key.json",
        _with(network={"delay": {"min": 1, "max": 2}, "jitter": 3}),
        ["network.jitter", "unknown key"],
    ),
    (
        "unknown-caravan.json",
        _with(proposals=[{"at": 0, "caravan": "Bob", "campsite": "Siwa"}]),
        ["proposals[0].caravan", "unknown caravan 'Bob'"],
    ),
    (
        "duplicate-caravan.json",
        _with(caravans=["Aghilas", "Taziri", "Aghilas"]),
        ["caravans[2]", "duplicate caravan 'Aghilas'"],
    ),
    (
        "negative-time.json",
        _with(timeline=[{"at": -5, "crash": "Itri"}]),
        ["timeline[0].at", "negative"],
    ),
    ("loss-too-high.json", _with(network={"loss": 1.5}), ["network.loss", "outside [0, 1]"]),
    (
        "duplicate-negative.json",
        _with(network={"duplicate": -0.1}),
        ["network.duplicate", "outside [0, 1]"],
    ),
    ("quorum-too-large.json", _with(quorum=7), ["quorum", "larger than the 5 caravans"]),
    (
        "storm-twice.json",
        _with(timeline=[{"at": 3, "sandstorm": [["Aghilas", "Itri"], ["Itri", "Taziri"]]}]),
        ["timeline[0].sandstorm[1][0]", "'Itri' is named twice"],
    ),
    ("not-an-object.json", "[1, 2, 3]", ["expected an object"]),
    ("missing-proposals.json", {"name": "x"}, ["proposals", "missing"]),
]


@pytest.mark.parametrize(("filename", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_file(
    tmp_path: Path, filename: str, content: str | dict[str, object], expected: list[str]
) -> None:
    path = _write(tmp_path, filename, content)
    for command in ("run", "check"):
        done = cli(command, str(path))
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert str(path) in done.stderr
        for fragment in expected:
            assert fragment in done.stderr


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    doc = _with(
        quorum=9,
        network={"loss": 2},
        timeline=[{"at": -1, "crash": "Nobody"}],
        extra=True,
    )
    done = cli("check", str(_write(tmp_path, "many.json", doc)))
    assert done.returncode == 2
    for fragment in ("quorum", "network.loss", "timeline[0].at", "timeline[0].crash", "extra"):
        assert fragment in done.stderr
    assert "5 problems" in done.stderr


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    done = cli("run", str(missing))
    assert done.returncode == 2
    assert f"{missing}" in done.stderr and "no such file" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreadable_file(tmp_path: Path) -> None:
    locked = _write(tmp_path, "locked.json", GOOD)
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            # root reads anything: a directory is just as unreadable as a scenario
            locked = tmp_path
        done = cli("run", str(locked))
    finally:
        (tmp_path / "locked.json").chmod(0o644)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "cannot read" in done.stderr or "directory" in done.stderr


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(b'{"name": "caf\xe9"}')
    done = cli("check", str(path))
    assert done.returncode == 2 and "UTF-8" in done.stderr


def test_unknown_builtin_name_suggests() -> None:
    done = cli("run", "calm-dya")
    assert done.returncode == 2
    assert "desert-paxos scenarios" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--seed", "-3"],
        ["run", "--seed", "abc"],
        ["run", "--until", "0"],
        ["run", "--log-level", "loud"],
        ["frobnicate"],
    ],
)
def test_bad_options_exit_2(args: list[str]) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error" in done.stderr


def test_trace_to_an_unwritable_place(tmp_path: Path) -> None:
    done = cli(
        "run", "--trace", str(tmp_path / "no" / "such" / "dir" / "t.jsonl"), "--log-level", "quiet"
    )
    assert done.returncode == 2
    assert "cannot write the trace" in done.stderr


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "empty trace"),
        ("not json\n", "not valid JSON"),
        ('{"kind": "send"}\n', "header"),
        (
            '{"kind": "header", "format": "desert-paxos-trace/1"}\n{"kind": "calm", "seq": 2, "t": 5}\n'
            '{"kind": "calm", "seq": 1, "t": 6}\n',
            "does not increase",
        ),
    ],
)
def test_replay_rejects_broken_traces(tmp_path: Path, content: str, fragment: str) -> None:
    path = _write(tmp_path, "bad.jsonl", content)
    done = cli("replay", str(path))
    assert done.returncode == 2
    assert fragment in done.stderr and str(path) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "--seed", str(2**53)], "--seed: at most 9,007,199,254,740,991"),
        (["repl", "--seed", str(10**30)], "--seed: at most 9,007,199,254,740,991"),
        (["magic", "--seed", str(2**64)], "--seed: at most 9,007,199,254,740,991"),
        (["swarm", "--show", str(2**53)], "--show: at most 9,007,199,254,740,991"),
        (["swarm", "--first", str(2**53 - 1), "--seeds", "2"], "--first"),
        (["swarm", "--seeds", "-5"], "--seeds: must be 1 or more, got -5"),
        (["run", "--until", "-1"], "--until: must be 1 or more, got -1"),
    ],
)
def test_seeds_and_counts_out_of_range_name_the_range(args: list[str], fragment: str) -> None:
    """A seed is what a scenario file may hold, so what `run --seed`, `/save` and `swarm --save`
    write can be run and its trace replayed; a count's range is said as it is."""
    done = cli(*args)
    assert done.returncode == 2, done.stdout[-300:]
    assert fragment in done.stderr and "Traceback" not in done.stderr
