"""Shared pieces of the command line: errors, exit codes, scenario and seed options."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from ..scenario import BUILTIN_NAMES, Scenario, ScenarioError, resolve_scenario
from ..scenario._load import MAX_SEED

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_VIOLATED",
    "MAX_SEED",
    "CliError",
    "HelpFormatter",
    "add_scenario_arguments",
    "add_subcommand",
    "load_scenario_arg",
    "reproduce_command",
]

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT = 0, 1, 2


class CliError(Exception):
    """A user mistake: printed as one clear message, exit code 2 unless told otherwise."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    pass


def add_subcommand(
    subparsers: Any, name: str, summary: str, examples: str, description: str | None = None
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=description or summary,
        epilog="examples:\n" + examples,
        formatter_class=HelpFormatter,
    )
    return parser


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """The optional SCENARIO argument and ``--seed``, shared by the commands that run one."""
    parser.add_argument(
        "scenario",
        nargs="?",
        default="calm-day",
        metavar="SCENARIO",
        help="a built-in name (see `desert-paxos scenarios`) or a JSON/TOML file (default: calm-day)",
    )
    parser.add_argument("--seed", type=seed_int, help="override the scenario's seed")


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be {least} or more, got {value}")
    return value


def non_negative_int(text: str) -> int:
    return _whole(text, 0)


def positive_int(text: str) -> int:
    return _whole(text, 1)


def seed_int(text: str) -> int:
    """A seed: what a scenario file may hold, so a run's trace and a saved desert load again."""
    value = _whole(text, 0)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"at most {MAX_SEED:,} (what a scenario may hold)")
    return value


def load_scenario_arg(spec: str) -> Scenario:
    try:
        return resolve_scenario(spec)
    except ScenarioError as exc:
        raise CliError(exc.render()) from None


def reproduce_command(spec: str, seed: int, until: int | None = None, extra: str = "") -> str:
    """A one-line shell command that reruns the same scenario and seed."""
    parts = ["desert-paxos", "run", spec if spec in BUILTIN_NAMES else shlex.quote(spec)]
    parts += ["--seed", str(seed)]
    if until is not None:
        parts += ["--until", str(until)]
    if extra:
        parts.append(extra)
    return " ".join(parts)
