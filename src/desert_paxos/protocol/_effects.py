"""Effects: what a caravan asks the world to do.

Theory of operation
-------------------
A caravan never touches the network, the clock, the disk or a random number
generator. Each handler returns a list of effects and the interpreter (the
simulator, the REPL, the model checker, later a real network) applies them in
order. Order matters for one rule of Paxos: an acceptor must make its promise
or vote durable *before* anyone can hear of it, so ``Persist`` always comes
before the ``Send`` of the ``Promise`` or ``Accepted`` that depends on it.

``SetTimer`` carries a range instead of a duration: the interpreter draws the
actual delay (randomized backoff is what breaks dueling proposers' livelock),
so the core stays free of randomness. ``Adopt`` changes nothing in the world;
it records the moment a proposer takes over another proposal's value, the
heart of Paxos safety, so every view of a run can tell it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._ballot import Ballot
from ._durable import AcceptorRecord
from ._messages import Message
from ._quick import quick_init

__all__ = ["Adopt", "CancelTimer", "Decide", "Effect", "Persist", "Send", "SetTimer"]


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    dst: str
    # A message of the protocol the caravan speaks: single-decree ``Message`` here, the
    # journey's messages in ``protocol.multi`` (the interpreters never look inside).
    msg: Message | Any


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class SetTimer:
    """Arm (or re-arm) the named timer to fire after ``low``..``high`` ticks."""

    name: str
    low: int
    high: int


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTimer:
    name: str


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Persist:
    """Write the acceptor's durable record before any message that depends on it."""

    record: AcceptorRecord | Any  # the journey's caravans write a ``multi.Logbook``


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Decide:
    ballot: Ballot
    value: str


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Adopt:
    """A proposer takes the value reported under ``from_ballot`` instead of its own wish."""

    ballot: Ballot
    value: str
    from_ballot: Ballot
    reported_by: str
    own_value: str | None


Effect = Send | SetTimer | CancelTimer | Persist | Decide | Adopt
