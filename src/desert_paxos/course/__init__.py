"""The course: guided lessons played on the live desert, checked on its trace.

A lesson is a TOML file (``desert_paxos/lessons/NN-name.toml`` for the built-in
course; a teacher's own file works the same way): the scenario, the one rule it
teaches, and steps to read, do, predict and meet as challenges. ``desert-paxos
learn`` lists the course with the learner's progress and opens a lesson in the
REPL; ``desert-paxos check`` validates lesson files like scenarios.
"""

from __future__ import annotations

from pathlib import Path

from ..scenario import ScenarioError
from ..scenario._load import Problem
from ._checks import CHECKS, Condition, Facts, describe, holds
from ._load import is_lesson_data, load_lesson_file, parse_lesson_text
from ._model import STEP_KINDS, Lesson, Step
from ._progress import LessonProgress, Progress, progress_path
from ._runner import LessonRunner, play_lesson

__all__ = [
    "CHECKS",
    "COURSE_DIR",
    "STEP_KINDS",
    "Condition",
    "Facts",
    "Lesson",
    "LessonProgress",
    "LessonRunner",
    "Progress",
    "Step",
    "course_files",
    "describe",
    "find_lesson",
    "holds",
    "is_lesson_data",
    "load_course",
    "load_lesson_file",
    "parse_lesson_text",
    "play_lesson",
    "progress_path",
]

COURSE_DIR = Path(__file__).resolve().parent.parent / "lessons"


def course_files() -> list[Path]:
    """The built-in lessons' files, in the course's order (their names start with the number)."""
    return sorted(COURSE_DIR.glob("*.toml"))


def load_course() -> list[Lesson]:
    return sorted((load_lesson_file(p) for p in course_files()), key=lambda lesson: lesson.number)


def find_lesson(spec: str) -> Lesson:
    """A lesson by its number in the course, or a lesson file."""
    text = spec.strip()
    if text.isdigit():
        for path in course_files():
            if path.name.split("-", 1)[0].lstrip("0") == text.lstrip("0"):
                return load_lesson_file(path)
        count = len(course_files())
        raise ScenarioError(
            spec,
            [Problem("", f"no lesson {text} in the course: lessons are numbered 1 to {count}")],
        )
    path = Path(spec)
    if not path.exists():
        raise ScenarioError(
            spec,
            [
                Problem(
                    "",
                    "no such lesson file; give a lesson number (`desert-paxos learn` lists them) or a .toml file",
                )
            ],
        )
    return load_lesson_file(path)
