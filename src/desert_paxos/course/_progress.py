"""Where a learner is in the course, kept across restarts.

Progress lives in one JSON file in the user's data directory
(``~/.local/share/desert-paxos/course-progress.json`` on Linux;
``DESERT_PAXOS_PROGRESS`` overrides it). Per lesson it keeps whether the lesson
is finished, how many steps were passed, the steps skipped, and the lines the
learner typed: the simulator is deterministic, so replaying those lines
rebuilds the exact desert the learner left, and nothing else needs saving.

The file is written atomically (``desert_paxos._files``), so a killed process
leaves the old progress or the new, never half of one. A file that cannot be
read is set aside (renamed ``.broken``) and the learner is told, rather than
silently losing it or refusing to start.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LessonProgress", "Progress", "progress_path"]

_MAX_BYTES = 10_000_000


def progress_path() -> Path:
    override = os.environ.get("DESERT_PAXOS_PROGRESS")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("desert-paxos")) / "course-progress.json"


@dataclass(slots=True)
class LessonProgress:
    done: bool = False
    step: int = 0  # steps passed so far
    skipped: list[int] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "step": self.step, "skipped": self.skipped, "lines": self.lines}

    @classmethod
    def from_json(cls, data: object) -> LessonProgress:
        if not isinstance(data, dict):
            raise ValueError("a lesson's progress is an object")
        done, step = data.get("done", False), data.get("step", 0)
        skipped, lines = data.get("skipped", []), data.get("lines", [])
        if not isinstance(done, bool) or not isinstance(step, int) or isinstance(step, bool):
            raise ValueError("done is a boolean and step a whole number")
        if not isinstance(skipped, list) or not all(isinstance(s, int) for s in skipped):
            raise ValueError("skipped is a list of step numbers")
        if not isinstance(lines, list) or not all(isinstance(s, str) for s in lines):
            raise ValueError("lines is a list of strings")
        return cls(done=done, step=max(0, step), skipped=list(skipped), lines=list(lines))


class Progress:
    """The course progress file: read once, written after every change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = progress_path() if path is None else path
        self.lessons: dict[str, LessonProgress] = {}
        self.warning = ""
        self._read()

    def _read(self) -> None:
        try:
            raw = self.path.read_bytes()[: _MAX_BYTES + 1]
        except FileNotFoundError:
            return
        except OSError as exc:
            self.warning = f"progress not read ({exc.strerror}): {self.path}"
            return
        try:
            if len(raw) > _MAX_BYTES:
                raise ValueError("larger than any progress file")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("lessons", {}), dict):
                raise ValueError("not a progress file")
            for key, value in data.get("lessons", {}).items():
                self.lessons[str(key)] = LessonProgress.from_json(value)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            broken = self.path.with_name(self.path.name + ".broken")
            try:
                os.replace(self.path, broken)
                where = f"set aside as {broken}"
            except OSError:
                where = "left as it is"
            self.lessons = {}
            self.warning = f"the progress file {self.path} could not be read ({exc}); {where}"

    def of(self, key: str) -> LessonProgress:
        return self.lessons.setdefault(key, LessonProgress())

    def forget(self, key: str) -> None:
        self.lessons.pop(key, None)
        self.save()

    def save(self) -> None:
        from .._files import OutputError, write_output

        data = {"lessons": {k: v.to_json() for k, v in sorted(self.lessons.items())}}
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_output(self.path, text, what="course progress")
        except (OSError, OutputError) as exc:
            self.warning = f"progress not saved: {exc}"
