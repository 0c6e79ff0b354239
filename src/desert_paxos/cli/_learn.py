"""``desert-paxos learn``: the course, one lesson at a time, on the live desert."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_BAD_INPUT, EXIT_OK, CliError, add_subcommand

__all__ = ["EXIT_UNFINISHED", "register"]

EXIT_UNFINISHED = 3  # the input ended before the lesson's last step

_EXAMPLES = """\
  desert-paxos learn                      the lessons, one line each, with your progress
  desert-paxos learn 1                    open lesson 1 in the REPL (resumes where you left it)
  desert-paxos learn 5 --restart          start lesson 5 over
  desert-paxos learn 3 --walkthrough      watch the lesson played by its scripted learner
  desert-paxos learn 2 < answers.txt      a learner's lines from a file (shown after >>>)
  desert-paxos learn my-lesson.toml       a lesson file of your own (check it: desert-paxos check)
exit codes: 0 lesson finished (or the list shown), 2 bad input, 3 input ended mid-lesson
progress: kept in the user data directory; DESERT_PAXOS_PROGRESS names another file
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "learn",
        "the course: guided lessons with predictions and checked challenges",
        _EXAMPLES,
    )
    p.add_argument(
        "lesson",
        nargs="?",
        metavar="LESSON",
        help="a lesson number from the list, or a lesson file (.toml); none lists the course",
    )
    p.add_argument("--restart", action="store_true", help="forget your progress in this lesson")
    p.add_argument(
        "--walkthrough",
        action="store_true",
        help="play the lesson's scripted solution instead of reading your lines (progress untouched)",
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    from ..course import Progress, find_lesson, load_course, play_lesson
    from ..scenario import ScenarioError

    if args.lesson is None:
        if args.restart or args.walkthrough:
            raise CliError("--restart and --walkthrough need a LESSON (e.g. learn 1 --restart)")
        try:
            lessons = load_course()
        except ScenarioError as exc:
            raise CliError(exc.render()) from None
        progress = Progress()
        if progress.warning:
            print(f"note: {progress.warning}")
        print("Learn Paxos in ten lessons (desert-paxos learn N opens lesson N):")
        for lesson in lessons:
            saved = progress.lessons.get(lesson.key)
            if saved is None or (not saved.done and not saved.lines):
                mark = "new"
            elif saved.done:
                mark = "done"
            else:
                mark = f"step {saved.step + 1}/{len(lesson.steps)}"
            print(f"{lesson.number:>2}. {lesson.title}  ({lesson.minutes} min, {mark})")
        return EXIT_OK
    try:
        lesson = find_lesson(args.lesson)
    except ScenarioError as exc:
        raise CliError(exc.render(), EXIT_BAD_INPUT) from None
    if args.walkthrough:
        finished = play_lesson(lesson, lines=lesson.walkthrough())
        return EXIT_OK if finished else EXIT_UNFINISHED
    progress = Progress()
    if progress.warning:
        print(f"note: {progress.warning}")
    if args.restart:
        progress.forget(lesson.key)
    finished = play_lesson(lesson, progress=progress)
    return EXIT_OK if finished else EXIT_UNFINISHED
