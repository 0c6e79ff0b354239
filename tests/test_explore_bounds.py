"""The explorer's default bound on stored states: memory-aware, and told when it cuts a search."""

from __future__ import annotations

import pytest

from desert_paxos.cli import main
from desert_paxos.explore import BYTES_PER_STATE, MAX_STATES, default_max_states
from desert_paxos.explore import _search as search_module


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (None, MAX_STATES),  # the system does not say: the fixed default
        (10**12, MAX_STATES),  # plenty of memory: still at most MAX_STATES
        (2 * BYTES_PER_STATE * 50_000, 50_000),  # half of what is free, at BYTES_PER_STATE each
        (1_000, 10_000),  # almost nothing free: a small search is still allowed
    ],
)
def test_the_default_bound_fits_half_the_memory_available(
    monkeypatch: pytest.MonkeyPatch, available: int | None, expected: int
) -> None:
    monkeypatch.setattr(search_module, "_available_memory", lambda: available)
    assert default_max_states() == expected


def test_this_machine_says_how_much_memory_is_available() -> None:
    available = search_module._available_memory()
    assert available is None or available > 0
    assert 10_000 <= default_max_states() <= MAX_STATES


def test_explore_is_bounded_by_default_and_never_claims_safety_when_cut_short(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Memory for 10,000 states only: the default search (85,706 states) must stop there.
    monkeypatch.setattr(search_module, "_available_memory", lambda: 2 * BYTES_PER_STATE * 10_000)
    assert main(["explore", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "states: the bound --max-states 10,000 (the default, for the memory available)" in out
    assert "not a proof" in out and "raise the bound with --max-states N" in out
    assert "Safety holds" not in out


def test_a_bound_given_is_named_when_it_stops_the_search(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explore", "--max-states", "3000", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "states: the bound --max-states 3,000. No violation in the states explored" in out
    assert "Safety holds" not in out


def test_the_help_states_the_default_bound(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["explore", "--help"])
    assert f"default {MAX_STATES:,}" in " ".join(capsys.readouterr().out.split())
