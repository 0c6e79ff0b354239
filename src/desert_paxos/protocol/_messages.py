"""Messages the caravans' riders carry across the sand.

Theory of operation
-------------------
The two phases of "Paxos Made Simple" need four messages, and we add three
that a practical learner and proposer want:

* Phase 1a ``Prepare(b)``: a proposer asks every acceptor to follow ballot ``b``.
* Phase 1b ``Promise(b, accepted)``: the acceptor promises to ignore anything
  numbered below ``b`` and reports the highest-ballot proposal it has accepted,
  if any. That report is what lets the next proposer adopt a value that may
  already be chosen.
* Phase 2a ``Accept(b, v)``: the proposer asks acceptors to accept ``v`` under ``b``.
* Phase 2b ``Accepted(b, v)``: an acceptor's vote, sent to the proposer, which
  acts as the distinguished learner.
* ``Nack(b, promised)``: a refusal that names the higher ballot the acceptor
  already promised, so the proposer can jump past it instead of crawling.
* ``Decided(b, v)``: the distinguished learner tells the others what was chosen.
* ``Inquire()``: a caravan that has waited long without learning asks the
  others whether a campsite has been chosen; those that know answer ``Decided``.

Every message is a frozen, slotted, keyword-only dataclass, so it can be
shared between copies in flight, hashed by the model checker and never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._ballot import Ballot, ballot_from_json, ballot_to_json
from ._quick import quick_init

__all__ = [
    "Accept",
    "Accepted",
    "Decided",
    "Inquire",
    "Message",
    "Nack",
    "Prepare",
    "Promise",
    "Proposal",
    "message_from_json",
    "message_to_json",
]


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A value accepted under a ballot, as reported in a promise."""

    ballot: Ballot
    value: str


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare:
    ballot: Ballot


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Promise:
    ballot: Ballot
    accepted: Proposal | None


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Accept:
    ballot: Ballot
    value: str


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    ballot: Ballot
    value: str


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Nack:
    ballot: Ballot
    promised: Ballot


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Decided:
    ballot: Ballot
    value: str


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Inquire:
    pass


Message = Prepare | Promise | Accept | Accepted | Nack | Decided | Inquire


def message_to_json(msg: Message) -> dict[str, Any]:
    """The trace form of a message (the ``msg`` field of send/deliver events)."""
    match msg:
        case Prepare(ballot=b):
            return {"type": "prepare", "ballot": ballot_to_json(b)}
        case Promise(ballot=b, accepted=None):
            return {"type": "promise", "ballot": ballot_to_json(b), "accepted": None}
        case Promise(ballot=b, accepted=Proposal(ballot=ab, value=av)):
            return {
                "type": "promise",
                "ballot": ballot_to_json(b),
                "accepted": {"ballot": ballot_to_json(ab), "value": av},
            }
        case Accept(ballot=b, value=v):
            return {"type": "accept", "ballot": ballot_to_json(b), "value": v}
        case Accepted(ballot=b, value=v):
            return {"type": "accepted", "ballot": ballot_to_json(b), "value": v}
        case Nack(ballot=b, promised=p):
            return {"type": "nack", "ballot": ballot_to_json(b), "promised": ballot_to_json(p)}
        case Decided(ballot=b, value=v):
            return {"type": "decided", "ballot": ballot_to_json(b), "value": v}
        case Inquire():
            return {"type": "inquire"}
    raise TypeError(f"not a message: {msg!r}")  # pragma: no cover - exhaustive above


def _ballot(data: dict[str, Any], key: str) -> Ballot:
    ballot = ballot_from_json(data.get(key))
    if ballot is None:
        raise ValueError(f"message field {key!r} must be a ballot")
    return ballot


def _value(data: dict[str, Any]) -> str:
    value = data.get("value")
    if not isinstance(value, str):
        raise ValueError("message field 'value' must be a string")
    return value


def message_from_json(data: object) -> Message:
    """Inverse of :func:`message_to_json`; raises ``ValueError`` on anything malformed."""
    if not isinstance(data, dict):
        raise ValueError(f"a message is an object, got {data!r}")
    match data.get("type"):
        case "prepare":
            return Prepare(ballot=_ballot(data, "ballot"))
        case "promise":
            raw = data.get("accepted")
            accepted = None
            if raw is not None:
                if not isinstance(raw, dict):
                    raise ValueError("promise 'accepted' must be null or an object")
                accepted = Proposal(ballot=_ballot(raw, "ballot"), value=_value(raw))
            return Promise(ballot=_ballot(data, "ballot"), accepted=accepted)
        case "accept":
            return Accept(ballot=_ballot(data, "ballot"), value=_value(data))
        case "accepted":
            return Accepted(ballot=_ballot(data, "ballot"), value=_value(data))
        case "nack":
            return Nack(ballot=_ballot(data, "ballot"), promised=_ballot(data, "promised"))
        case "decided":
            return Decided(ballot=_ballot(data, "ballot"), value=_value(data))
        case "inquire":
            return Inquire()
        case other:
            raise ValueError(f"unknown message type {other!r}")
