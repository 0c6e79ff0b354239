"""The README's REPL section, the lesson and the command line agree with what the REPL does."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desert_paxos.repl import Screen, Session, help_lines, history_path, run_repl
from desert_paxos.scenario import resolve_scenario

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
LESSON = ROOT / "lessons" / "first-sandstorm.txt"


def repl_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## The interactive desert", 1)[1].split("\n## ", 1)[0]


def cli(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "desert_paxos", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        check=False,
        cwd=cwd,
    )


def test_readme_lists_the_commands_exactly_as_help_prints_them() -> None:
    blocks = repl_section().split("```text\n")
    help_block = blocks[-1].split("```", 1)[0]
    assert help_block.splitlines() == "\n".join(help_lines()).splitlines()


def test_help_fits_eighty_columns() -> None:
    assert max(len(line) for block in help_lines() for line in block.splitlines()) <= 80


def test_readme_transcript_is_real_output(tmp_path: Path) -> None:
    transcript = repl_section().split("```text\n")[1].split("```", 1)[0].splitlines()
    commands = [line[4:] for line in transcript if line.startswith(">>> ")]
    assert len(commands) >= 6
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{c}\n" for c in commands))
    cwd = Path.cwd()
    os.chdir(tmp_path)  # the transcript saves a file
    try:
        run_repl("calm-day", resolve_scenario("calm-day"), stdin=stdin, stdout=out, echo=True)
    finally:
        os.chdir(cwd)
    real = out.getvalue().splitlines()
    assert [line for line in transcript if line not in real] == []


def test_the_lesson_runs_without_a_single_rejected_line_and_its_save_replays(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    s = Session("calm-day", resolve_scenario("calm-day"), Screen(out))
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        for line in LESSON.read_text(encoding="utf-8").splitlines():
            s.execute(line)
        s.execute("/export trace lesson.jsonl")
    finally:
        os.chdir(cwd)
    assert s.rejected == 0, out.getvalue()
    text = out.getvalue()
    assert "The old future was discarded" in text and "⛺" in text
    saved = tmp_path / "first-sandstorm-session.json"
    rerun = cli("run", str(saved), "--trace", str(tmp_path / "rerun.jsonl"), "--log-level", "quiet")
    assert rerun.returncode == 0, rerun.stderr
    assert (tmp_path / "rerun.jsonl").read_bytes() == (tmp_path / "lesson.jsonl").read_bytes()


def test_repl_reads_a_piped_lesson_from_the_command_line(tmp_path: Path) -> None:
    done = cli("repl", "--echo", stdin=LESSON.read_text(encoding="utf-8"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ">>> /sandstorm Aghilas,Taziri | Amastan,Itri,Tassadit" in done.stdout
    assert "Traceback" not in done.stderr
    assert (tmp_path / "first-sandstorm-session.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("repl", "no-such-desert"), "no built-in scenario or file by this name"),
        (("repl", "--seed", "minus"), "expected a whole number"),
    ],
)
def test_repl_bad_arguments_exit_two_without_a_traceback(
    args: tuple[str, ...], message: str
) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_magic_and_no_arguments_tell_the_calm_day_when_stdin_is_not_a_terminal() -> None:
    for args in (("magic",), ()):
        done = cli(*args)
        assert done.returncode == 0
        assert "Oasis of Siwa" in done.stdout and ">>>" not in done.stdout
        assert "desert-paxos repl" in done.stdout


def test_history_lives_in_the_user_data_directory_never_in_the_repo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DESERT_PAXOS_HISTORY", raising=False)
    path = history_path().resolve()
    assert ROOT.resolve() not in path.parents
    assert "desert-paxos" in str(path)
    monkeypatch.setenv("DESERT_PAXOS_HISTORY", "/elsewhere/history")
    assert history_path() == Path("/elsewhere/history")


def test_heavy_libraries_wait_until_the_repl_runs() -> None:
    code = (
        "import sys, desert_paxos, desert_paxos.cli, desert_paxos.sim, desert_paxos.repl; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'prompt_toolkit', 'platformdirs'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
