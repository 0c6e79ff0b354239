"""The course: every lesson's scripted learner finishes it, and every challenge refuses a wrong attempt."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from desert_paxos.course import (
    Condition,
    Facts,
    Progress,
    course_files,
    find_lesson,
    holds,
    load_course,
    load_lesson_file,
    play_lesson,
)
from desert_paxos.course._runner import LessonRunner
from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
LESSONS = course_files()
IDS = [p.stem for p in LESSONS]


def play(
    lesson_lines: list[str], lesson_spec: str, progress: Progress | None = None
) -> tuple[bool, str]:
    out = io.StringIO()
    lesson = find_lesson(lesson_spec)
    finished = play_lesson(lesson, stdout=out, lines=lesson_lines, progress=progress)
    return finished, out.getvalue()


def test_the_course_has_its_lessons_in_order() -> None:
    lessons = load_course()
    assert [lesson.number for lesson in lessons] == list(range(1, len(lessons) + 1))
    assert len(lessons) >= 10
    for lesson in lessons:
        kinds = {step.kind for step in lesson.steps}
        assert {"read", "challenge"} <= kinds, lesson.source
        assert 5 <= lesson.minutes <= 15, lesson.source


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_scripted_walkthrough_finishes_the_lesson(path: Path) -> None:
    lesson = load_lesson_file(path)
    finished, text = play(lesson.walkthrough(), str(path))
    assert finished, text[-3000:]
    assert text.count("🏆 Challenge met!") == len(lesson.challenges)
    assert "internal error" not in text
    assert "not a REPL command" not in text


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_every_challenge_refuses_its_wrong_attempt(path: Path) -> None:
    lesson = load_lesson_file(path)
    for index in lesson.challenges:
        before = [line for step in lesson.steps[:index] for line in step.walkthrough()]
        wrong = list(lesson.steps[index].wrong)
        assert wrong, f"{path.name}: step {index + 1} has no wrong attempt"
        out = io.StringIO()
        session = Session(lesson.scenario_spec, lesson.scenario, Screen(out))
        runner = LessonRunner(lesson, session)
        runner.welcome()
        for line in before:
            runner.execute(line)
        assert runner.index == index, out.getvalue()[-2000:]
        for line in wrong:
            runner.execute(line)
        assert runner.index == index, f"{path.name}: the wrong attempt met step {index + 1}"


def test_check_validates_the_course_files() -> None:
    files = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "lessons").glob("*.toml"))]
    assert len(files) == len(LESSONS)
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "check", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok — lesson") == len(files)


BROKEN = """\
[lesson]
number = 0
title = "Broken"
minutes = 5
rule = "none"
scenario = "calm-day"

[[step]]
do = "/fly away"

[[step]]
challenge = "meet nothing"
check = [{ kind = "knows", caravan = "Bob" }, { kind = "levitate" }]
solution = ["/run"]
"""


def test_a_broken_lesson_names_its_path_and_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_lesson_file(path)
    text = caught.value.render()
    assert "lesson.number" in text
    assert "step[0].do" in text and "not a REPL command" in text
    assert "step[1].check[0].caravan: unknown caravan 'Bob'" in text
    assert "step[1].check[1].kind" in text
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "check", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert str(path) in done.stderr and "Traceback" not in done.stderr
    learn = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "learn", str(path)], capture_output=True, text=True
    )
    assert learn.returncode == 2 and "Traceback" not in learn.stderr


def test_learn_rejects_unknown_lessons() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "learn", "99"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "no lesson 99" in done.stderr


def test_progress_survives_a_restart_and_resumes_the_desert(tmp_path: Path) -> None:
    store = tmp_path / "progress.json"
    lesson = find_lesson("1")
    lines = lesson.walkthrough()
    half = len(lines) // 2
    first = play_lesson(lesson, stdout=io.StringIO(), lines=lines[:half], progress=Progress(store))
    assert not first
    saved = json.loads(store.read_text(encoding="utf-8"))["lessons"][lesson.key]
    assert saved["lines"] == lines[:half] and not saved["done"]
    # A new process would read the same file: the rest of the script finishes the lesson.
    out = io.StringIO()
    second = play_lesson(lesson, stdout=out, lines=lines[half:], progress=Progress(store))
    assert second, out.getvalue()[-2000:]
    assert "Welcome back" in out.getvalue()
    assert json.loads(store.read_text(encoding="utf-8"))["lessons"][lesson.key]["done"] is True


def test_an_unreadable_progress_file_is_set_aside_not_lost(tmp_path: Path) -> None:
    store = tmp_path / "progress.json"
    store.write_text("{not json", encoding="utf-8")
    progress = Progress(store)
    assert "could not be read" in progress.warning
    assert (tmp_path / "progress.json.broken").read_text(encoding="utf-8") == "{not json"


def test_lesson_commands_in_the_repl(tmp_path: Path) -> None:
    lesson = find_lesson("1")
    out = io.StringIO()
    session = Session(lesson.scenario_spec, lesson.scenario, Screen(out))
    runner = LessonRunner(lesson, session)
    runner.welcome()
    start = runner.index
    runner.execute("/hint")
    assert "Hint:" in out.getvalue()
    runner.execute("/lesson")
    assert f"step {start + 1} of {len(lesson.steps)}" in out.getvalue()
    runner.execute("/skip")
    assert runner.index > start and start in runner.skipped


def test_a_predict_step_asks_again_for_an_answer_it_cannot_read() -> None:
    lesson = find_lesson("1")
    out = io.StringIO()
    runner = LessonRunner(lesson, Session(lesson.scenario_spec, lesson.scenario, Screen(out)))
    runner.welcome()
    while lesson.steps[runner.index].kind != "predict":
        for line in lesson.steps[runner.index].walkthrough():
            runner.execute(line)
    index = runner.index
    runner.execute("maybe")
    assert runner.index == index and "Answer with a number" in out.getvalue()
    runner.execute("99")
    assert runner.index == index


def facts(*events: dict[str, object], clock: int = 0) -> Facts:
    header = {"kind": "header", "caravans": ["A", "B", "C"]}
    return Facts([header, *events], clock)


def test_checks_read_the_trace() -> None:
    ask = {"kind": "send", "src": "C", "dst": "A", "msg": {"type": "inquire"}}
    answer = {"kind": "deliver", "src": "A", "dst": "C", "msg": {"type": "decided"}}
    decide = {"kind": "decide", "node": "C", "value": "X", "t": 50}
    assert holds(Condition(kind="learned_by_asking", caravan="C"), facts(ask, answer, decide))
    assert not holds(Condition(kind="learned_by_asking", caravan="C"), facts(answer, decide))
    early = Condition(kind="nothing_decided_before", t=40)
    assert holds(early, facts(decide, clock=40))
    assert not holds(early, facts(decide, clock=30))  # the clock has not got there yet
    assert not holds(Condition(kind="nothing_decided_before", t=60), facts(decide, clock=60))
    crash = {"kind": "crash", "node": "B", "t": 1}
    assert holds(Condition(kind="crashes_at_most", n=1), facts(crash))
    assert not holds(Condition(kind="crashes_at_most", n=0), facts(crash))
    everyone = Condition(kind="all_alive_know", value="X")
    others = [{"kind": "decide", "node": n, "value": "X", "t": 9} for n in ("A", "C")]
    assert holds(everyone, facts(crash, *others))
    assert not holds(everyone, facts(*others))


def test_docs_list_every_condition_kind() -> None:
    from desert_paxos.course import CHECKS

    text = (ROOT / "docs" / "lessons.md").read_text(encoding="utf-8")
    listed = [line.split("`")[1] for line in text.splitlines() if line.startswith("| `")]
    assert [k for k in listed if k in CHECKS or "_" in k] == list(CHECKS)


def test_readme_lists_the_course_as_it_is() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for lesson in load_course():
        assert f"| {lesson.number} | {lesson.title}" in text, lesson.title


def test_magic_names_the_course_in_its_closing_hint() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "magic"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0
    assert "`desert-paxos learn`" in done.stdout.splitlines()[-1]
