"""The docs' performance tables are the figures in benchmarks/results.json, as measured."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import figures  # noqa: E402  (benchmarks/ is not a package)

HEADLINE = (
    "explore_3x2_states_per_s",
    "explore_5x2_symmetry_states_per_s",
    "explore_5x2_symmetry_bytes_per_state",
    "repl_record_us_per_step",
    "repl_record_bytes_per_event",
    "swarm_seeds_per_s_per_core",
)


def _results() -> dict[str, Any]:
    results: dict[str, Any] = json.loads(figures.RESULTS.read_text(encoding="utf-8"))
    return results


def _is_figure(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, dict) and all(
        isinstance(value.get(k), int | float) for k in ("median", "min", "max")
    )


def test_results_name_their_commit_and_hold_every_headline_figure() -> None:
    results = _results()
    assert isinstance(results["commit"], str) and results["commit"] not in ("", "unknown")
    for key in HEADLINE:
        assert _is_figure(results.get(key)), key
        spread = results[key]
        if isinstance(spread, dict):
            assert spread["min"] <= spread["median"] <= spread["max"], key


def test_counts_are_read_from_the_runs() -> None:
    explore = _results()["bench_explore"]
    # The default desert's pinned count (tests/test_explore_model.py), as the benchmark ran it.
    assert explore["explore_3x2_states"] == 85706
    assert (
        explore["explore_workers"]["states_1_process"]
        == explore["explore_workers"]["states_2_processes"]
    )


@pytest.mark.parametrize("path", figures.DOCS, ids=lambda p: p.name)
def test_the_docs_tables_are_rendered_from_the_results(path: Path) -> None:
    rendered = figures.tables(_results())
    held = figures.blocks(path.read_text(encoding="utf-8"))
    assert held, f"{path.name} has no bench:NAME table"
    for name, body in held.items():
        assert body == rendered[name], (
            f"{path.name}: table {name} differs; run benchmarks/tables.py"
        )


def test_a_changed_figure_changes_the_table() -> None:
    results = _results()
    before = figures.tables(results)["summary"]
    results["explore_3x2_states_per_s"] = {"median": 1, "min": 1, "max": 1, "samples": 1}
    assert figures.tables(results)["summary"] != before
    text = "a\n<!-- bench:summary -->\nold\n<!-- /bench:summary -->\nb\n"
    filled = figures.fill(text, {"summary": "new\n"})
    assert filled == "a\n<!-- bench:summary -->\nnew\n<!-- /bench:summary -->\nb\n"
