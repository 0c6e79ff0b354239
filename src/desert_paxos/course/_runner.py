"""Playing a lesson inside the REPL: the lesson's prompts between the ``>>>`` lines.

Theory of operation
-------------------
The runner stands between the input loop and the REPL's :class:`Session`.
Every line goes to the session as usual, except the lesson's own commands
(``/lesson``, ``/hint``, ``/skip``) and, while a question is open, the
learner's answer. After every line the current step is judged:

* a ``do`` step passes once its command ran without error (and its ``until``
  conditions hold);
* a ``predict`` step passes once answered; the reveal commands then run, shown
  as if typed;
* a ``challenge`` step passes once its conditions hold on the trace and none
  of its ``forbid`` conditions does.

The lines the learner typed are saved with the progress after every step; on
reopening an unfinished lesson they are replayed silently, which rebuilds the
same desert (the simulator is deterministic) and the same place in the lesson.
"""

from __future__ import annotations

import io
import json
import sys
import textwrap
from typing import IO, Any

from ._checks import Condition, Facts, describe, holds
from ._model import Lesson, Step
from ._progress import LessonProgress, Progress

__all__ = ["LessonRunner", "play_lesson"]

_LESSON_WORDS = ("lesson", "hint", "skip")
# Commands whose effect is outside the desert: never replayed when a lesson resumes.
_NOT_REPLAYED = ("save", "export", "quit")
_WIDTH = 78


class LessonRunner:
    """A lesson played over a session; duck-types as the session for the input loop."""

    def __init__(self, lesson: Lesson, session: Any, progress: Progress | None = None) -> None:
        self.lesson = lesson
        self.session = session
        self.progress = progress
        self.index = 0
        self.skipped: list[int] = []
        self.lines: list[str] = []
        self.spoilt = False
        self.reminded = False
        self.replaying = False

    # -- what the input loop sees ---------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Anything else the loop or the completer asks for is the session's.
        return getattr(self.session, name)

    @property
    def screen(self) -> Any:
        return self.session.screen

    @property
    def rejected(self) -> int:
        return int(self.session.rejected)

    @property
    def finished(self) -> bool:
        return self.index >= len(self.lesson.steps)

    def welcome(self) -> None:
        lesson = self.lesson
        self.session.welcome()
        self._say(
            f"Lesson {lesson.number}: {lesson.title} (about {lesson.minutes} minutes)", "bold"
        )
        self._say(f"The rule: {lesson.rule}", "italic")
        self._say("/lesson shows where you are, /hint helps, /skip moves on.", "dim")
        saved = self._saved()
        if saved is not None and saved.lines and not saved.done:
            self._resume(saved)
            return
        self._show_current()

    def execute(self, line: str) -> bool:
        word = line.strip().split(" ", 1)[0].lower()
        bare = word.lstrip("/")
        if bare in _LESSON_WORDS and (word.startswith("/") or line.strip().lower() == bare):
            self._lesson_command(bare, line.strip())
            return True
        step = self._step()
        text = line.strip()
        if step is not None and step.kind == "predict" and text and text[0] not in "/#":
            self._record(line)
            self._answer(step, text)
            return True
        before = self.session.rejected
        keep = bool(self.session.execute(line))
        if not keep:
            return False
        self._record(line)
        if self.session.rejected == before:
            self._judge(_command_name(line))
        return True

    # -- the lesson's own commands ----------------------------------------------------

    def _lesson_command(self, word: str, line: str) -> None:
        match word:
            case "lesson":
                if line.lower().endswith("restart"):
                    self._restart()
                    return
                self._where()
            case "hint":
                step = self._step()
                if step is None:
                    self._say("The lesson is over: there is nothing left to hint at.")
                    return
                self._say(f"Hint: {self._hint(step)}", "cyan")
            case "skip":
                if self._step() is None:
                    self._say("The lesson is over: nothing left to skip.")
                    return
                self._record(line)
                self.skipped.append(self.index)
                self._say(f"Skipped step {self.index + 1}.", "yellow")
                self._advance()

    def _where(self) -> None:
        lesson = self.lesson
        total = len(lesson.steps)
        if self.finished:
            self._say(f"Lesson {lesson.number}: {lesson.title} — finished.")
            return
        self._say(f"Lesson {lesson.number}: {lesson.title} — step {self.index + 1} of {total}.")
        self._show_current(again=True)

    def _hint(self, step: Step) -> str:
        if step.hint:
            return step.hint
        match step.kind:
            case "do":
                return f"type {step.command}"
            case "predict":
                return f"answer with a number from 1 to {len(step.choices)}"
        return "look at /why, /state and /map, and travel back with /back or /goto to try again"

    def _restart(self) -> None:
        lesson = self.lesson
        self.session._open(lesson.scenario_spec, lesson.scenario, None)  # as /load does
        self.index, self.skipped, self.lines = 0, [], []
        self._save()
        self._say(f"Lesson {lesson.number} starts over.", "bold")
        self.session.welcome()
        self._show_current()

    # -- steps -------------------------------------------------------------------------

    def _step(self) -> Step | None:
        return None if self.finished else self.lesson.steps[self.index]

    def _show_current(self, again: bool = False) -> None:
        while True:
            step = self._step()
            if step is None:
                self._finish()
                return
            n = f"{self.index + 1}/{len(self.lesson.steps)}"
            match step.kind:
                case "read":
                    self._say(f"📖 [{n}] {step.text}")
                    if again:
                        return
                    self.index += 1
                    self._save()
                    continue
                case "do":
                    self._say(f"▶ [{n}] {step.text}" if step.text else f"▶ [{n}]")
                    self._say(f"   Type: {step.command}", "bold")
                case "predict":
                    self._say(f"❓ [{n}] Predict: {step.text}")
                    for i, choice in enumerate(step.choices, start=1):
                        self._say(f"   {i}. {choice}")
                    self._say(f"   Answer with a number from 1 to {len(step.choices)}.", "dim")
                case "challenge":
                    self._say(f"🏁 [{n}] Challenge: {step.text}")
                    for condition in step.check:
                        self._say(f"   ✓ needed: {describe(condition)}")
                    for condition in step.forbid:
                        self._say(f"   ✗ not allowed: {describe(condition)}")
                    if not again:
                        self.spoilt = False
                        self._judge(None)  # the desert may already be there
            return

    def _answer(self, step: Step, text: str) -> None:
        choice = _choice(text, step.choices)
        if choice is None:
            self._say(f"Answer with a number from 1 to {len(step.choices)} (or /skip).", "yellow")
            return
        right = step.choices[step.answer - 1]
        if choice == step.answer:
            self._say(f"Right: {right}.", "green")
        else:
            self._say(f"Not this time: the answer is {step.answer}, {right}.", "yellow")
        for command in step.reveal:
            self.screen.say(f">>> {command}")
            self.session.execute(command)
        if step.why:
            self._say(f"Why: {step.why}", "italic")
        self._advance()

    def _judge(self, command: str | None) -> None:
        step = self._step()
        if step is None:
            return
        match step.kind:
            case "do":
                if command is None or command != _command_name(step.command):
                    if command is not None and not self.reminded:
                        self.reminded = True
                        self._say(f"(The lesson waits for {step.command}; /hint, /skip.)", "dim")
                    return
                if step.until and not self._all(step.until):
                    return
                if step.why:
                    self._say(step.why, "italic")
                self._advance()
            case "challenge":
                facts = self._facts()
                broken = [c for c in step.forbid if holds(c, facts)]
                if broken:
                    if not self.spoilt:
                        self.spoilt = True
                        self._say(
                            f"This attempt breaks the challenge's rule: {describe(broken[0])}. "
                            "Travel back (/back, /goto) or /lesson restart, and try again.",
                            "yellow",
                        )
                    return
                self.spoilt = False
                if all(holds(c, facts) for c in step.check):
                    self._say("🏆 Challenge met!", "green")
                    self._advance()

    def _all(self, conditions: tuple[Condition, ...]) -> bool:
        facts = self._facts()
        return all(holds(c, facts) for c in conditions)

    def _facts(self) -> Facts:
        tm = self.session.tm
        events: list[dict[str, Any]] = [tm.header] if tm.header else []
        events.extend(json.loads(line) for line in tm.lines[: tm.seq])
        return Facts(events, int(self.session.clock))

    def _advance(self) -> None:
        self.index += 1
        self.reminded = False
        self._save()
        self._show_current()

    def _finish(self) -> None:
        lesson = self.lesson
        if self.skipped:
            steps = ", ".join(str(i + 1) for i in self.skipped)
            self._say(
                f"Lesson {lesson.number} finished, with step(s) {steps} skipped: "
                f"`desert-paxos learn {lesson.number} --restart` to try them again.",
                "bold",
            )
        else:
            self._say(f"🎓 Lesson {lesson.number} finished: {lesson.rule}", "bold green")
        self._say("`desert-paxos learn` lists the lessons and your progress.", "dim")

    # -- progress ------------------------------------------------------------------------

    def _record(self, line: str) -> None:
        if _command_name(line) not in _NOT_REPLAYED:
            self.lines.append(line)

    def _saved(self) -> LessonProgress | None:
        if self.progress is None:
            return None
        return self.progress.lessons.get(self.lesson.key)

    def _save(self) -> None:
        if self.progress is None or self.replaying:
            return
        entry = self.progress.of(self.lesson.key)
        entry.step = self.index
        entry.skipped = list(self.skipped)
        entry.lines = list(self.lines)
        entry.done = entry.done or (self.finished and not self.skipped)
        self.progress.save()

    def _resume(self, saved: LessonProgress) -> None:
        from ..repl import Screen

        lines = list(saved.lines)  # saving during the replay rewrites the entry
        screen = self.session.screen
        self.session.screen = Screen(io.StringIO())
        self.replaying = True
        try:
            self._show_current()
            for line in lines:
                self.execute(line)
        finally:
            self.session.screen = screen
            self.replaying = False
        self._save()
        self.session.show_map()
        self._say(
            f"Welcome back: your {len(lines)} line(s) were replayed, and the desert is as "
            f"you left it (t={self.session.clock}). /lesson restart starts over.",
            "bold",
        )
        self._where()

    def _say(self, text: str, style: str | None = None) -> None:
        if getattr(self.screen, "colour", False):
            self.screen.say(text, style)
            return
        for paragraph in text.split("\n"):
            wrapped = textwrap.wrap(paragraph, _WIDTH, subsequent_indent="   ") or [""]
            for line in wrapped:
                self.screen.say(line, style)


def _command_name(line: str) -> str:
    """The REPL command a line runs (prefixes resolved as the REPL resolves them), or ""."""
    from ..repl import ReplError, parse_line

    try:
        parsed = parse_line(line)
    except ReplError:
        return ""
    return parsed[0].name if parsed is not None else ""


def _choice(text: str, choices: tuple[str, ...]) -> int | None:
    cleaned = text.strip().rstrip(".").strip()
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(choices):
        return int(cleaned)
    for i, choice in enumerate(choices, start=1):
        if cleaned.lower() == choice.lower():
            return i
    return None


def play_lesson(
    lesson: Lesson,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    progress: Progress | None = None,
    interactive: bool | None = None,
    lines: list[str] | None = None,
) -> bool:
    """Open ``lesson`` in the REPL; True once every step has passed.

    On a terminal the learner types at the ``>>>`` prompt; from a pipe the
    learner's lines are read from ``stdin`` and shown after ``>>>``; ``lines``
    plays a script instead (the lesson's walkthrough).
    """
    from ..narrate import want_colour
    from ..repl import Screen, Session
    from ..repl._loop import _isatty, _pipe_loop, _terminal_loop

    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if interactive is None:
        interactive = lines is None and _isatty(stdin) and _isatty(stdout)
    screen = Screen(stdout, colour=want_colour(stdout))
    session = Session(lesson.scenario_spec, lesson.scenario, screen, interactive=interactive)
    runner = LessonRunner(lesson, session, progress)
    runner.welcome()
    if lines is not None:
        for line in lines:
            screen.say(f">>> {line}")
            if not runner.execute(line):
                break
    elif interactive:
        _terminal_loop(runner)  # type: ignore[arg-type]  # the runner stands in for the session
    else:
        _pipe_loop(runner, stdin, stdout, echo=True)  # type: ignore[arg-type]
    if not runner.finished:
        step = runner.index + 1
        screen.say(
            f"Lesson {lesson.number} is not finished: step {step} of {len(lesson.steps)} is "
            f"open. `desert-paxos learn {lesson.number}` takes you back to it.",
            "yellow",
        )
    stdout.flush()
    return runner.finished
