"""A caravan: proposer, acceptor and learner in one tent.

Theory of operation
-------------------
Every caravan plays all three roles of "Paxos Made Simple". The caravan only
routes: a message goes to the role that owns it, and the roles' effects come
back as one list for the interpreter to apply in order. Four entry points make
up the whole interface: ``on_start`` (first start or recovery from the durable
record), ``on_message``, ``on_timer`` and ``propose`` (a wish from outside).

Whenever the proposer opens a ballot, the caravan first writes its round in the
logbook (a ``Persist`` ahead of the ``Prepare`` riders), and a caravan that gets
up from its logbook starts its proposer above that round: so no ballot is ever
used twice, whatever order its riders, the caravan's word to itself included,
arrive in. (The ``volatile-round`` variant skips the write.)

``snapshot`` returns a hashable value describing everything the caravan knows;
``Caravan.restore`` rebuilds an equal caravan from it. The model checker and the
REPL's time travel rely on that pair; the simulator never needs it.
"""

from __future__ import annotations

from collections.abc import Hashable

from ._acceptor import Acceptor
from ._ballot import Ballot
from ._config import Config
from ._durable import EMPTY_RECORD, AcceptorRecord
from ._effects import Effect, Send
from ._learner import LEARN_TIMER, Learner
from ._messages import (
    Accept,
    Accepted,
    Decided,
    Inquire,
    Message,
    Nack,
    Prepare,
    Promise,
    Proposal,
)
from ._proposer import PROPOSER_TIMER, Proposer

__all__ = ["Caravan", "sends_of"]


class Caravan:
    __slots__ = ("acceptor", "config", "learner", "name", "proposer")

    def __init__(self, config: Config, name: str, record: AcceptorRecord = EMPTY_RECORD) -> None:
        if name not in config.caravans:
            raise ValueError(f"{name!r} is not one of the caravans {list(config.caravans)}")
        self.config = config
        self.name = name
        self.acceptor = Acceptor(config, record)
        self.proposer = Proposer(config, name)
        self.proposer.max_round = record.tried_round  # never a ballot used before a crash
        self.learner = Learner(config, name)

    # -- the interface the interpreters drive ------------------------------

    def on_start(self) -> list[Effect]:
        return self.learner.on_start()

    def propose(self, value: str) -> list[Effect]:
        return self._round_noted(self.proposer.propose(value, self._seen_round()))

    def on_message(self, src: str, msg: Message) -> list[Effect]:
        match msg:
            case Prepare():
                return self.acceptor.on_prepare(src, msg)
            case Accept():
                return self.acceptor.on_accept(src, msg)
            case Promise():
                return self.proposer.on_promise(src, msg)
            case Accepted():
                chosen = self.proposer.on_accepted(src, msg)
                if chosen is None:
                    return []
                effects = self._learn(chosen.ballot, chosen.value)
                effects.extend(self.learner.announce())
                return effects
            case Nack():
                return self.proposer.on_nack(src, msg)
            case Decided(ballot=ballot, value=value):
                return self._learn(ballot, value)
            case Inquire():
                return self.learner.on_inquire(src)
        raise TypeError(f"not a message: {msg!r}")  # pragma: no cover

    def on_timer(self, name: str) -> list[Effect]:
        if name == PROPOSER_TIMER:
            return self._round_noted(self.proposer.on_timer(self._seen_round()))
        if name == LEARN_TIMER:
            return self.learner.on_timer()
        return []

    # -- helpers -----------------------------------------------------------

    def _round_noted(self, effects: list[Effect]) -> list[Effect]:
        """Put the logbook write of a newly opened ballot's round before its riders."""
        ballot = self.proposer.ballot
        if ballot is None or not self.config.variant.persist_round:
            return effects
        return [*self.acceptor.note_round(ballot.round), *effects]

    def _seen_round(self) -> int:
        promised = self.acceptor.promised
        return promised.round if promised is not None else 0

    def _learn(self, ballot: Ballot, value: str) -> list[Effect]:
        effects = self.learner.learn(ballot, value)
        if effects:
            effects.extend(self.proposer.stop())
        return effects

    # -- views used by narration, the REPL and the checkers -----------------

    @property
    def record(self) -> AcceptorRecord:
        return self.acceptor.record

    @property
    def promised(self) -> Ballot | None:
        return self.acceptor.promised

    @property
    def decided(self) -> Proposal | None:
        return self.learner.decided

    def snapshot(self) -> Hashable:
        p = self.proposer
        return (
            self.acceptor.record,
            self.acceptor.promised,
            p.wish,
            p.phase,
            p.ballot,
            p.max_round,
            tuple(sorted(p.promises.items(), key=lambda item: item[0])),
            tuple(sorted(p.refusals)),
            tuple(sorted(p.votes)),
            p.value,
            p.attempts,
            self.learner.decided,
        )

    @classmethod
    def restore(cls, config: Config, name: str, snapshot: Hashable) -> Caravan:
        assert isinstance(snapshot, tuple)
        (
            record,
            promised,
            wish,
            phase,
            ballot,
            max_round,
            promises,
            refusals,
            votes,
            value,
            attempts,
            decided,
        ) = snapshot
        caravan = cls(config, name, record)
        caravan.acceptor.promised = promised
        p = caravan.proposer
        p.wish, p.phase, p.ballot, p.max_round = wish, phase, ballot, max_round
        p.promises = dict(promises)
        p.refusals = set(refusals)
        p.votes = set(votes)
        p.value, p.attempts = value, attempts
        caravan.learner.decided = decided
        return caravan


def sends_of(effects: list[Effect]) -> list[Send]:
    """The ``Send`` effects of a list, in order (handy in tests and narration)."""
    return [e for e in effects if isinstance(e, Send)]
