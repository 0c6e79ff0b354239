"""The acceptor's durable record: the only state that survives a crash.

Theory of operation
-------------------
Paxos stays safe across crashes only if an acceptor never forgets what it
promised (phase 1b) or accepted (phase 2b): a forgotten promise lets an older
proposer slip a value in behind a newer one. The record is a frozen value, so
the interpreter can store it as is and a recovered caravan starts from exactly
what was persisted. Everything else a caravan knows is volatile.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._ballot import Ballot

__all__ = ["EMPTY_RECORD", "AcceptorRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptorRecord:
    promised: Ballot | None = None
    accepted_ballot: Ballot | None = None
    accepted_value: str | None = None


EMPTY_RECORD = AcceptorRecord()
