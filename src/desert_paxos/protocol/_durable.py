"""The durable record (the logbook): the only state that survives a crash.

Theory of operation
-------------------
Paxos stays safe across crashes only if an acceptor never forgets what it
promised (phase 1b) or accepted (phase 2b): a forgotten promise lets an older
proposer slip a value in behind a newer one. And ballots stay unique only if
a proposer never forgets the highest round it has tried ("Paxos Made Simple":
a proposer remembers, in stable storage, the highest-numbered proposal it has
tried to issue): a proposer that forgot could send a ``Prepare`` for a ballot
it had already used, with another value. So the record keeps ``tried_round``
beside the acceptor's promise and vote, written before the ``Prepare`` that
uses it leaves. The record is a frozen value, so the interpreter can store it
as is and a recovered caravan starts from exactly what was persisted.
Everything else a caravan knows is volatile.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._ballot import Ballot
from ._quick import quick_init

__all__ = ["EMPTY_RECORD", "AcceptorRecord"]


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptorRecord:
    promised: Ballot | None = None
    accepted_ballot: Ballot | None = None
    accepted_value: str | None = None
    tried_round: int = 0  # the highest round this caravan's proposer has used


EMPTY_RECORD = AcceptorRecord()
