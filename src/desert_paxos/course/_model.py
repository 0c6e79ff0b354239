"""A lesson as data: a scenario, the rule it teaches and its steps.

A lesson is a file (TOML) a teacher can write and share; nothing in it is
code. Four kinds of step:

* ``read``: a short text, shown and passed at once;
* ``do``: a command the learner types; the lesson waits until that command has
  run (and, when ``until`` is given, until those conditions hold);
* ``predict``: a question with choices, asked *before* the desert shows the
  answer; the learner answers with a number, then the lesson runs ``reveal``
  and says why;
* ``challenge``: a goal reached by any means, judged by conditions on the
  trace (:mod:`._checks`), spoilt by ``forbid`` conditions.

Every step carries the scripted learner's lines (``solution``), so every lesson
can be walked through end to end without a human; a challenge also carries a
``wrong`` attempt, which the tests show does *not* meet it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import Scenario
from ._checks import Condition

__all__ = ["STEP_KINDS", "Lesson", "Step"]

STEP_KINDS = ("read", "do", "predict", "challenge")


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    kind: str  # one of STEP_KINDS
    text: str  # what is read, what to do, the question, or the goal
    command: str = ""  # do: the command the learner types
    until: tuple[Condition, ...] = ()  # do: wait for these too
    choices: tuple[str, ...] = ()  # predict
    answer: int = 0  # predict: the right choice, counted from 1
    why: str = ""  # predict: told after the answer; do: told once done
    reveal: tuple[str, ...] = ()  # predict: commands that show the answer
    check: tuple[Condition, ...] = ()  # challenge: all must hold
    forbid: tuple[Condition, ...] = ()  # challenge: any spoils the attempt
    hint: str = ""
    solution: tuple[str, ...] = ()  # the scripted learner's lines for this step
    wrong: tuple[str, ...] = ()  # challenge: an attempt that must not meet it

    def walkthrough(self) -> tuple[str, ...]:
        """What a learner who knows the answer types at this step."""
        if self.solution:
            return self.solution
        if self.kind == "do":
            return (self.command,)
        if self.kind == "predict":
            return (str(self.answer),)
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Lesson:
    number: int
    title: str
    minutes: int
    rule: str  # the one rule the lesson teaches, in a sentence
    scenario: Scenario
    scenario_spec: str  # how the REPL names it (a built-in name or a file)
    steps: tuple[Step, ...]
    source: str  # the file it came from
    key: str  # where its progress is kept (the file's stem for the built-in course)

    def walkthrough(self) -> list[str]:
        return [line for step in self.steps for line in step.walkthrough()]

    @property
    def challenges(self) -> list[int]:
        return [i for i, step in enumerate(self.steps) if step.kind == "challenge"]
