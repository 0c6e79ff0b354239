"""``explore --workers N``: the same states as one process, and no process left behind."""

from __future__ import annotations

import multiprocessing

import pytest

from desert_paxos.cli import main
from desert_paxos.explore import ExploreOptions, Model, counterexample, search


def _workers_left() -> list[str]:
    return [p.name for p in multiprocessing.active_children() if "explore" in p.name]


@pytest.mark.parametrize(
    ("options", "por"),
    [
        ({}, False),  # the default desert: 85,706 states
        ({"proposers": 1, "crashes": 1}, True),
        ({"caravans": 4, "proposers": 1, "symmetry": True}, False),
        ({"proposers": 1, "duplicate": True, "loss": True}, True),
    ],
    ids=repr,
)
def test_a_parallel_search_finds_exactly_the_states_of_one_process(
    options: dict[str, object], por: bool
) -> None:
    serial = search(Model(ExploreOptions(**options)), por=por)  # type: ignore[arg-type]
    shared = search(Model(ExploreOptions(**options)), workers=2, por=por)  # type: ignore[arg-type]
    assert serial.complete and shared.complete
    assert shared.workers == 2
    assert shared.states == serial.states
    assert shared.depth == serial.depth
    assert shared.symmetric_states == serial.symmetric_states
    # Every move of every state is tried or asleep: as many as one process has.
    assert shared.transitions + shared.pruned == serial.transitions + serial.pruned
    assert _workers_left() == []


def test_three_workers_break_the_same_invariant_after_as_many_steps() -> None:
    options = ExploreOptions(variant="stubborn-proposer")
    serial = search(Model(options))
    model = Model(options)
    shared = search(model, workers=3)
    assert shared.violation == serial.violation == "single-choice"
    assert len(shared.path) == len(serial.path)
    # The path was followed back across the workers: real caravans agree with it.
    story = counterexample(model, shared.path, "single-choice")
    assert story.length == len(serial.path) - 1
    assert _workers_left() == []


def test_a_bound_stops_every_worker_and_says_so() -> None:
    result = search(Model(ExploreOptions()), workers=2, max_states=5000)
    assert result.stopped == "max-states"
    assert 5000 <= result.states < 85706
    assert _workers_left() == []


def test_ctrl_c_stops_every_worker_and_keeps_what_was_covered() -> None:
    def interrupt(states: int, transitions: int, depth: int, seconds: float) -> None:
        if depth >= 3:
            raise KeyboardInterrupt

    result = search(Model(ExploreOptions()), workers=2, progress=interrupt, progress_every=0.0)
    assert result.stopped == "interrupted"
    assert 0 < result.states < 85706
    assert _workers_left() == []


def test_workers_need_the_breadth_first_search() -> None:
    with pytest.raises(ValueError, match="breadth-first"):
        search(Model(ExploreOptions(proposers=1)), strategy="dfs", workers=2)


def test_explore_workers_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "--proposers", "1", "--workers", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "on 2 processes" in out
    assert "Safety holds in all 292 states." in out
    assert main(["explore", "--workers", "65"]) == 2
    assert "--workers must be 1 to 64" in capsys.readouterr().err
