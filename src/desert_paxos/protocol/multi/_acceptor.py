"""The journey's acceptor: the single-decree acceptor, once per night.

Theory of operation
-------------------
The rules are the single-decree acceptor's, unchanged: a ``Prepare`` or
``Accept`` under a banner below the promise gets a ``Nack`` naming the
promise; otherwise the acceptor promises (phase 1b) or votes (phase 2b), and
writes its logbook *before* the reply that depends on it leaves. What changes
is the shape: one promise covers every night, so a ``Promise`` reports the
acceptor's vote in every night above its floor, and a vote is kept per night.

A repeated ``Prepare`` or ``Accept`` it already answered is answered again
without a new write. An ``Accept`` for a night at or below the floor is
ignored: that night was executed here, so it was decided, and the leader
learns it by catching up.

``compact`` moves the floor up once the replica has executed far enough ahead:
the votes at or below the new floor are dropped and the supplies and table as
of that night are written in their place (see ``_config`` for the bound).
"""

from __future__ import annotations

from dataclasses import replace

from .._ballot import Ballot
from .._effects import Persist, Send
from ._commands import Result
from ._config import JourneyConfig, JourneyEffect, Logbook
from ._messages import Accept, Accepted, Nack, Prepare, Promise, SlotVote

__all__ = ["JourneyAcceptor"]


class JourneyAcceptor:
    __slots__ = ("config", "promised", "record")

    def __init__(self, config: JourneyConfig, record: Logbook) -> None:
        self.config = config
        self.record = record
        self.promised: Ballot | None = record.promised

    def _refusal(self, src: str, ballot: Ballot) -> list[JourneyEffect] | None:
        promised = self.promised
        if promised is not None and ballot < promised:
            return [Send(dst=src, msg=Nack(ballot=ballot, promised=promised))]
        return None

    def on_prepare(self, src: str, msg: Prepare) -> list[JourneyEffect]:
        ballot = msg.ballot
        refused = self._refusal(src, ballot)
        if refused is not None:
            return refused
        record = self.record
        votes = tuple(SlotVote(slot=s, ballot=b, command=c) for s, b, c in record.votes)
        promise = Send(dst=src, msg=Promise(ballot=ballot, floor=record.floor, votes=votes))
        if ballot == self.promised:
            return [promise]
        self.promised = ballot
        self.record = replace(record, promised=ballot)
        return [Persist(record=self.record), promise]

    def on_accept(self, src: str, msg: Accept) -> list[JourneyEffect]:
        ballot = msg.ballot
        refused = self._refusal(src, ballot)
        if refused is not None:
            return refused
        record = self.record
        slot = msg.slot
        if slot <= record.floor:
            return []
        vote = Send(dst=src, msg=Accepted(ballot=ballot, slot=slot))
        self.promised = ballot
        entry = (slot, ballot, msg.command)
        if record.promised == ballot and entry in record.votes:
            return [vote]
        votes = tuple(sorted((*(v for v in record.votes if v[0] != slot), entry)))
        self.record = replace(record, promised=ballot, votes=votes)
        return [Persist(record=self.record), vote]

    def note_round(self, tried: int) -> list[JourneyEffect]:
        record = self.record
        if tried <= record.tried_round:
            return []
        self.record = replace(record, tried_round=tried)
        return [Persist(record=self.record)]

    def compact(
        self,
        floor: int,
        supplies: dict[str, int],
        table: dict[str, tuple[int, Result]],
    ) -> list[JourneyEffect]:
        """Forget the votes at or below ``floor``, keeping the supplies as of it."""
        record = self.record
        if floor <= record.floor:
            return []
        self.record = replace(
            record,
            floor=floor,
            votes=tuple(v for v in record.votes if v[0] > floor),
            supplies=tuple(sorted(supplies.items())),
            table=tuple((t, r, res) for t, (r, res) in sorted(table.items())),
        )
        return [Persist(record=self.record)]
