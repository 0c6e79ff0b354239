"""The simulator's traces, byte for byte, against golden files.

The files in ``tests/golden/`` were written by the simulator before its hot loop
was optimised (see ``tests/golden/regenerate.py``); every speed-up must leave
each of them byte-identical, whichever trace writer writes them: the plain
``TraceWriter`` (fed dictionaries) or ``SimTraceWriter`` (fed fields), alone or
beside an observer that wants dictionaries. A mismatch names the first line
that differs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.sim import SimTraceWriter
from desert_paxos.trace import TraceWriter

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from regenerate import golden_cases, trace_text

CASES = golden_cases()
IDS = [golden.stem for _, _, golden in CASES]


def assert_same_lines(golden: Path, actual_text: str) -> None:
    expected = golden.read_text(encoding="utf-8").splitlines()
    actual = actual_text.splitlines()
    for number, (want, got) in enumerate(zip(expected, actual, strict=False), start=1):
        assert got == want, f"{golden.name} line {number} differs"
    assert len(actual) == len(expected), f"{golden.name}: {len(actual)} lines, want {len(expected)}"


def test_golden_cases_cover_every_scenario_and_seed() -> None:
    assert len(CASES) >= 30
    missing = [str(golden) for _, _, golden in CASES if not golden.exists()]
    assert missing == []


@pytest.mark.parametrize(("scenario", "seed", "golden"), CASES, ids=IDS)
def test_trace_writer_trace_is_byte_identical_to_golden(
    scenario: Path, seed: int, golden: Path
) -> None:
    assert_same_lines(golden, trace_text(scenario, seed, TraceWriter))


@pytest.mark.parametrize(("scenario", "seed", "golden"), CASES, ids=IDS)
def test_sim_trace_writer_trace_is_byte_identical_to_golden(
    scenario: Path, seed: int, golden: Path
) -> None:
    assert_same_lines(golden, trace_text(scenario, seed, SimTraceWriter))


@pytest.mark.parametrize(("scenario", "seed", "golden"), CASES[::4], ids=IDS[::4])
def test_sim_trace_writer_beside_a_dictionary_observer(
    scenario: Path, seed: int, golden: Path
) -> None:
    seen: list[dict[str, Any]] = []
    assert_same_lines(golden, trace_text(scenario, seed, SimTraceWriter, (seen.append,)))
    # The other observer got the header and then every event as a dictionary, in order.
    assert seen[0]["kind"] == "header"
    events = seen[1:]
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert len(seen) == len(golden.read_text(encoding="utf-8").splitlines())
