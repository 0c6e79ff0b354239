"""Scenarios: what the desert does in one run, from JSON or TOML files or the built-in library."""

from ._library import BUILTIN_NAMES, JOURNEY_NAMES, builtin_path, load_builtin, resolve_scenario
from ._load import ScenarioError, load_scenario_file, parse_scenario_text, scenario_from_data
from ._model import (
    Delay,
    Expectation,
    Link,
    Network,
    NetworkChange,
    Proposal,
    Scenario,
    TimelineEvent,
    Timing,
)

__all__ = [
    "BUILTIN_NAMES",
    "JOURNEY_NAMES",
    "Delay",
    "Expectation",
    "Link",
    "Network",
    "NetworkChange",
    "Proposal",
    "Scenario",
    "ScenarioError",
    "TimelineEvent",
    "Timing",
    "builtin_path",
    "load_builtin",
    "load_scenario_file",
    "parse_scenario_text",
    "resolve_scenario",
    "scenario_from_data",
]
