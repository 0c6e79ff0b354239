"""Reading lesson files: TOML in, a :class:`Lesson` or every problem out.

A lesson file is untrusted text like a scenario (a teacher shares it as a
file), so it is read through the same guards (regular files only, a size
limit, no parse-level bombs) and validated the same way: every problem at
once, each with its path inside the file (``step[3].check[0].caravan``) and
what would be right, raised as a :class:`~desert_paxos.scenario.ScenarioError`
so ``desert-paxos check`` and ``learn`` report it like any other bad file.

The scenario is a built-in name, a path relative to the lesson file, or a
table written inline with the scenario format itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._untrusted import SCENARIO_LIMIT, InputError, decode_utf8, loads_toml, read_file
from ..check import INVARIANTS
from ..scenario import BUILTIN_NAMES, Scenario, ScenarioError, resolve_scenario, scenario_from_data
from ..scenario._load import MAX_SEED, MAX_TEXT_CHARS, Problem, _join, _kind, _Validator
from ._checks import CHECKS, PARAMETER_TYPES, Condition
from ._model import STEP_KINDS, Lesson, Step

__all__ = ["MAX_LINES", "MAX_STEPS", "is_lesson_data", "load_lesson_file", "parse_lesson_text"]

MAX_STEPS = 200
MAX_LINES = 500  # scripted lines in one step
MAX_CONDITIONS = 50

_TOP_KEYS = ("lesson", "step")
_LESSON_KEYS = ("number", "title", "minutes", "rule", "scenario", "seed")
_STEP_KEYS: dict[str, tuple[str, ...]] = {
    "read": ("read",),
    "do": ("do", "say", "until", "why", "hint", "solution"),
    "predict": ("predict", "choices", "answer", "why", "reveal", "hint", "solution"),
    "challenge": ("challenge", "check", "forbid", "hint", "solution", "wrong"),
}


def is_lesson_data(data: object) -> bool:
    """A parsed TOML document that is a lesson rather than a scenario."""
    return isinstance(data, dict) and "lesson" in data


def load_lesson_file(path: str | Path) -> Lesson:
    p = Path(path)
    source = str(path)
    try:
        text = decode_utf8(read_file(p, SCENARIO_LIMIT), "lesson file")
    except InputError as exc:
        raise ScenarioError(source, [Problem(exc.path, exc.message)]) from None
    return parse_lesson_text(text, source, p.parent, p.stem)


def parse_lesson_text(text: str, source: str, folder: Path, key: str) -> Lesson:
    text = text.removeprefix("\ufeff")
    try:
        data = loads_toml(text)
    except InputError as exc:
        raise ScenarioError(source, [Problem(exc.path, exc.message)]) from None
    return lesson_from_data(data, source, folder, key)


def lesson_from_data(data: object, source: str, folder: Path, key: str) -> Lesson:
    v = _Validator()
    top = v.obj(data, "", _TOP_KEYS)
    if top is None:
        raise ScenarioError(source, v.problems)
    head = v.obj(top.get("lesson"), "lesson", _LESSON_KEYS) if "lesson" in top else None
    if head is None:
        if "lesson" not in top:
            v.fail(
                "lesson", "missing: a [lesson] table with number, title, minutes, rule, scenario"
            )
        raise ScenarioError(source, v.problems)
    number = _required(v, head, "lesson", "number", lambda x, p: v.integer(x, p, 1, 999), 1)
    title = _required(v, head, "lesson", "title", v.name, "")
    minutes = _required(v, head, "lesson", "minutes", lambda x, p: v.integer(x, p, 1, 120), 10)
    rule = _required(v, head, "lesson", "rule", v.text, "")
    seed = v.get(head, "lesson", "seed", lambda x, p: v.integer(x, p, 0, MAX_SEED), -1)
    scenario, spec = _scenario(v, head.get("scenario"), folder, source)
    steps = _steps(v, top.get("step"), scenario)
    if v.problems:
        raise ScenarioError(source, v.problems)
    assert scenario is not None
    if seed >= 0:
        from dataclasses import replace

        scenario = replace(scenario, seed=seed)
    return Lesson(
        number=number,
        title=title,
        minutes=minutes,
        rule=rule,
        scenario=scenario,
        scenario_spec=spec,
        steps=steps,
        source=source,
        key=key,
    )


def _required(
    v: _Validator, d: dict[str, Any], path: str, key: str, convert: Any, default: Any
) -> Any:
    if key not in d:
        v.fail(_join(path, key), "missing")
        return default
    return v.get(d, path, key, convert, default)


def _scenario(v: _Validator, raw: object, folder: Path, source: str) -> tuple[Scenario | None, str]:
    path = "lesson.scenario"
    if raw is None:
        v.fail(path, "missing: a built-in scenario name, a file next to the lesson, or a table")
        return None, ""
    try:
        if isinstance(raw, dict):
            return scenario_from_data(raw, f"{source} ({path})", "lesson"), source
        if isinstance(raw, str):
            if raw in BUILTIN_NAMES:
                return resolve_scenario(raw), raw
            beside = folder / raw
            return resolve_scenario(str(beside)), str(beside)
    except ScenarioError as exc:
        for problem in exc.problems:
            v.fail(_join(path, problem.path) if problem.path else path, problem.message)
        return None, ""
    v.fail(path, f"expected a scenario name or a table, got {_kind(raw)}")
    return None, ""


def _steps(v: _Validator, raw: object, scenario: Scenario | None) -> tuple[Step, ...]:
    if raw is None:
        v.fail("step", "missing: at least one [[step]]")
        return ()
    if not isinstance(raw, list):
        v.fail("step", f"expected a list of [[step]] tables, got {_kind(raw)}")
        return ()
    if v.too_many(raw, "step", MAX_STEPS, "steps"):
        return ()
    caravans = scenario.caravans if scenario is not None else None
    steps: list[Step] = []
    for i, item in enumerate(raw):
        step = _step(v, item, _join("step", i), caravans)
        if step is not None:
            steps.append(step)
    if not raw:
        v.fail("step", "a lesson has at least one step")
    return tuple(steps)


def _step(v: _Validator, raw: object, path: str, caravans: tuple[str, ...] | None) -> Step | None:
    if not isinstance(raw, dict):
        v.fail(path, f"expected a table, got {_kind(raw)}")
        return None
    kinds = [k for k in STEP_KINDS if k in raw]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        v.fail(path, f"a step is exactly one of read, do, predict, challenge (found: {found})")
        return None
    kind = kinds[0]
    d = v.obj(raw, path, _STEP_KEYS[kind])
    if d is None:
        return None
    text_of = lambda x, p: v.text(x, p, MAX_TEXT_CHARS, lines=True)  # noqa: E731
    hint = v.get(d, path, "hint", text_of, "")
    solution = _lines(v, d, path, "solution")
    match kind:
        case "read":
            text = v.get(d, path, "read", text_of, "")
            return Step(kind=kind, text=text)
        case "do":
            command = v.get(d, path, "do", lambda x, p: _command(v, x, p), "")
            return Step(
                kind=kind,
                text=v.get(d, path, "say", text_of, ""),
                command=command,
                until=_conditions(v, d.get("until"), _join(path, "until"), caravans),
                why=v.get(d, path, "why", text_of, ""),
                hint=hint,
                solution=solution,
            )
        case "predict":
            question = v.get(d, path, "predict", text_of, "")
            choices = _choices(v, d.get("choices"), _join(path, "choices"))
            answer = _required(
                v, d, path, "answer", lambda x, p: v.integer(x, p, 1, max(1, len(choices))), 1
            )
            return Step(
                kind=kind,
                text=question,
                choices=choices,
                answer=answer,
                why=v.get(d, path, "why", text_of, ""),
                reveal=_lines(v, d, path, "reveal"),
                hint=hint,
                solution=solution,
            )
    goal = v.get(d, path, "challenge", text_of, "")
    check = _conditions(v, d.get("check"), _join(path, "check"), caravans)
    if not check:
        v.fail(_join(path, "check"), "a challenge needs at least one condition to meet")
    if not solution:
        v.fail(_join(path, "solution"), "missing: the lines a learner could type to meet it")
    wrong = _lines(v, d, path, "wrong")
    return Step(
        kind=kind,
        text=goal,
        check=check,
        forbid=_conditions(v, d.get("forbid"), _join(path, "forbid"), caravans),
        hint=hint,
        solution=solution,
        wrong=wrong,
    )


def _command(v: _Validator, raw: object, path: str) -> str | None:
    """A REPL command line, checked by the REPL's own parser."""
    from ..repl import ReplError, parse_line

    text = v.text(raw, path, 1_000)
    if text is None:
        return None
    try:
        parsed = parse_line(text)
    except ReplError as exc:
        v.fail(path, f"{text!r} is not a REPL command: {exc}")
        return None
    if parsed is None:
        v.fail(path, "expected a command, got a comment")
        return None
    return text


def _lines(v: _Validator, d: dict[str, Any], path: str, key: str) -> tuple[str, ...]:
    raw = d.get(key)
    where = _join(path, key)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        v.fail(where, f"expected a list of lines, got {_kind(raw)}")
        return ()
    if v.too_many(raw, where, MAX_LINES, "lines"):
        return ()
    lines: list[str] = []
    for i, item in enumerate(raw):
        line = v.text(item, _join(where, i), 1_000)
        if line is None:
            continue
        is_command = line.lstrip().startswith("/") or key in ("reveal", "wrong")
        if is_command and _command(v, line, _join(where, i)) is None:
            continue
        lines.append(line)
    return tuple(lines)


def _choices(v: _Validator, raw: object, path: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= 9:
        v.fail(path, "expected a list of 2 to 9 choices")
        return ()
    out: list[str] = []
    for i, item in enumerate(raw):
        text = v.text(item, _join(path, i), 500)
        if text is not None:
            out.append(text)
    return tuple(out)


def _conditions(
    v: _Validator, raw: object, path: str, caravans: tuple[str, ...] | None
) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        v.fail(path, f"expected a list of conditions, got {_kind(raw)}")
        return ()
    if v.too_many(raw, path, MAX_CONDITIONS, "conditions"):
        return ()
    out: list[Condition] = []
    for i, item in enumerate(raw):
        condition = _condition(v, item, _join(path, i), caravans)
        if condition is not None:
            out.append(condition)
    return tuple(out)


def _condition(
    v: _Validator, raw: object, path: str, caravans: tuple[str, ...] | None
) -> Condition | None:
    if not isinstance(raw, dict):
        v.fail(
            path, f'expected a table like {{kind = "knows", caravan = "Itri"}}, got {_kind(raw)}'
        )
        return None
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in CHECKS:
        v.fail(_join(path, "kind"), f"expected one of: {', '.join(CHECKS)}")
        return None
    check = CHECKS[kind]
    d = v.obj(raw, path, ("kind", *check.required, *check.optional))
    if d is None:
        return None
    args: dict[str, Any] = {}
    ok = True
    for name in (*check.required, *check.optional):
        where = _join(path, name)
        if name not in d:
            if name in check.required:
                v.fail(where, f"missing: {kind} needs {name}")
                ok = False
            continue
        value = d[name]
        if PARAMETER_TYPES[name] is int:
            value = v.integer(value, where, 0)
        else:
            value = v.text(value, where, 500)
        if value is None:
            ok = False
            continue
        if name == "caravan" and caravans is not None and value not in caravans:
            v.fail(where, f"unknown caravan {value!r} (caravans: {', '.join(caravans)})")
            ok = False
        if name == "invariant" and value not in INVARIANTS:
            v.fail(where, f"unknown invariant {value!r} (known: {', '.join(INVARIANTS)})")
            ok = False
        args[name] = value
    return Condition(kind=kind, **args) if ok else None
