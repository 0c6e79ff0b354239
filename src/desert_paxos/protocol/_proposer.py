"""The proposer role: leading the caravans to one campsite.

Theory of operation
-------------------
Phase 1a: pick a ballot higher than any seen and send ``Prepare`` to every
caravan, itself included. Phase 1b: once a phase-1 quorum has promised, take
the value of the highest-ballot proposal reported in those promises, if any;
only when none was reported may the proposer use its own wish. This adoption
is the heart of Paxos safety: a value that may already be chosen is carried
forward instead of overwritten. Phase 2a: send ``Accept`` with that value.
Phase 2b: the acceptors' votes come back to this proposer, which is the
distinguished learner for its ballot: a phase-2 quorum of votes for the ballot
means the value is chosen.

When enough acceptors refuse (``Nack``) that no quorum can form, or the phase
timer fires, the proposer backs off for a random time (the range doubles with
every failed attempt; the interpreter draws the number) and retries with a
round above every round it has heard of. That randomness is what breaks the
livelock of two proposers preempting each other forever.
"""

from __future__ import annotations

from ._ballot import Ballot
from ._config import Config
from ._effects import Adopt, CancelTimer, Effect, Send, SetTimer
from ._messages import Accept, Accepted, Nack, Prepare, Promise, Proposal

__all__ = ["PHASES", "PROPOSER_TIMER", "Proposer"]

PROPOSER_TIMER = "proposer"
IDLE, PREPARING, ACCEPTING, BACKING_OFF, DONE = (
    "idle",
    "preparing",
    "accepting",
    "backing-off",
    "done",
)
PHASES = (IDLE, PREPARING, ACCEPTING, BACKING_OFF, DONE)


class Proposer:
    __slots__ = (
        "attempts",
        "ballot",
        "config",
        "max_round",
        "name",
        "phase",
        "promises",
        "refusals",
        "value",
        "votes",
        "wish",
    )

    def __init__(self, config: Config, name: str) -> None:
        self.config = config
        self.name = name
        self.wish: str | None = None  # the campsite this caravan would like
        self.phase = IDLE
        self.ballot: Ballot | None = None
        self.max_round = 0  # highest round heard of, ours or anyone's
        self.promises: dict[str, Proposal | None] = {}
        self.refusals: set[str] = set()
        self.votes: set[str] = set()
        self.value: str | None = None  # the value being pushed in phase 2
        self.attempts = 0

    # -- commands ---------------------------------------------------------

    def propose(self, value: str, seen_round: int) -> list[Effect]:
        if self.phase == DONE:
            return []
        self.wish = value
        return self._start_phase1(seen_round)

    def stop(self) -> list[Effect]:
        """The caravan learned the decision: nothing left to lead."""
        was_active = self.phase in (PREPARING, ACCEPTING, BACKING_OFF)
        self.phase = DONE
        return [CancelTimer(name=PROPOSER_TIMER)] if was_active else []

    # -- phase 1 ----------------------------------------------------------

    def _start_phase1(self, seen_round: int) -> list[Effect]:
        self.max_round = max(self.max_round, seen_round) + 1
        ballot = Ballot(self.max_round, self.name)
        self.ballot = ballot
        self.phase = PREPARING
        self.promises = {}
        self.refusals = set()
        self.votes = set()
        self.value = None
        prepare = Prepare(ballot=ballot)
        effects: list[Effect] = [Send(dst=dst, msg=prepare) for dst in self.config.caravans]
        timeout = self.config.phase_timeout
        effects.append(SetTimer(name=PROPOSER_TIMER, low=timeout, high=timeout))
        return effects

    def on_promise(self, src: str, msg: Promise) -> list[Effect]:
        if self.phase != PREPARING or msg.ballot != self.ballot:
            return []  # a late or stale answer: the proposer has moved on
        self.promises[src] = msg.accepted
        if len(self.promises) < self.config.phase1_quorum:
            return []
        return self._start_phase2(msg.ballot)

    def highest_reported(self) -> tuple[str, Proposal] | None:
        """The highest-ballot proposal reported in the promises, with who reported it."""
        best: tuple[str, Proposal] | None = None
        for caravan in self.config.caravans:  # fixed order: ties resolve the same way every run
            accepted = self.promises.get(caravan)
            if accepted is not None and (best is None or accepted.ballot > best[1].ballot):
                best = (caravan, accepted)
        return best

    # -- phase 2 ----------------------------------------------------------

    def _start_phase2(self, ballot: Ballot) -> list[Effect]:
        effects: list[Effect] = []
        reported = self.highest_reported()
        if reported is not None and self.config.variant.adopt_reported_value:
            reporter, proposal = reported
            value = proposal.value
            effects.append(
                Adopt(
                    ballot=ballot,
                    value=value,
                    from_ballot=proposal.ballot,
                    reported_by=reporter,
                    own_value=self.wish,
                )
            )
        elif self.wish is not None:
            value = self.wish
        else:  # nothing to propose and nothing reported: nothing this ballot can do
            self.phase = IDLE
            return [CancelTimer(name=PROPOSER_TIMER)]
        self.value = value
        self.phase = ACCEPTING
        accept = Accept(ballot=ballot, value=value)
        effects.extend(Send(dst=dst, msg=accept) for dst in self.config.caravans)
        timeout = self.config.phase_timeout
        effects.append(SetTimer(name=PROPOSER_TIMER, low=timeout, high=timeout))
        return effects

    def on_accepted(self, src: str, msg: Accepted) -> Proposal | None:
        """Count a vote; returns the chosen proposal once this ballot has enough votes."""
        if self.phase != ACCEPTING or msg.ballot != self.ballot:
            return None
        self.votes.add(src)
        needed = self.config.phase2_quorum if self.config.variant.learn_needs_quorum else 1
        if len(self.votes) < needed:
            return None
        return Proposal(ballot=msg.ballot, value=msg.value)

    # -- refusals and retries ---------------------------------------------

    def on_nack(self, src: str, msg: Nack) -> list[Effect]:
        self.max_round = max(self.max_round, msg.promised.round)
        if msg.ballot != self.ballot or self.phase not in (PREPARING, ACCEPTING):
            return []
        self.refusals.add(src)
        quorum = self.config.phase1_quorum if self.phase == PREPARING else self.config.phase2_quorum
        if self.config.size - len(self.refusals) >= quorum:
            return []  # a quorum can still answer yes
        return self._back_off()

    def _back_off(self) -> list[Effect]:
        self.phase = BACKING_OFF
        self.attempts += 1
        config = self.config
        high = config.backoff_high << min(self.attempts - 1, config.backoff_cap)
        return [SetTimer(name=PROPOSER_TIMER, low=config.backoff_low, high=high)]

    def on_timer(self, seen_round: int) -> list[Effect]:
        if self.phase in (PREPARING, ACCEPTING):
            return self._back_off()  # no quorum answered in time
        if self.phase == BACKING_OFF:
            return self._start_phase1(seen_round)
        return []
