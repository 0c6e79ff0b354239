"""The built-in scenario library, shipped as JSON files inside the package."""

from __future__ import annotations

from pathlib import Path

from ._load import Problem, ScenarioError, load_scenario_file
from ._model import Scenario

__all__ = ["BUILTIN_NAMES", "JOURNEY_NAMES", "builtin_path", "load_builtin", "resolve_scenario"]

_LIBRARY = Path(__file__).with_name("library")

# The order a learner should meet them in.
BUILTIN_NAMES: tuple[str, ...] = (
    "calm-day",
    "dueling-proposers",
    "sandstorm-minority",
    "sandstorm-no-majority",
    "acceptor-collapses",
    "proposer-collapses",
    "lossy-desert",
    "three-collapse",
    "late-recovery",
)

# The long journey (Multi-Paxos, "protocol": "multi-paxos"): a command for every night.
# Kept apart: the single-decree views (story, REPL, viewer) walk BUILTIN_NAMES.
JOURNEY_NAMES: tuple[str, ...] = (
    "calm-journey",
    "leader-collapses",
    "sandstorm-isolates-leader",
)


def builtin_path(name: str) -> Path:
    return _LIBRARY / f"{name}.json"


def load_builtin(name: str) -> Scenario:
    return load_scenario_file(builtin_path(name))


def resolve_scenario(spec: str) -> Scenario:
    """A built-in name, or a path to a JSON or TOML file."""
    if spec in BUILTIN_NAMES or spec in JOURNEY_NAMES:
        return load_builtin(spec)
    path = Path(spec)
    if path.suffix.lower() in (".json", ".toml") or path.exists() or "/" in spec:
        return load_scenario_file(path)
    close = [n for n in BUILTIN_NAMES + JOURNEY_NAMES if spec in n or n.startswith(spec[:4])]
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ScenarioError(
        spec,
        [
            Problem(
                "",
                f"no built-in scenario or file by this name; {hint}"
                "`desert-paxos scenarios` lists the built-ins",
            )
        ],
    )
