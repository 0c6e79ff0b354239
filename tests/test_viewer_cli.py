"""``desert-paxos export``: writes the page and the GIF from a trace file; bad input exits 2 in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from .test_cli_bad_input import cli


@pytest.fixture(scope="module")
def storm_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trace") / "storm.jsonl"
    done = cli("run", "sandstorm-minority", "--trace", str(path), "--log-level", "quiet")
    assert done.returncode == 0, done.stderr
    return path


def test_export_writes_both_pictures(storm_trace: Path, tmp_path: Path) -> None:
    html, gif = tmp_path / "storm.html", tmp_path / "storm.gif"
    done = cli(
        "export", str(storm_trace), "--html", str(html), "--gif", str(gif), "--max-frames", "25"
    )
    assert done.returncode == 0, done.stderr
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with Image.open(gif) as image:
        assert image.n_frames == 25
    assert f"wrote {gif}: 25 frames" in done.stdout


def test_export_needs_something_to_make(storm_trace: Path) -> None:
    done = cli("export", str(storm_trace))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "desert-paxos export: say what to make: --html OUT.html, --gif OUT.gif and/or "
        "--history OUT.jsonl"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ('{"kind": "send", "seq": 1, "t": 0}\n', "the first line must be the header"),
        ("{\n", "not valid JSON"),
    ],
)
def test_bad_traces_are_one_line_errors(tmp_path: Path, content: str | None, expected: str) -> None:
    trace = tmp_path / "bad.jsonl"
    if content is not None:
        trace.write_text(content, encoding="utf-8")
    done = cli("export", str(trace), "--html", str(tmp_path / "out.html"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert str(trace) in done.stderr and expected in done.stderr
    assert not (tmp_path / "out.html").exists()


def test_unwritable_outputs_are_named(storm_trace: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    for flag, name in (("--html", "x.html"), ("--gif", "x.gif")):
        done = cli("export", str(storm_trace), flag, str(missing / name))
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert str(missing / name) in done.stderr
        assert f"the folder {missing} does not exist" in done.stderr


def test_max_frames_without_a_gif_is_a_mistake(storm_trace: Path, tmp_path: Path) -> None:
    done = cli("export", str(storm_trace), "--html", str(tmp_path / "a.html"), "--max-frames", "9")
    assert done.returncode == 2
    assert "--max-frames only applies to --gif" in done.stderr


def test_pillow_is_imported_only_when_a_gif_is_drawn() -> None:
    probe = (
        "import sys, desert_paxos.cli, desert_paxos.viewer; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PIL', 'playwright')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
