"""The acceptor role: the memory of the desert.

Theory of operation
-------------------
Phase 1b: on ``Prepare(b)``, an acceptor that has promised nothing higher
promises ``b`` and reports the highest-ballot proposal it has accepted, so a
new proposer can adopt a value that may already be chosen. Phase 2b: on
``Accept(b, v)`` it votes for ``v`` unless it promised a higher ballot. Either
way it persists its new record *before* sending the reply that depends on it.
A request below its promise gets a ``Nack`` naming that promise.

A repeated ``Prepare`` or ``Accept`` for the ballot already promised is answered
again (duplicates and retries are harmless) without writing anything new.

The record also holds the round this caravan's proposer has tried
(:meth:`Acceptor.note_round`); the acceptor only carries it along.
"""

from __future__ import annotations

from ._ballot import Ballot
from ._config import Config
from ._durable import AcceptorRecord
from ._effects import Effect, Persist, Send
from ._messages import Accept, Accepted, Nack, Prepare, Promise, Proposal

__all__ = ["Acceptor"]


class Acceptor:
    """One caravan's acceptor; ``record`` is durable, ``promised`` is what it obeys now."""

    __slots__ = ("config", "promised", "record")

    def __init__(self, config: Config, record: AcceptorRecord) -> None:
        self.config = config
        self.record = record
        # Equal to record.promised except in the forgetful variant, where a
        # phase-1 promise lives only in memory until a vote writes it down.
        self.promised: Ballot | None = record.promised

    def _admits(self, ballot: Ballot) -> bool:
        """True when ``ballot`` is at least the promised one (may be followed)."""
        promised = self.promised
        if promised is None:
            return True
        if self.config.variant.ballot_owner_breaks_ties:
            return ballot >= promised
        return ballot.round >= promised.round

    def on_prepare(self, src: str, msg: Prepare) -> list[Effect]:
        ballot = msg.ballot
        if not self._admits(ballot):
            assert self.promised is not None
            return [Send(dst=src, msg=Nack(ballot=ballot, promised=self.promised))]
        record = self.record
        accepted = None
        if record.accepted_ballot is not None and record.accepted_value is not None:
            accepted = Proposal(ballot=record.accepted_ballot, value=record.accepted_value)
        promise = Send(dst=src, msg=Promise(ballot=ballot, accepted=accepted))
        if ballot == self.promised:
            return [promise]
        self.promised = ballot
        if not self.config.variant.persist_promise:
            return [promise]
        self.record = AcceptorRecord(  # what ``replace`` builds, without its generic walk
            promised=ballot,
            accepted_ballot=record.accepted_ballot,
            accepted_value=record.accepted_value,
            tried_round=record.tried_round,
        )
        return [Persist(record=self.record), promise]

    def on_accept(self, src: str, msg: Accept) -> list[Effect]:
        ballot = msg.ballot
        if not self._admits(ballot):
            assert self.promised is not None
            return [Send(dst=src, msg=Nack(ballot=ballot, promised=self.promised))]
        vote = Send(dst=src, msg=Accepted(ballot=ballot, value=msg.value))
        record = self.record
        self.promised = ballot
        if (
            record.promised == ballot
            and record.accepted_ballot == ballot
            and record.accepted_value == msg.value
        ):
            return [vote]
        self.record = AcceptorRecord(
            promised=ballot,
            accepted_ballot=ballot,
            accepted_value=msg.value,
            tried_round=record.tried_round,
        )
        return [Persist(record=self.record), vote]

    def note_round(self, tried: int) -> list[Effect]:
        """Write the proposer's new round in the logbook (a ``Persist``), if it is higher."""
        record = self.record
        if tried <= record.tried_round:
            return []
        self.record = AcceptorRecord(
            promised=record.promised,
            accepted_ballot=record.accepted_ballot,
            accepted_value=record.accepted_value,
            tried_round=tried,
        )
        return [Persist(record=self.record)]
