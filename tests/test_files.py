"""Files: every writer writes atomically (a file beside the target, renamed into place), never
over one of the command's inputs, and a write that fails is one line, exit 2, with nothing
half-written left under the target's name."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desert_paxos._files import OutputError, check_output, output_text, write_output
from desert_paxos.cli import main

from .test_cli_bad_input import GOOD, cli

OLD = "the old file, which must survive\n"


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _one_line_exit_2(done: subprocess.CompletedProcess[str], *names: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for name in names:
        assert name in done.stderr


# -- the helper ---------------------------------------------------------------------------


def test_a_writer_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text(OLD, encoding="utf-8")
    with pytest.raises(RuntimeError, match="killed"), output_text(target, what="x") as stream:
        for n in range(10_000):  # more than one buffer's worth reaches the temporary file
            stream.write(f"line {n}\n")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == OLD
    assert _names(tmp_path) == ["out.jsonl"]


def test_a_writer_that_fails_before_the_first_file_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), output_text(tmp_path / "new.jsonl", what="x") as s:
        s.write("half of it")
        raise KeyboardInterrupt
    assert _names(tmp_path) == []


def test_a_finished_write_replaces_the_file_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text(OLD, encoding="utf-8")
    target.chmod(0o640)
    assert write_output(target, "new\n", what="x") is True  # it replaced a file
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert write_output(tmp_path / "fresh.json", b"\x00\x01", what="x") is False
    assert (tmp_path / "fresh.json").read_bytes() == b"\x00\x01"
    assert _names(tmp_path) == ["fresh.json", "out.json"]


def test_writing_through_a_symlink_updates_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text(OLD, encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_output(link, "new\n", what="x")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new\n"


@pytest.mark.parametrize(
    "spelling", ["same", "dotted", "symlink", "hardlink"], ids=lambda s: f"via-{s}"
)
def test_an_input_is_never_an_output_however_it_is_spelled(tmp_path: Path, spelling: str) -> None:
    source = tmp_path / "mine.json"
    source.write_text(OLD, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    match spelling:
        case "same":
            target = source
        case "dotted":
            target = tmp_path / "sub" / ".." / "mine.json"
        case "symlink":
            target = tmp_path / "sub" / "link.json"
            target.symlink_to(source)
        case _:
            target = tmp_path / "sub" / "hard.json"
            os.link(source, target)
    with pytest.raises(OutputError) as caught:
        write_output(target, "new\n", what="the trace", inputs=[("scenario", source)])
    assert str(target) in str(caught.value) and str(source) in str(caught.value)
    assert source.read_text(encoding="utf-8") == OLD


def test_a_device_is_written_through_never_renamed_over(tmp_path: Path) -> None:
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null here")
    target = check_output("/dev/null", what="x")
    assert target.direct
    write_output("/dev/null", "nothing\n", what="x")
    assert not Path("/dev/null").is_file()


def test_bad_places_are_named(tmp_path: Path) -> None:
    cases = [
        (tmp_path / "no-such-folder" / "x.json", "the folder"),
        (tmp_path, "it is a folder"),
        ("", "the file name is empty"),
    ]
    for path, reason in cases:
        with pytest.raises(OutputError, match=reason):
            write_output(path, "x", what="the trace")


# -- the commands -------------------------------------------------------------------------


def test_run_refuses_to_write_its_trace_over_its_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "mine.json"
    scenario.write_text(json.dumps(GOOD), encoding="utf-8")
    before = scenario.read_bytes()
    for target in (scenario, tmp_path / "." / "mine.json"):
        done = cli("run", str(scenario), "--trace", str(target), "--log-level", "quiet")
        _one_line_exit_2(done, str(target), str(scenario), "same file")
        assert scenario.read_bytes() == before
    assert _names(tmp_path) == ["mine.json"]


def test_export_refuses_to_write_over_its_trace_or_one_output_over_the_other(
    tmp_path: Path,
) -> None:
    trace = tmp_path / "t.jsonl"
    assert cli("run", "calm-day", "--trace", str(trace), "--log-level", "quiet").returncode == 0
    before = trace.read_bytes()
    done = cli("export", str(trace), "--html", str(trace))
    _one_line_exit_2(done, "same file", "trace")
    assert trace.read_bytes() == before
    both = tmp_path / "both"
    done = cli("export", str(trace), "--html", str(both), "--gif", str(both))
    _one_line_exit_2(done, "same file", "--html")
    assert _names(tmp_path) == ["t.jsonl"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_disk_is_exit_2_with_the_file_named() -> None:
    done = cli("run", "calm-day", "--trace", "/dev/full", "--log-level", "quiet")
    _one_line_exit_2(done, "/dev/full", "No space left on device")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize(
    "args", [["run", "calm-day"], ["replay", "TRACE"], ["scenarios"], ["schema", "--trace"]]
)
def test_a_full_disk_behind_the_standard_output_is_exit_2_too(
    tmp_path: Path, args: list[str]
) -> None:
    """`desert-paxos run > story.txt` on a full disk: one line, exit 2, no traceback (exit 1
    would say an invariant broke)."""
    trace = tmp_path / "t.jsonl"
    assert cli("run", "calm-day", "--trace", str(trace), "--log-level", "quiet").returncode == 0
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "desert_paxos",
                *[str(trace) if a == "TRACE" else a for a in args],
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, NO_COLOR="1"),
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "standard output" in done.stderr and "No space left on device" in done.stderr


def _limited(limit: int) -> None:  # in the child: files may not grow past `limit` bytes
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE as a full disk: Linux")
def test_a_trace_that_cannot_be_finished_leaves_the_old_one_whole(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    trace.write_text(OLD, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "run", "calm-day", "--trace", str(trace)],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        preexec_fn=lambda: _limited(5_000),  # the calm day's trace is ~40 kB
        check=False,
    )
    _one_line_exit_2(done, str(trace), "File too large", "untouched")
    assert trace.read_text(encoding="utf-8") == OLD
    assert _names(tmp_path) == ["run.jsonl"]


def test_a_run_interrupted_midway_leaves_the_old_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desert_paxos.sim import Simulation

    trace = tmp_path / "run.jsonl"
    trace.write_text(OLD, encoding="utf-8")
    real_run = Simulation.run

    def run_then_ctrl_c(self: Simulation) -> object:
        real_run(self)  # every line is written to the temporary file, then the user interrupts
        raise KeyboardInterrupt

    monkeypatch.setattr(Simulation, "run", run_then_ctrl_c)
    assert main(["run", "calm-day", "--trace", str(trace), "--log-level", "quiet"]) == 130
    capsys.readouterr()
    assert trace.read_text(encoding="utf-8") == OLD
    assert _names(tmp_path) == ["run.jsonl"]


def test_swarm_save_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "desert.json"
    done = cli("swarm", "--show", "3", "--save", str(target), "--log-level", "quiet")
    _one_line_exit_2(done, str(target), "does not exist")
