"""A journey caravan: replica, leader and acceptor in one tent.

Theory of operation
-------------------
As DSLabs' lab 3 does with the roles of *Paxos Made Moderately Complex*, one
object plays them all and only routes: a rider goes to the role that owns it
and the roles' effects come back as one list, in order, for the interpreter.
The interface is the single-decree caravan's: ``on_start``, ``on_message``,
``on_timer``, plus ``record``/``promised`` and ``snapshot``/``restore``.

* ``Request`` from a traveller: answered from the table if already executed;
  ordered by this caravan if it leads; otherwise passed to the caravan it
  believes leads (remembered, so a new leader gets it too).
* ``Prepare``/``Accept`` go to the acceptor, except an ``Accept`` for a night
  this caravan has already executed: its leader is behind (it lost the
  decision, or the night was compacted here), so it gets the decisions from
  that night on, or the snapshot, instead of a vote; ``Promise``/``Accepted``/``Nack``
  to the leader; ``Decision``/``CatchUp``/``Snapshot`` to the replica.
* A ``Heartbeat`` under a banner at least the promised one names the leader
  and restarts the election timer; one from ahead of us makes us catch up.
* After every execution the caravan compacts its log when it may, writing the
  acceptor's logbook first.

A caravan that gets up from its logbook starts from the floor's supplies and
table, promises what it promised, and never opens a banner at or below the
round it wrote down (the round is written before every ``Prepare`` leaves).

``stale-read`` variant: a leader answers a ``get`` from its own supplies.
"""

from __future__ import annotations

from collections.abc import Hashable

from .._ballot import Ballot
from .._effects import Send
from ._acceptor import JourneyAcceptor
from ._commands import Command, execute
from ._config import EMPTY_LOGBOOK, Executed, JourneyConfig, JourneyEffect, Learn, Logbook
from ._leader import ELECTION_TIMER, HEARTBEAT_TIMER, RETRY_TIMER, Leader
from ._messages import (
    Accept,
    Accepted,
    CatchUp,
    Decision,
    Heartbeat,
    JourneyMessage,
    Nack,
    Prepare,
    Promise,
    Request,
    Response,
    Snapshot,
)
from ._replica import Replica

__all__ = ["JourneyCaravan"]


class JourneyCaravan:
    __slots__ = ("acceptor", "config", "leader", "name", "pending", "replica")

    def __init__(self, config: JourneyConfig, name: str, record: Logbook = EMPTY_LOGBOOK) -> None:
        if name not in config.caravans:
            raise ValueError(f"{name!r} is not one of the caravans {list(config.caravans)}")
        self.config = config
        self.name = name
        self.acceptor = JourneyAcceptor(config, record)
        self.leader = Leader(config, name, record.tried_round)
        self.replica = Replica(config, name, record.floor, record.supplies, record.table)
        self.pending: list[Command] = []  # requests passed on, not yet executed here

    # -- the interface the interpreters drive ------------------------------

    def on_start(self) -> list[JourneyEffect]:
        return [self.leader.election_timer()]

    def on_message(self, src: str, msg: JourneyMessage) -> list[JourneyEffect]:
        match msg:
            case Accept(slot=slot):
                if slot <= self.replica.executed:  # a leader behind us: tell it the night
                    return self.replica.on_catch_up(src, CatchUp(after=slot - 1), self.record)
                return self.acceptor.on_accept(src, msg)
            case Accepted():
                return self.leader.on_accepted(src, msg)
            case Decision(slot=slot, command=command):
                return self._learn(slot, command)
            case Heartbeat():
                return self._on_heartbeat(src, msg)
            case Request(command=command):
                return self._on_request(src, command)
            case Prepare():
                return self.acceptor.on_prepare(src, msg)
            case Promise():
                return self._round_and(self.leader.on_promise(src, msg, self.replica.executed))
            case Nack():
                return self.leader.on_nack(src, msg)
            case CatchUp():
                return self.replica.on_catch_up(src, msg, self.acceptor.record)
            case Snapshot():
                return self._after_execution(self.replica.on_snapshot(msg, self.leader.leading))
            case Response():
                return []
        raise TypeError(f"not a journey message: {msg!r}")  # pragma: no cover

    def on_timer(self, name: str) -> list[JourneyEffect]:
        leader = self.leader
        executed = self.replica.executed
        if name == ELECTION_TIMER:
            if leader.leading:
                return []
            return self._round_and(leader.stand(self._seen_round(), executed))
        if name == HEARTBEAT_TIMER:
            return leader.on_heartbeat_timer(executed)
        if name == RETRY_TIMER:
            return leader.on_retry_timer(executed)
        return []

    # -- routing ---------------------------------------------------------------

    def _seen_round(self) -> int:
        promised = self.acceptor.promised
        return promised.round if promised is not None else 0

    def _round_and(self, effects: list[JourneyEffect]) -> list[JourneyEffect]:
        """Write a newly opened banner's round before its riders; then order what waits."""
        ballot = self.leader.ballot
        if ballot is not None:
            effects = [*self.acceptor.note_round(ballot.round), *effects]
        if self.leader.leading and self.pending:
            waiting, self.pending = self.pending, []
            for command in waiting:
                effects.extend(self._on_request(command.traveller, command, asked=False))
        return effects

    def _on_request(self, src: str, command: Command, *, asked: bool = True) -> list[JourneyEffect]:
        replica = self.replica
        answer = replica.answered(command)
        if answer is not None and self.config.variant.once_only:
            return [
                Send(
                    dst=command.traveller,
                    msg=Response(
                        traveller=command.traveller, request=command.request, result=answer
                    ),
                )
            ]
        if replica.executed_before(command) and self.config.variant.once_only:
            return []  # an older request than the one the table answers: stale
        if asked and src == command.traveller:
            replica.asked.add((command.traveller, command.request))
        leader = self.leader
        if leader.leading:
            if command.op == "get" and not self.config.variant.quorum_reads:
                result = execute(dict(replica.supplies), command)  # read without a quorum
                return [
                    Send(
                        dst=command.traveller,
                        msg=Response(
                            traveller=command.traveller, request=command.request, result=result
                        ),
                    )
                ]
            return leader.propose(command, replica.executed)
        if command not in self.pending:
            self.pending.append(command)
        if leader.leader is not None and leader.leader != self.name and src == command.traveller:
            return [Send(dst=leader.leader, msg=Request(command=command))]
        return []

    def _on_heartbeat(self, src: str, msg: Heartbeat) -> list[JourneyEffect]:
        promised = self.acceptor.promised
        if promised is not None and msg.ballot < promised:
            return []  # an old leader's heartbeat: it will hear a Nack soon enough
        leader = self.leader
        new_leader = leader.leader != src
        effects = leader.step_down(msg.ballot)
        leader.leader = src
        if not leader.leading:
            effects.append(leader.election_timer())
        if msg.executed > self.replica.executed:
            effects.append(Send(dst=src, msg=CatchUp(after=self.replica.executed)))
        if new_leader:  # pass on what waits here to the leader just heard of
            for command in self.pending:
                effects.append(Send(dst=src, msg=Request(command=command)))
        return effects

    def _learn(self, slot: int, command: Command) -> list[JourneyEffect]:
        effects = self.replica.learn(slot, command, self.leader.leading)
        if not effects:  # known already: a commander still open for it has nothing to do
            self.leader.forget(slot)
            return effects
        return self._after_execution(effects)

    def _after_execution(self, effects: list[JourneyEffect]) -> list[JourneyEffect]:
        """Close the commanders of decided nights, compact, and open waiting requests."""
        replica, leader = self.replica, self.leader
        for effect in effects:
            if isinstance(effect, Learn):
                leader.forget(effect.slot)
            elif isinstance(effect, Executed) and effect.command in self.pending:
                self.pending.remove(effect.command)
        for slot in [s for s in leader.open if s <= replica.executed]:
            leader.forget(slot)  # executed here (a snapshot skips the Learn of its nights)
        if replica.compacted():
            effects.extend(self.acceptor.compact(replica.floor, replica.supplies, replica.table))
        effects.extend(leader.drain(replica.executed))
        return effects

    # -- views used by narration, the REPL and the checkers -----------------

    @property
    def record(self) -> Logbook:
        return self.acceptor.record

    @property
    def promised(self) -> Ballot | None:
        return self.acceptor.promised

    def snapshot(self) -> Hashable:
        leader, replica = self.leader, self.replica
        return (
            self.acceptor.record,
            self.acceptor.promised,
            leader.state,
            leader.ballot,
            leader.max_round,
            leader.leader,
            tuple(sorted(leader.promises.items())),
            tuple(sorted(leader.open.items())),
            tuple(sorted((s, tuple(sorted(v))) for s, v in leader.votes.items())),
            leader.next_slot,
            tuple(leader.queue),
            replica.floor,
            replica.executed,
            tuple(sorted(replica.supplies.items())),
            tuple(sorted((t, r, res) for t, (r, res) in replica.table.items())),
            tuple(sorted(replica.decisions.items())),
            tuple(sorted(replica.asked)),
            tuple(self.pending),
            leader.ahead,
        )

    @classmethod
    def restore(cls, config: JourneyConfig, name: str, snapshot: Hashable) -> JourneyCaravan:
        """A caravan equal to the one ``snapshot`` was taken of."""
        assert isinstance(snapshot, tuple)
        (
            record,
            promised,
            state,
            ballot,
            max_round,
            known_leader,
            promises,
            open_nights,
            votes,
            next_slot,
            queue,
            floor,
            executed,
            supplies,
            table,
            decisions,
            asked,
            pending,
            ahead,
        ) = snapshot
        caravan = cls(config, name, record)
        caravan.acceptor.promised = promised
        leader = caravan.leader
        leader.state, leader.ballot, leader.max_round = state, ballot, max_round
        leader.leader = known_leader
        leader.promises = dict(promises)
        leader.open = dict(open_nights)
        leader.votes = {s: set(v) for s, v in votes}
        leader.next_slot = next_slot
        leader.queue = list(queue)
        replica = caravan.replica
        replica.floor, replica.executed = floor, executed
        replica.supplies = dict(supplies)
        replica.table = {t: (r, res) for t, r, res in table}
        replica.decisions = dict(decisions)
        replica.asked = set(asked)
        caravan.pending = list(pending)
        leader.ahead = ahead
        return caravan
