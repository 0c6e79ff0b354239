"""Safety invariants, checked as the run goes.

Theory of operation
-------------------
Paxos promises safety, never progress, so these are the properties that must
hold after *every* event, whatever the desert does:

* agreement: no two caravans decide different campsites;
* validity: a decided campsite was proposed by someone;
* single choice: at most one value is ever chosen, where a value is chosen
  when a phase-2 quorum of acceptors voted for it under one ballot (checked on
  the acceptors' votes themselves, so it catches trouble before anyone learns);
* promises never go down: an acceptor's promise only grows, across crash and
  recovery too;
* knowledge: a caravan decides only a campsite that a phase-2 quorum of
  acceptors has voted for (written a vote in its logbook) under one ballot,
  Lamport's "a process never learns that a value has been chosen unless it
  actually has been". Agreement catches a wrong decision only once a second
  caravan disagrees; knowledge catches the first one.

The monitor is fed by the interpreter at exactly the events that can change
each property, which is equivalent to re-checking everything after every
event and costs almost nothing when nothing happens.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol import AcceptorRecord, Ballot, format_ballot

__all__ = ["INVARIANTS", "SafetyMonitor", "Violation"]

INVARIANTS: dict[str, str] = {
    "agreement": "no two caravans decide different campsites",
    "validity": "every decided campsite was proposed",
    "single-choice": "at most one campsite is chosen by a quorum of acceptor votes",
    "promise-monotonic": "an acceptor's promise never goes down, across crashes too",
    "knowledge": "a caravan decides only a campsite a quorum voted for under one ballot",
}


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str
    t: int
    message: str

    @property
    def rule(self) -> str:
        return INVARIANTS[self.invariant]


class SafetyMonitor:
    __slots__ = (
        "caravans",
        "chosen",
        "decisions",
        "just_chosen",
        "phase2_quorum",
        "promises",
        "proposed",
        "votes",
    )

    def __init__(self, phase2_quorum: int, caravans: tuple[str, ...] = ()) -> None:
        self.phase2_quorum = phase2_quorum
        self.caravans = caravans  # the order voters are listed in (persist order otherwise)
        # Set by on_persist to the vote that completed a phase-2 quorum, else None:
        # (ballot, value, voters in caravan order). The moment a campsite is chosen.
        self.just_chosen: tuple[Ballot, str, tuple[str, ...]] | None = None
        self.proposed: set[str] = set()
        self.decisions: dict[str, str] = {}  # caravan -> first campsite it decided
        # ballot -> campsite -> every acceptor that ever voted for it under that ballot, in
        # order. Ever, not now: an acceptor of a reused ballot may vote again for another
        # campsite, but its first vote was cast and may have been counted by a learner.
        self.votes: dict[Ballot, dict[str, list[str]]] = {}
        self.chosen: dict[Ballot, str] = {}
        self.promises: dict[str, Ballot] = {}  # highest promise each acceptor ever made

    def copy(self) -> SafetyMonitor:
        other = SafetyMonitor(self.phase2_quorum, self.caravans)
        other.proposed = set(self.proposed)
        other.decisions = dict(self.decisions)
        other.votes = {b: {v: list(a) for v, a in by.items()} for b, by in self.votes.items()}
        other.chosen = dict(self.chosen)
        other.promises = dict(self.promises)
        return other

    def on_propose(self, value: str) -> None:
        self.proposed.add(value)

    def on_promise(self, t: int, node: str, promised: Ballot | None) -> Violation | None:
        best = self.promises.get(node)
        if best is None:
            if promised is not None:
                self.promises[node] = promised
            return None
        if promised is None or promised < best:
            now = format_ballot(promised)
            return Violation(
                "promise-monotonic",
                t,
                f"{node} had promised {format_ballot(best)} but now follows {now}",
            )
        self.promises[node] = promised
        return None

    def on_persist(self, t: int, node: str, record: AcceptorRecord) -> Violation | None:
        self.just_chosen = None
        ballot, value = record.accepted_ballot, record.accepted_value
        if ballot is None or value is None:
            return None
        voters = self.votes.setdefault(ballot, {}).setdefault(value, [])
        if node in voters:
            return None
        voters.append(node)
        tally = len(voters)
        if tally < self.phase2_quorum:
            return None
        earlier = self.chosen.get(ballot)
        if earlier == value:
            return None
        if earlier is None or tally == self.phase2_quorum:
            self.just_chosen = (ballot, value, self._in_order(voters))
        if earlier is None:  # a second value under one ballot is a violation too, below
            self.chosen[ballot] = value
        for other_ballot, other_value in self.chosen.items():
            if other_value != value:
                return Violation(
                    "single-choice",
                    t,
                    f"{value!r} was chosen under {format_ballot(ballot)} but {other_value!r} "
                    f"had been chosen under {format_ballot(other_ballot)}",
                )
        return None

    def _in_order(self, voters: list[str]) -> tuple[str, ...]:
        names = list(voters)
        order = self.caravans
        if order:
            names.sort(key=lambda name: order.index(name) if name in order else len(order))
        return tuple(names)

    def on_decide(self, t: int, node: str, value: str) -> Violation | None:
        if value not in self.proposed:
            return Violation("validity", t, f"{node} decided {value!r}, which nobody proposed")
        for other, other_value in self.decisions.items():
            if other_value != value:
                return Violation(
                    "agreement",
                    t,
                    f"{node} decided {value!r} but {other} had decided {other_value!r}",
                )
        # Recorded before knowledge is judged, so a checker watching only agreement
        # still compares the next decision with this one.
        self.decisions.setdefault(node, value)
        if value in self.chosen.values():
            return None
        needed, most, under = self.phase2_quorum, 0, None
        for ballot, by_value in self.votes.items():
            tally = len(by_value.get(value, ()))
            if tally >= needed:  # a second value under one ballot: single-choice's to tell
                return None
            if tally > most:
                most, under = tally, ballot
        if under is None:
            told = f"{node} decided {value!r}, which no acceptor has voted for"
        else:
            told = (
                f"{node} decided {value!r} before a quorum voted for it: {most} of {needed} "
                f"votes under {format_ballot(under)}"
            )
        return Violation("knowledge", t, told)
