"""The journey's leader, with its scout and its commanders.

Theory of operation
-------------------
As in *Paxos Made Moderately Complex*, a leader wins phase 1 once and then
runs only phase 2, night after night, for as long as nobody raises a higher
banner:

* The **scout** (phase 1) sends ``Prepare(b)`` to every caravan. A phase-1
  quorum of promises reports every vote its members hold above their floors.
  For each night above the highest floor reported, the leader must propose
  the command voted under the highest banner, if any (the single-decree
  adoption rule, per night); a night with no vote up to the highest voted
  night is a hole, closed with a rest day. The leader then opens new nights
  after that. This is phase 1 once for all open nights. A promiser whose floor
  is above what this leader has executed has compacted nights the leader never
  saw: the leader asks it to catch up (a ``CatchUp``, again at every retry
  until it has them), since it opens new nights only within its window.
* A **commander** (phase 2) per open night sends ``Accept(b, night, command)``
  and counts ``Accepted`` votes; a phase-2 quorum decides the night, and the
  leader tells every caravan a ``Decision``. The leader re-sends the open
  nights' Accepts every ``retry_every`` ticks until they are decided.
* While it leads, it sends a ``Heartbeat`` every ``heartbeat_every`` ticks.
  A follower that hears none for an election timeout (a drawn range) starts
  its own scout with a round above every round it has heard of.
* A ``Nack`` (or a heartbeat under a higher banner) means the leader was
  preempted: it steps down and follows.

A leader opens a night only within ``window`` nights of what its own replica
has executed, so its log stays bounded; requests beyond that wait in order.

The ``skip-phase1`` variant lets a caravan that stands up lead at once,
assuming every night after the ones it knows is empty.
"""

from __future__ import annotations

from .._ballot import Ballot
from .._effects import CancelTimer, Send, SetTimer
from ._commands import REST_DAY, Command
from ._config import Elected, JourneyConfig, JourneyEffect
from ._messages import (
    Accept,
    Accepted,
    CatchUp,
    Decision,
    Heartbeat,
    Nack,
    Prepare,
    Promise,
    SlotVote,
)

__all__ = ["ELECTION_TIMER", "HEARTBEAT_TIMER", "RETRY_TIMER", "Leader"]

ELECTION_TIMER = "election"
HEARTBEAT_TIMER = "heartbeat"
RETRY_TIMER = "retry"

FOLLOWING, SCOUTING, LEADING = "following", "scouting", "leading"


class Leader:
    __slots__ = (
        "ahead",
        "ballot",
        "config",
        "leader",
        "max_round",
        "name",
        "next_slot",
        "open",
        "promises",
        "queue",
        "state",
        "votes",
    )

    def __init__(self, config: JourneyConfig, name: str, tried_round: int) -> None:
        self.config = config
        self.name = name
        self.state = FOLLOWING
        self.ballot: Ballot | None = None
        self.max_round = tried_round  # never a ballot used before a collapse
        self.leader: str | None = None  # the caravan this one believes leads
        self.promises: dict[str, Promise] = {}
        self.open: dict[int, Command] = {}  # the commanders: night -> command
        self.votes: dict[int, set[str]] = {}
        self.next_slot = 1
        self.queue: list[Command] = []  # requests waiting for a night in the window
        # A promiser whose floor is above what this leader executed: (who, its floor). The
        # leader asks it to catch up (and asks again at each retry until it has).
        self.ahead: tuple[str, int] | None = None

    @property
    def leading(self) -> bool:
        return self.state == LEADING

    def election_timer(self) -> SetTimer:
        return SetTimer(
            name=ELECTION_TIMER, low=self.config.election_low, high=self.config.election_high
        )

    # -- phase 1: the scout --------------------------------------------------

    def stand(self, seen_round: int, executed: int) -> list[JourneyEffect]:
        """Start an election with a banner above every round heard of."""
        self.max_round = max(self.max_round, seen_round) + 1
        ballot = Ballot(self.max_round, self.name)
        self.ballot = ballot
        self.promises = {}
        self.open = {}
        self.votes = {}
        if not self.config.variant.phase1_on_election:
            self.state = LEADING
            self.leader = self.name
            self.next_slot = executed + 1
            return [
                Elected(ballot=ballot, first=self.next_slot, filled=()),
                *self._heartbeat(executed),
                *self.drain(executed),
            ]
        self.state = SCOUTING
        prepare = Prepare(ballot=ballot)
        effects: list[JourneyEffect] = [Send(dst=dst, msg=prepare) for dst in self.config.caravans]
        effects.append(self.election_timer())  # no quorum in time: stand again, higher
        return effects

    def on_promise(self, src: str, msg: Promise, executed: int) -> list[JourneyEffect]:
        if self.state != SCOUTING or msg.ballot != self.ballot:
            return []
        self.promises[src] = msg
        if len(self.promises) < self.config.phase1_quorum:
            return []
        return self._adopt(msg.ballot, executed)

    def _adopt(self, ballot: Ballot, executed: int) -> list[JourneyEffect]:
        floor = max([executed, *(p.floor for p in self.promises.values())])
        best: dict[int, SlotVote] = {}
        for caravan in self.config.caravans:  # fixed order: ties resolve the same way every run
            promise = self.promises.get(caravan)
            if promise is None:
                continue
            for vote in promise.votes:
                if vote.slot <= floor:
                    continue
                held = best.get(vote.slot)
                if held is None or vote.ballot > held.ballot:
                    best[vote.slot] = vote
        top = max(best, default=floor)
        filled = tuple(s for s in range(floor + 1, top + 1) if s not in best)
        self.ahead = None
        if floor > executed:  # nights decided (and compacted) elsewhere: catch up on them
            who = next(
                c
                for c in self.config.caravans
                if c in self.promises and self.promises[c].floor == floor
            )
            self.ahead = (who, floor)
        self.state = LEADING
        self.leader = self.name
        self.next_slot = top + 1
        effects: list[JourneyEffect] = [
            CancelTimer(name=ELECTION_TIMER),
            Elected(ballot=ballot, first=floor + 1, filled=filled),
        ]
        for slot in range(floor + 1, top + 1):
            reported = best.get(slot)
            effects.extend(self._open(slot, REST_DAY if reported is None else reported.command))
        effects.extend(self._catch_up(executed))
        effects.extend(self._heartbeat(executed))
        effects.append(
            SetTimer(name=RETRY_TIMER, low=self.config.retry_every, high=self.config.retry_every)
        )
        effects.extend(self.drain(executed))
        return effects

    # -- phase 2: the commanders ----------------------------------------------

    def _open(self, slot: int, command: Command) -> list[JourneyEffect]:
        assert self.ballot is not None
        self.open[slot] = command
        self.votes[slot] = set()
        accept = Accept(ballot=self.ballot, slot=slot, command=command)
        return [Send(dst=dst, msg=accept) for dst in self.config.caravans]

    def propose(self, command: Command, executed: int) -> list[JourneyEffect]:
        """A request to order: a night for it now, or a place in the queue."""
        if command in self.queue or command in self.open.values():
            return []
        self.queue.append(command)
        return self.drain(executed)

    def drain(self, executed: int) -> list[JourneyEffect]:
        if self.state != LEADING:
            return []
        effects: list[JourneyEffect] = []
        while self.queue and self.next_slot <= executed + self.config.window:
            slot = self.next_slot
            self.next_slot += 1
            effects.extend(self._open(slot, self.queue.pop(0)))
        return effects

    def on_accepted(self, src: str, msg: Accepted) -> list[JourneyEffect]:
        slot = msg.slot
        if self.state != LEADING or msg.ballot != self.ballot or slot not in self.open:
            return []
        voters = self.votes[slot]
        voters.add(src)
        if len(voters) < self.config.phase2_quorum:
            return []
        command = self.open.pop(slot)
        del self.votes[slot]
        decision = Decision(slot=slot, command=command)
        return [Send(dst=dst, msg=decision) for dst in self.config.caravans]

    def forget(self, slot: int) -> None:
        """A night was decided (by anyone): its commander has nothing left to do."""
        self.open.pop(slot, None)
        self.votes.pop(slot, None)
        if slot >= self.next_slot and self.state == LEADING:
            self.next_slot = slot + 1

    # -- heartbeats, preemption and timers ------------------------------------

    def _heartbeat(self, executed: int) -> list[JourneyEffect]:
        assert self.ballot is not None
        beat = Heartbeat(ballot=self.ballot, executed=executed)
        effects: list[JourneyEffect] = [
            Send(dst=dst, msg=beat) for dst in self.config.caravans if dst != self.name
        ]
        every = self.config.heartbeat_every
        effects.append(SetTimer(name=HEARTBEAT_TIMER, low=every, high=every))
        return effects

    def step_down(self, ballot: Ballot) -> list[JourneyEffect]:
        """Someone holds a higher banner: follow it."""
        self.max_round = max(self.max_round, ballot.round)
        if self.ballot is not None and ballot <= self.ballot:
            return []
        self.leader = ballot.caravan
        if self.state == FOLLOWING:
            return []
        was_leading = self.state == LEADING
        self.state = FOLLOWING
        self.open = {}
        self.votes = {}
        effects: list[JourneyEffect] = [self.election_timer()]
        if was_leading:
            effects = [
                CancelTimer(name=HEARTBEAT_TIMER),
                CancelTimer(name=RETRY_TIMER),
                *effects,
            ]
        return effects

    def on_nack(self, src: str, msg: Nack) -> list[JourneyEffect]:
        if msg.ballot != self.ballot:
            self.max_round = max(self.max_round, msg.promised.round)
            return []
        return self.step_down(msg.promised)

    def on_heartbeat_timer(self, executed: int) -> list[JourneyEffect]:
        if self.state != LEADING:
            return []
        return self._heartbeat(executed)

    def _catch_up(self, executed: int) -> list[JourneyEffect]:
        """Ask the promiser ahead of this leader for the nights it lacks, until it has them."""
        if self.ahead is None or executed >= self.ahead[1]:
            self.ahead = None
            return []
        return [Send(dst=self.ahead[0], msg=CatchUp(after=executed))]

    def on_retry_timer(self, executed: int) -> list[JourneyEffect]:
        if self.state != LEADING:
            return []
        assert self.ballot is not None
        effects: list[JourneyEffect] = self._catch_up(executed)
        for slot in sorted(self.open):
            accept = Accept(ballot=self.ballot, slot=slot, command=self.open[slot])
            effects.extend(
                Send(dst=dst, msg=accept)
                for dst in self.config.caravans
                if dst not in self.votes[slot]
            )
        every = self.config.retry_every
        effects.append(SetTimer(name=RETRY_TIMER, low=every, high=every))
        return effects
