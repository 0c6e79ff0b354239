"""The model checker's search: proofs by exhaustion, pinned state counts, shortest counterexamples.

The pinned numbers are the model's fingerprint: a change to the protocol core, to the
explorer's model of the desert or to the invariants moves them, and that should be noticed
(and explained in docs/variants.md) rather than slip by.
"""

from __future__ import annotations

from typing import Any

import pytest

from desert_paxos.explore import (
    ExploreOptions,
    Model,
    SearchResult,
    _breadth,
    counterexample,
    search,
)
from desert_paxos.protocol import (
    VARIANTS,
    Accept,
    Ballot,
    Caravan,
    Prepare,
    Promise,
    Proposal,
)


def _search(**options: object) -> tuple[Model, SearchResult]:
    model = Model(ExploreOptions(**options))  # type: ignore[arg-type]
    return model, search(model)


# -- the real protocol: safe, with the unique state count of each small configuration ----------


@pytest.mark.parametrize(
    ("options", "states"),
    [
        ({"proposers": 1}, 292),
        ({"proposers": 1, "crashes": 1}, 2121),
        ({"proposers": 1, "crashes": 1, "self_delay": True}, 8537),
        ({"proposers": 1, "max_round": 2}, 56449),
        ({}, 85706),  # the default: 3 caravans, 2 proposers, one ballot round each
        ({"duplicate": True}, 41871),
        ({"caravans": 4, "proposers": 1}, 1734),
        ({"q1": 3, "q2": 1}, 2011),
    ],
)
def test_the_real_protocol_is_safe_in_every_state(options: dict[str, object], states: int) -> None:
    _, result = _search(**options)
    assert result.violation is None
    assert result.complete
    assert result.states == states


def test_depth_first_visits_exactly_the_states_breadth_first_does() -> None:
    model = Model(ExploreOptions(proposers=1, crashes=1))
    bfs = search(model, strategy="bfs")
    dfs = search(Model(ExploreOptions(proposers=1, crashes=1)), strategy="dfs")
    assert bfs.complete and dfs.complete
    assert bfs.states == dfs.states
    assert bfs.transitions == dfs.transitions


def test_the_same_options_always_give_the_same_search() -> None:
    first = search(Model(ExploreOptions(variant="stubborn-proposer")))
    again = search(Model(ExploreOptions(variant="stubborn-proposer")))
    assert (first.states, first.transitions, first.path) == (
        again.states,
        again.transitions,
        again.path,
    )


# -- every broken variant is caught, and its shortest counterexample is pinned -----------------


@pytest.mark.parametrize(
    ("options", "invariant", "steps"),
    [
        ({"variant": "stubborn-proposer"}, "single-choice", 8),
        ({"variant": "early-learner"}, "knowledge", 3),
        ({"variant": "early-learner", "invariants": ("knowledge",)}, "knowledge", 3),
        ({"variant": "early-learner", "invariants": ("agreement",)}, "agreement", 6),
        ({"variant": "reused-ballot"}, "promise-monotonic", 3),
        ({"variant": "reused-ballot", "invariants": ("agreement",)}, "agreement", 10),
        ({"variant": "forgetful-acceptor", "crashes": 1}, "promise-monotonic", 3),
        (
            {"variant": "forgetful-acceptor", "crashes": 1, "invariants": ("agreement",)},
            "agreement",
            12,
        ),
        ({"variant": "small-quorums"}, "single-choice", 2),
        ({"variant": "small-quorums", "q1": 2, "q2": 1}, "single-choice", 6),
    ],
)
def test_each_broken_variant_breaks_in_its_shortest_counterexample(
    options: dict[str, object], invariant: str, steps: int
) -> None:
    model, result = _search(**options)
    assert result.violation == invariant
    assert len(result.path) - 1 == steps
    story = counterexample(model, result.path, invariant)
    assert story.length == steps
    assert story.events[-2]["kind"] == "violation"
    assert story.events[-2]["invariant"] == invariant


def test_the_real_protocol_keeps_knowledge_where_the_early_learner_breaks_it() -> None:
    # Only the knowledge invariant watched: the real protocol never decides before a quorum
    # voted; the early learner does on its first vote, before anyone disagrees with it.
    _, real = _search(invariants=("knowledge",))
    assert real.complete and real.violation is None and real.states == 85706
    model, early = _search(variant="early-learner", invariants=("knowledge",))
    story = counterexample(model, early.path, "knowledge")
    decides = [e for e in story.events if e["kind"] == "decide"]
    assert len(decides) == 1  # one caravan, one decision: nobody has disagreed yet
    assert "before a quorum voted for it: 1 of 2 votes" in story.message


def test_every_broken_variant_is_caught_in_the_default_desert() -> None:
    caught = {}
    for name in VARIANTS:
        if name == "volatile-round":
            # Reached only with --self-delay and a crash, a search of minutes (docs/variants.md):
            # test_a_volatile_round_lets_a_recovered_proposer_reuse_its_ballot walks its story.
            continue
        crashes = 1 if name == "forgetful-acceptor" else 0
        _, result = _search(variant=name, crashes=crashes, proposers=2)
        caught[name] = result.violation
    assert caught.pop("paxos") is None
    assert all(caught.values()), caught


@pytest.mark.parametrize(("q1", "q2"), [(1, 1), (1, 2), (2, 1)])
def test_flexible_paxos_breaks_when_the_quorums_need_not_meet(q1: int, q2: int) -> None:
    _, result = _search(variant="small-quorums", q1=q1, q2=q2)
    assert result.violation == "single-choice"


@pytest.mark.parametrize(("q1", "q2"), [(3, 1), (3, 2), (2, 3)])
def test_flexible_paxos_holds_whenever_q1_plus_q2_exceeds_n(q1: int, q2: int) -> None:
    plain = search(Model(ExploreOptions(q1=q1, q2=q2)))
    small = search(Model(ExploreOptions(q1=q1, q2=q2, variant="small-quorums")))
    assert plain.violation is None and small.violation is None
    # small-quorums is the real protocol with hand-picked quorums: the very same states.
    assert plain.states == small.states


def test_loss_cannot_shorten_a_counterexample() -> None:
    # In an untimed model a lost rider is one that has not arrived yet, so loss adds states
    # but never a new way to break; the shortest counterexample keeps its length.
    _, without = _search(variant="stubborn-proposer")
    _, lossy = _search(variant="stubborn-proposer", loss=True)
    assert lossy.states > without.states
    assert len(lossy.path) == len(without.path)


# -- symmetry --------------------------------------------------------------------------------


@pytest.mark.parametrize("caravans", [4, 5])
def test_symmetry_visits_fewer_states_that_stand_for_exactly_the_plain_ones(
    caravans: int,
) -> None:
    plain = search(Model(ExploreOptions(caravans=caravans, proposers=1)))
    folded = search(Model(ExploreOptions(caravans=caravans, proposers=1, symmetry=True)))
    assert folded.complete and plain.complete
    assert folded.states < plain.states
    assert folded.symmetric_states == plain.states


def test_symmetry_keeps_the_verdict_and_the_shortest_length() -> None:
    plain = search(Model(ExploreOptions(caravans=4, proposers=2, variant="small-quorums")))
    model = Model(ExploreOptions(caravans=4, proposers=2, variant="small-quorums", symmetry=True))
    folded = search(model)
    assert folded.violation == plain.violation == "single-choice"
    assert len(folded.path) == len(plain.path)
    # The symmetric path is told with real caravans all the same.
    assert counterexample(model, folded.path, "single-choice").length == len(plain.path) - 1


@pytest.mark.parametrize("caravans", [4, 5])
def test_the_inlined_canonical_renaming_is_the_models_own(
    caravans: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search inlines Model's canonical renaming for speed; with it off (through the
    Model's methods, as the bench's profile runs) the search finds the same states."""
    options = ExploreOptions(caravans=caravans, proposers=2, symmetry=True)
    inlined = search(Model(options), max_states=40_000)
    monkeypatch.setattr(_breadth, "INLINE", False)
    called = search(Model(options), max_states=40_000)
    assert (called.states, called.transitions, called.depth, called.symmetric_states) == (
        inlined.states,
        inlined.transitions,
        inlined.depth,
        inlined.symmetric_states,
    )


# -- the search's limits ----------------------------------------------------------------------


def test_max_states_stops_the_search_and_says_so() -> None:
    result = search(Model(ExploreOptions()), max_states=5000)
    assert result.stopped == "max-states"
    assert not result.complete
    assert 5000 <= result.states < 85706


def test_ctrl_c_stops_the_search_and_keeps_what_was_covered() -> None:
    def interrupt(states: int, transitions: int, depth: int, seconds: float) -> None:
        raise KeyboardInterrupt

    result = search(Model(ExploreOptions()), progress=interrupt, progress_every=0.0)
    assert result.stopped == "interrupted"
    assert 0 < result.states < 85706


def test_progress_is_reported_with_growing_counts() -> None:
    seen: list[tuple[int, int, int]] = []

    def record(states: int, transitions: int, depth: int, seconds: float) -> None:
        seen.append((states, transitions, depth))

    search(Model(ExploreOptions()), progress=record, progress_every=0.0)
    assert len(seen) > 2
    assert seen == sorted(seen)


# -- the model drives the real caravans ---------------------------------------------------------


def test_the_explorer_runs_the_protocol_core_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = Caravan.on_message

    def counting(self: Caravan, src: str, msg: object) -> object:
        nonlocal calls
        calls += 1
        return real(self, src, msg)  # type: ignore[arg-type]

    monkeypatch.setattr(Caravan, "on_message", counting)
    search(Model(ExploreOptions(proposers=1)))
    assert calls > 0


def test_a_state_decodes_to_real_snapshots() -> None:
    model = Model(ExploreOptions(proposers=1))
    start = model.view(model.initial)
    assert start.in_flight == ()
    assert start.proposed == (False, True, True)  # only the proposer still has a wish
    moves = dict((action, state) for action, state, _ in model.successors(model.initial))
    after = model.view(moves[("propose", 0)])
    # Aghilas's word to itself has arrived at once; its Prepare rides to the other two.
    assert [(src, dst) for src, dst, _, _ in after.in_flight] == [
        ("Aghilas", "Taziri"),
        ("Aghilas", "Amastan"),
    ]
    restored = Caravan.restore(model.config, "Aghilas", after.caravans[0])
    assert restored.promised is not None and restored.promised.caravan == "Aghilas"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"caravans": 6}, "--caravans must be 1 to 5"),
        ({"proposers": 4}, "--proposers must be 1 to 3"),
        ({"max_round": 0}, "--max-round"),
        ({"variant": "nope"}, "--variant 'nope' is unknown"),
        ({"q1": 1, "q2": 1}, "need not meet"),
        ({"q2": 9}, "--q2 must be 1 to 3"),
        ({"invariants": ("liveness",)}, "--invariant 'liveness' is unknown"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], needle: str) -> None:
    problems = ExploreOptions(**options).problems()  # type: ignore[arg-type]
    assert any(needle in p for p in problems), problems
    with pytest.raises(ValueError, match="--"):
        Model(ExploreOptions(**options))  # type: ignore[arg-type]


# -- ballots unique across a crash: the proposer's round in the logbook ------------------------

_A, _T, _M = "Aghilas", "Taziri", "Amastan"
_SIWA, _TIMBUKTU = "Oasis of Siwa", "Wells of Timbuktu"


def _ballot(name: str) -> Ballot:
    return Ballot(1, name)


# Taziri carries Siwa forward under (1, Taziri), collapses before its own acceptor heard its
# Prepare, gets up with an empty logbook, is asked again and opens (1, Taziri) once more, this
# time for its own Timbuktu; both campsites then gather a quorum under the one ballot.
_REUSED_BALLOT_STORY: list[tuple[Any, ...]] = [
    ("propose", _A),
    ("deliver", _A, _A, Prepare(ballot=_ballot(_A))),
    ("deliver", _A, _M, Prepare(ballot=_ballot(_A))),
    ("deliver", _M, _A, Promise(ballot=_ballot(_A), accepted=None)),
    ("deliver", _A, _A, Promise(ballot=_ballot(_A), accepted=None)),
    ("deliver", _A, _A, Accept(ballot=_ballot(_A), value=_SIWA)),
    ("propose", _T),
    ("deliver", _T, _A, Prepare(ballot=_ballot(_T))),
    ("deliver", _T, _M, Prepare(ballot=_ballot(_T))),
    (
        "deliver",
        _A,
        _T,
        Promise(ballot=_ballot(_T), accepted=Proposal(ballot=_ballot(_A), value=_SIWA)),
    ),
    ("deliver", _M, _T, Promise(ballot=_ballot(_T), accepted=None)),
    ("crash", _T),
    ("recover", _T),
    ("propose", _T),
    ("deliver", _T, _T, Prepare(ballot=_ballot(_T))),
    ("deliver", _T, _M, Prepare(ballot=_ballot(_T))),
    ("deliver", _T, _T, Promise(ballot=_ballot(_T), accepted=None)),
    ("deliver", _M, _T, Promise(ballot=_ballot(_T), accepted=None)),
    ("deliver", _T, _T, Accept(ballot=_ballot(_T), value=_TIMBUKTU)),
    ("deliver", _T, _M, Accept(ballot=_ballot(_T), value=_TIMBUKTU)),
    ("deliver", _T, _A, Accept(ballot=_ballot(_T), value=_SIWA)),
    ("deliver", _T, _M, Accept(ballot=_ballot(_T), value=_SIWA)),
]


def _walk(model: Model, moves: list[tuple[Any, ...]]) -> tuple[list[int], str | None]:
    """Follow the moves through the model; the states visited and the invariant the last broke."""
    path, broken = [model.initial], None
    for move in moves:
        options = {}
        for action, nxt, problem in model.successors(path[-1]):
            kind, arg = action
            rider = kind in ("deliver", "drop", "lose", "duplicate")
            named = (kind, *model.message(arg)) if rider else (kind, model.names[arg])
            options[named] = (nxt, problem)
        if move not in options:
            raise LookupError(f"step {len(path)}: the model offers no move {move[:3]}")
        nxt, broken = options[move]
        path.append(nxt)
    return path, broken


def test_a_volatile_round_lets_a_recovered_proposer_reuse_its_ballot() -> None:
    model = Model(ExploreOptions(variant="volatile-round", crashes=1, self_delay=True))
    path, broken = _walk(model, _REUSED_BALLOT_STORY)
    assert broken == "single-choice"
    # Real caravans and the simulator's monitor agree, step for step.
    story = counterexample(model, path, "single-choice")
    assert story.length == len(_REUSED_BALLOT_STORY)
    assert "'Oasis of Siwa' was chosen under (1, Taziri)" in story.message
    assert "'Wells of Timbuktu' had been chosen under (1, Taziri)" in story.message


def test_the_real_proposer_writes_its_round_down_so_it_never_reuses_a_ballot() -> None:
    moves = _REUSED_BALLOT_STORY
    again = moves.index(("propose", _T), moves.index(("recover", _T)))
    model = Model(ExploreOptions(crashes=1, self_delay=True))
    path, broken = _walk(model, moves[:again])
    assert broken is None
    assert model.record_of(path[-1], 1).tried_round == 1  # in Taziri's logbook, no promise
    with pytest.raises(LookupError, match="no move"):
        _walk(model, moves[: again + 1])  # round 2 is past --max-round 1
    # With room for a second round the recovered Taziri is asked again, and opens (2, Taziri).
    roomy = Model(ExploreOptions(crashes=1, self_delay=True, max_round=2))
    path, _ = _walk(roomy, moves[: again + 1])
    flying = {(src, dst, msg) for src, dst, msg, _ in roomy.view(path[-1]).in_flight}
    assert (_T, _M, Prepare(ballot=Ballot(2, _T))) in flying
    assert (_T, _M, Prepare(ballot=_ballot(_T))) not in flying


def test_without_self_delay_the_volatile_round_is_as_safe_as_the_real_one() -> None:
    # A caravan's word to itself arriving at once writes the promise before any rider leaves:
    # the recovered proposer starts above it. One proposer keeps the search small.
    _, volatile = _search(variant="volatile-round", proposers=1, crashes=1)
    assert volatile.complete and volatile.violation is None
