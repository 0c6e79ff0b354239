"""The safety monitor flags each kind of violation, and the broken variants trip it in the simulator."""

from __future__ import annotations

import dataclasses

import pytest

from desert_paxos.check import SafetyMonitor
from desert_paxos.protocol import AcceptorRecord, Ballot
from desert_paxos.scenario import Delay, Network, Proposal, Scenario, TimelineEvent, load_builtin
from desert_paxos.sim import Simulation


def test_agreement_violation_names_both_caravans() -> None:
    m = SafetyMonitor(phase2_quorum=1)
    m.on_propose("Siwa")
    m.on_propose("Timbuktu")
    b1 = Ballot(1, "Itri")
    assert (
        m.on_persist(4, "Itri", AcceptorRecord(accepted_ballot=b1, accepted_value="Siwa")) is None
    )
    assert m.on_decide(5, "Itri", "Siwa") is None
    v = m.on_decide(9, "Taziri", "Timbuktu")
    assert v is not None and v.invariant == "agreement" and v.t == 9
    assert "Itri" in v.message and "Taziri" in v.message


def test_validity_violation_for_an_unproposed_value() -> None:
    m = SafetyMonitor(phase2_quorum=3)
    v = m.on_decide(1, "Itri", "Mirage")
    assert v is not None and v.invariant == "validity"


def test_single_choice_counts_a_quorum_per_ballot() -> None:
    m = SafetyMonitor(phase2_quorum=2)
    b1, b2 = Ballot(1, "Aghilas"), Ballot(2, "Taziri")
    rec = AcceptorRecord
    assert m.on_persist(1, "A", rec(promised=b1, accepted_ballot=b1, accepted_value="Siwa")) is None
    assert m.on_persist(2, "B", rec(promised=b1, accepted_ballot=b1, accepted_value="Siwa")) is None
    assert m.chosen == {b1: "Siwa"}
    assert (
        m.on_persist(3, "C", rec(promised=b2, accepted_ballot=b2, accepted_value="Timbuktu"))
        is None
    )
    v = m.on_persist(4, "D", rec(promised=b2, accepted_ballot=b2, accepted_value="Timbuktu"))
    assert v is not None and v.invariant == "single-choice"


def test_single_choice_catches_two_values_chosen_under_one_ballot() -> None:
    # One ballot carrying two values (a proposer that reused its ballot after a crash) must
    # not hide behind the first value chosen under it.
    m = SafetyMonitor(phase2_quorum=2)
    b1 = Ballot(1, "Aghilas")
    rec = AcceptorRecord
    assert (
        m.on_persist(1, "A", rec(promised=b1, accepted_ballot=b1, accepted_value="Timbuktu"))
        is None
    )
    assert (
        m.on_persist(2, "M", rec(promised=b1, accepted_ballot=b1, accepted_value="Timbuktu"))
        is None
    )
    assert m.on_persist(3, "T", rec(promised=b1, accepted_ballot=b1, accepted_value="Siwa")) is None
    v = m.on_persist(4, "M", rec(promised=b1, accepted_ballot=b1, accepted_value="Siwa"))
    assert v is not None and v.invariant == "single-choice"
    assert "'Siwa' was chosen under (1, Aghilas)" in v.message


def test_promise_going_down_is_flagged() -> None:
    m = SafetyMonitor(phase2_quorum=3)
    assert m.on_promise(1, "Itri", Ballot(3, "Aghilas")) is None
    assert m.on_promise(2, "Itri", Ballot(3, "Aghilas")) is None
    v = m.on_promise(3, "Itri", None)
    assert v is not None and v.invariant == "promise-monotonic"


def test_real_paxos_holds_where_the_stubborn_proposer_breaks() -> None:
    base = load_builtin("proposer-collapses")
    assert Simulation(base).run().violation is None
    broken = Simulation(dataclasses.replace(base, variant="stubborn-proposer")).run()
    assert broken.violation is not None
    assert broken.violation.invariant in ("single-choice", "agreement")


def _forgetful_desert(variant: str) -> Scenario:
    return Scenario(
        name="forgetful",
        variant=variant,
        network=Network(delay=Delay(low=5, high=40)),
        proposals=(
            Proposal(at=0, caravan="Aghilas", campsite="Siwa"),
            Proposal(at=5, caravan="Tassadit", campsite="Timbuktu"),
        ),
        timeline=tuple(
            TimelineEvent(at=t, kind=k, caravan=c)
            for t, k, c in (
                (30, "crash", "Amastan"),
                (31, "recover", "Amastan"),
                (60, "crash", "Itri"),
                (61, "recover", "Itri"),
            )
        ),
        until=2000,
    )


@pytest.mark.parametrize("seed", range(5))
def test_real_paxos_holds_in_the_forgetful_desert(seed: int) -> None:
    assert Simulation(_forgetful_desert("paxos"), seed=seed).run().violation is None


def test_forgetful_acceptor_is_caught_on_some_seed() -> None:
    caught = [
        Simulation(_forgetful_desert("forgetful-acceptor"), seed=seed).run().violation
        for seed in range(20)
    ]
    kinds = {v.invariant for v in caught if v is not None}
    assert kinds, "no seed exposed the forgotten promise"
    assert kinds <= {"promise-monotonic", "single-choice", "agreement"}


def test_violation_stops_the_run_and_is_traced() -> None:
    base = dataclasses.replace(load_builtin("proposer-collapses"), variant="stubborn-proposer")
    events: list[dict[str, object]] = []
    result = Simulation(base, observers=[events.append]).run()
    assert result.end_reason == "violation"
    assert events[-2]["kind"] == "violation" and events[-1]["kind"] == "end"


# -- knowledge: a caravan decides only what a quorum voted for under one ballot ---------------


def test_deciding_on_one_vote_breaks_knowledge() -> None:
    m = SafetyMonitor(phase2_quorum=2)
    m.on_propose("Siwa")
    b1 = Ballot(1, "Aghilas")
    vote = AcceptorRecord(promised=b1, accepted_ballot=b1, accepted_value="Siwa")
    assert m.on_persist(1, "Aghilas", vote) is None
    v = m.on_decide(2, "Aghilas", "Siwa")
    assert v is not None and v.invariant == "knowledge" and v.t == 2
    assert "Aghilas decided 'Siwa'" in v.message and "1 of 2 votes under (1, Aghilas)" in v.message


def test_deciding_after_a_quorum_of_votes_keeps_knowledge() -> None:
    m = SafetyMonitor(phase2_quorum=2)
    m.on_propose("Siwa")
    b1 = Ballot(1, "Aghilas")
    vote = AcceptorRecord(promised=b1, accepted_ballot=b1, accepted_value="Siwa")
    assert m.on_persist(1, "Aghilas", vote) is None
    assert m.on_persist(2, "Amastan", vote) is None
    assert m.on_decide(3, "Aghilas", "Siwa") is None
    assert m.on_decide(4, "Taziri", "Siwa") is None


def test_votes_split_across_ballots_are_not_a_quorum() -> None:
    # Two votes for one campsite, but under two ballots: nobody may know it is chosen.
    m = SafetyMonitor(phase2_quorum=2)
    m.on_propose("Siwa")
    b1, b2 = Ballot(1, "Aghilas"), Ballot(2, "Aghilas")
    rec = AcceptorRecord
    assert (
        m.on_persist(1, "Aghilas", rec(promised=b1, accepted_ballot=b1, accepted_value="Siwa"))
        is None
    )
    assert (
        m.on_persist(2, "Amastan", rec(promised=b2, accepted_ballot=b2, accepted_value="Siwa"))
        is None
    )
    v = m.on_decide(3, "Aghilas", "Siwa")
    assert v is not None and v.invariant == "knowledge"


def test_an_early_decision_still_counts_for_agreement() -> None:
    # A checker watching only agreement must still see the second, different decision.
    m = SafetyMonitor(phase2_quorum=2)
    m.on_propose("Siwa")
    m.on_propose("Timbuktu")
    first = m.on_decide(1, "Aghilas", "Siwa")
    assert first is not None and first.invariant == "knowledge"
    second = m.on_decide(2, "Taziri", "Timbuktu")
    assert second is not None and second.invariant == "agreement"


@pytest.mark.parametrize("seed", range(4))
def test_the_early_learner_is_caught_by_knowledge_before_anyone_disagrees(seed: int) -> None:
    scenario = dataclasses.replace(load_builtin("proposer-collapses"), variant="early-learner")
    result = Simulation(scenario, seed=seed).run()
    assert result.violation is not None and result.violation.invariant == "knowledge"
    # The real protocol in the same desert decides only what a quorum voted for.
    assert Simulation(load_builtin("proposer-collapses"), seed=seed).run().violation is None


def test_a_vote_cast_under_a_reused_ballot_still_counts_after_the_acceptor_votes_again() -> None:
    # Taziri reused (1, Taziri) after a crash: Aghilas voted Siwa under it, then Timbuktu.
    # Its Siwa vote was cast (a learner may have counted it), so Taziri's own Siwa vote later
    # completes a quorum for Siwa under the ballot that had already chosen Timbuktu.
    m = SafetyMonitor(phase2_quorum=2, caravans=("Aghilas", "Taziri"))
    b1 = Ballot(1, "Taziri")
    rec = AcceptorRecord
    assert m.on_persist(1, "Aghilas", rec(accepted_ballot=b1, accepted_value="Siwa")) is None
    assert m.on_persist(2, "Aghilas", rec(accepted_ballot=b1, accepted_value="Timbuktu")) is None
    assert m.on_persist(3, "Taziri", rec(accepted_ballot=b1, accepted_value="Timbuktu")) is None
    assert m.chosen == {b1: "Timbuktu"}
    v = m.on_persist(4, "Taziri", rec(accepted_ballot=b1, accepted_value="Siwa"))
    assert v is not None and v.invariant == "single-choice"
    assert m.just_chosen == (b1, "Siwa", ("Aghilas", "Taziri"))
