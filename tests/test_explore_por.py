"""Partial-order reduction (``--por``): fewer moves tried, the same states, verdicts and lengths.

Every desert the explorer's tests search is searched again with sleep sets: a safe one must
visit exactly the same states (sleep sets never lose one) and try fewer moves, exactly the
plain search's moves less the ones asleep; a broken one must break the same invariant after
the same number of steps.
"""

from __future__ import annotations

import pytest

from desert_paxos.cli import main
from desert_paxos.explore import ExploreOptions, Model, SearchResult, counterexample, search

# The deserts of tests/test_explore_model.py, test_explore_trace.py and test_explore_cli.py.
SAFE: list[dict[str, object]] = [
    {"proposers": 1},
    {"proposers": 1, "crashes": 1},
    {"proposers": 1, "crashes": 1, "self_delay": True},
    {"proposers": 1, "max_round": 2},
    {},
    {"duplicate": True},
    {"caravans": 4, "proposers": 1},
    {"q1": 3, "q2": 1},
    {"q1": 3, "q2": 2},
    {"q1": 2, "q2": 3},
    {"q1": 3, "q2": 1, "variant": "small-quorums"},
    {"invariants": ("knowledge",)},
    {"variant": "volatile-round", "proposers": 1, "crashes": 1},
    {"caravans": 4, "proposers": 1, "symmetry": True},
    {"caravans": 5, "proposers": 1, "symmetry": True},
    {"proposers": 1, "loss": True, "duplicate": True, "crashes": 1},
    {"proposers": 1, "inquiries": 1},
]

BROKEN: list[dict[str, object]] = [
    {"variant": "stubborn-proposer"},
    {"variant": "stubborn-proposer", "loss": True},
    {"variant": "early-learner"},
    {"variant": "early-learner", "invariants": ("knowledge",)},
    {"variant": "early-learner", "invariants": ("agreement",)},
    {"variant": "reused-ballot"},
    {"variant": "reused-ballot", "invariants": ("agreement",)},
    {"variant": "forgetful-acceptor", "crashes": 1},
    {"variant": "forgetful-acceptor", "crashes": 1, "invariants": ("agreement",)},
    {"variant": "small-quorums"},
    {"variant": "small-quorums", "q1": 2, "q2": 1},
    {"variant": "small-quorums", "q1": 1, "q2": 1},
    {"variant": "small-quorums", "q1": 1, "q2": 2},
    {"variant": "small-quorums", "caravans": 4},
    {"variant": "small-quorums", "caravans": 4, "symmetry": True},
    {"variant": "stubborn-proposer", "duplicate": True},
]


def _both(options: dict[str, object]) -> tuple[SearchResult, SearchResult, Model]:
    plain = search(Model(ExploreOptions(**options)))  # type: ignore[arg-type]
    model = Model(ExploreOptions(**options))  # type: ignore[arg-type]
    return plain, search(model, por=True), model


@pytest.mark.parametrize("options", SAFE, ids=repr)
def test_sleep_sets_keep_every_state_and_try_fewer_moves(options: dict[str, object]) -> None:
    plain, reduced, _ = _both(options)
    assert plain.complete and reduced.complete
    assert reduced.states == plain.states
    assert reduced.depth == plain.depth
    assert reduced.symmetric_states == plain.symmetric_states
    # Every move of every state is either tried or asleep.
    assert reduced.transitions + reduced.pruned == plain.transitions


def test_sleep_sets_do_put_moves_to_sleep() -> None:
    _, reduced, _ = _both({})
    assert reduced.pruned > 0.1 * reduced.transitions


@pytest.mark.parametrize("options", BROKEN, ids=repr)
def test_sleep_sets_keep_the_verdict_and_the_shortest_counterexample(
    options: dict[str, object],
) -> None:
    plain, reduced, model = _both(options)
    assert reduced.violation == plain.violation is not None
    assert len(reduced.path) == len(plain.path)
    # The path found is a real one: real caravans and the monitor agree on it.
    assert reduced.violation is not None
    story = counterexample(model, reduced.path, reduced.violation)
    assert story.length == len(plain.path) - 1


def test_sleep_sets_need_the_breadth_first_search() -> None:
    with pytest.raises(ValueError, match="breadth-first"):
        search(Model(ExploreOptions(proposers=1)), strategy="dfs", por=True)


def test_explore_por_tells_how_many_moves_slept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "--por", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Safety holds in all 85,706 states." in out
    assert "Partial-order reduction: " in out and "moves asleep" in out


def test_explore_por_with_dfs_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "--por", "--strategy", "dfs"]) == 2
    assert "--por" in capsys.readouterr().err
