"""Broken variants of Paxos, each one small change that teaches one rule.

Theory of operation
-------------------
Each rule of "Paxos Made Simple" exists because dropping it lets two different
values be chosen. A :class:`Variant` is a set of switches the real roles
consult at exactly the place the rule lives, so a broken variant is the real
protocol with one line of reasoning removed, never a second implementation:

* ``paxos``: the real protocol.
* ``forgetful-acceptor``: an acceptor keeps its phase-1 promise only in memory;
  a crash and recovery forget it, and an older proposer slips in behind a newer one.
* ``stubborn-proposer``: a proposer ignores the accepted proposals reported in
  promises and pushes its own value (phase 2a without the adoption rule).
* ``early-learner``: the distinguished learner decides on the first vote it sees
  instead of waiting for a quorum of votes for one ballot.
* ``reused-ballot``: acceptors compare only ballot rounds, so two proposers that
  pick the same round are treated as the same ballot.
* ``small-quorums``: the real roles, run with phase-1 and phase-2 quorums chosen by
  hand; safe when ``q1 + q2 > n`` (Flexible Paxos), broken when they need not intersect.
* ``volatile-round``: a proposer keeps the highest round it has tried only in
  memory; a proposer that collapses before its own acceptor wrote its promise
  gets up and may open the very same ballot again, for another campsite.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VARIANTS", "Variant", "variant_named"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    name: str
    lesson: str
    # The variant as the subject of a sentence ("the stubborn proposer"), for the explorer's
    # mark of the step where it departs from real Paxos.
    who: str = ""
    # What the explorer must allow for the broken rule to matter, as (ExploreOptions field,
    # value): explored so by default, and named whenever they are off and safety holds.
    needs: tuple[tuple[str, int], ...] = ()
    persist_promise: bool = True
    adopt_reported_value: bool = True
    learn_needs_quorum: bool = True
    ballot_owner_breaks_ties: bool = True
    free_quorums: bool = False
    persist_round: bool = True


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            name="paxos",
            lesson="The real protocol: promises persist, values are adopted, quorums intersect.",
        ),
        Variant(
            name="forgetful-acceptor",
            lesson="A promise must survive a crash, or an older ballot sneaks in behind a newer one.",
            who="the forgetful acceptor",
            needs=(("crashes", 1),),
            persist_promise=False,
        ),
        Variant(
            name="stubborn-proposer",
            lesson="A proposer must adopt the highest accepted value reported in the promises.",
            who="the stubborn proposer",
            adopt_reported_value=False,
        ),
        Variant(
            name="early-learner",
            lesson="One vote is not a decision: a value is chosen only by a quorum for one ballot.",
            who="the early learner",
            learn_needs_quorum=False,
        ),
        Variant(
            name="reused-ballot",
            lesson="Ballots must be unique: two proposers with the same number look like one.",
            who="an acceptor that compares only rounds",
            ballot_owner_breaks_ties=False,
        ),
        Variant(
            name="small-quorums",
            lesson="Every phase-1 quorum must meet every phase-2 quorum (q1 + q2 > n).",
            who="a proposer whose quorums need not meet",
            free_quorums=True,
        ),
        Variant(
            name="volatile-round",
            lesson="A proposer must write its round down before its Prepare leaves, "
            "or after a crash it may reuse a ballot.",
            who="a proposer that keeps its round only in memory",
            needs=(("crashes", 1), ("self_delay", 1)),
            persist_round=False,
        ),
    )
}


def variant_named(name: str) -> Variant:
    """The variant called ``name``; raises ``KeyError`` listing the known names."""
    try:
        return VARIANTS[name]
    except KeyError:
        known = ", ".join(VARIANTS)
        raise KeyError(f"unknown variant {name!r} (known: {known})") from None
