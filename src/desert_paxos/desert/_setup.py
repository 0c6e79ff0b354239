"""The desert's setup file, ``DIR/desert.json``: what every process of one real desert shares.

Theory of operation
-------------------
``desert up`` writes it once, before any caravan starts: the scenario (as the
complete document ``Scenario.to_json`` gives, so each caravan validates it
with the one scenario loader), the seed, the last tick, the tick length, each
caravan's UDP port and the coordinator's process id. A caravan process reads
it at start, a restarted one too, and ``desert merge`` reads it to know the
desert it merges. It is read as untrusted input: anything wrong with it is
one :class:`SetupError` naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import write_output
from .._untrusted import SCENARIO_LIMIT, InputError, JsonReader, decode_utf8, read_file
from ..scenario import Scenario, ScenarioError, scenario_from_data

__all__ = ["SETUP_FILE", "SETUP_FORMAT", "DesertSetup", "SetupError", "read_setup", "write_setup"]

SETUP_FILE = "desert.json"
SETUP_FORMAT = "desert-paxos-desert/1"


class SetupError(Exception):
    """A setup file that cannot be used: the message names it and says why."""


@dataclass(frozen=True, slots=True)
class DesertSetup:
    scenario: Scenario
    seed: int
    until: int
    tick_ms: int
    ports: dict[str, int]
    coordinator_pid: int

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SETUP_FORMAT,
            "scenario": self.scenario.to_json(),
            "seed": self.seed,
            "until": self.until,
            "tick_ms": self.tick_ms,
            "ports": self.ports,
            "coordinator_pid": self.coordinator_pid,
        }


def write_setup(folder: Path, setup: DesertSetup) -> Path:
    path = folder / SETUP_FILE
    text = json.dumps(setup.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    write_output(path, text, what="the desert's setup")
    return path


def read_setup(folder: str | Path) -> DesertSetup:
    path = Path(folder) / SETUP_FILE
    try:
        doc = JsonReader().loads(decode_utf8(read_file(path, SCENARIO_LIMIT), "setup file"))
    except InputError as exc:
        hint = " (is it the --dir of a `desert up`?)" if exc.message == "no such file" else ""
        raise SetupError(f"{path}: {exc}{hint}") from None
    if not isinstance(doc, dict) or doc.get("format") != SETUP_FORMAT:
        raise SetupError(f'{path}: format: expected "{SETUP_FORMAT}"')
    try:
        scenario = scenario_from_data(doc.get("scenario"), f"{path}: scenario")
    except ScenarioError as exc:
        raise SetupError(exc.render()) from None
    ports = doc.get("ports")
    fields = {key: doc.get(key) for key in ("seed", "until", "tick_ms", "coordinator_pid")}
    for key, value in fields.items():
        if type(value) is not int or value < 0:
            raise SetupError(f"{path}: {key}: expected a whole number, got {value!r:.40}")
    if (
        not isinstance(ports, dict)
        or sorted(ports) != sorted(scenario.caravans)
        or any(type(p) is not int or not 0 < p < 65536 for p in ports.values())
    ):
        raise SetupError(f"{path}: ports: expected a UDP port for each caravan")
    if fields["tick_ms"] == 0:
        raise SetupError(f"{path}: tick_ms: must be 1 or more")
    return DesertSetup(
        scenario=scenario,
        seed=int(fields["seed"]),  # type: ignore[arg-type]
        until=int(fields["until"]),  # type: ignore[arg-type]
        tick_ms=int(fields["tick_ms"]),  # type: ignore[arg-type]
        ports={str(k): int(v) for k, v in ports.items()},
        coordinator_pid=int(fields["coordinator_pid"]),  # type: ignore[arg-type]
    )
