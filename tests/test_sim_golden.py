"""The simulator's traces, byte for byte, against golden files.

The files in ``tests/golden/`` were written by the simulator before its hot loop
was optimised (see ``tests/golden/regenerate.py``); every speed-up must leave
each of them byte-identical. A mismatch names the first line that differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from regenerate import golden_cases, trace_text

CASES = golden_cases()


def test_golden_cases_cover_every_scenario_and_seed() -> None:
    assert len(CASES) >= 30
    missing = [str(golden) for _, _, golden in CASES if not golden.exists()]
    assert missing == []


@pytest.mark.parametrize(
    ("scenario", "seed", "golden"), CASES, ids=[golden.stem for _, _, golden in CASES]
)
def test_trace_is_byte_identical_to_golden(scenario: Path, seed: int, golden: Path) -> None:
    expected = golden.read_text(encoding="utf-8").splitlines()
    actual = trace_text(scenario, seed).splitlines()
    for number, (want, got) in enumerate(zip(expected, actual, strict=False), start=1):
        assert got == want, f"{golden.name} line {number} differs"
    assert len(actual) == len(expected), f"{golden.name}: {len(actual)} lines, want {len(expected)}"
