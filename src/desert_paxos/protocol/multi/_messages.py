"""The riders of the long journey.

Theory of operation
-------------------
Multi-Paxos runs the two phases of single-decree Paxos for every slot (every
*night*) of a log, with one twist: phase 1 is run once for all open slots.

* ``Prepare(b)`` / ``Promise(b, floor, votes)``: phase 1 for every slot at
  once. The promise reports the acceptor's vote in each slot above its
  ``floor`` (the nights it has already executed and compacted away).
* ``Accept(b, slot, command)`` / ``Accepted(b, slot)``: phase 2 for one slot.
* ``Nack(b, promised)``: a refusal naming the higher banner already promised.
* ``Decision(slot, command)``: the leader tells every caravan what a night holds.
* ``Heartbeat(b, executed)``: the leader is alive and has executed so many
  nights; a follower that stops hearing it starts its own election.
* ``CatchUp(after)`` / ``Snapshot(floor, supplies, table)``: a lagging caravan
  asks for the decisions after a night; one whose log was compacted below that
  night answers with its supplies and its per-traveller table instead.
* ``Request(command)`` / ``Response(traveller, request, result)``: travellers
  ask any caravan; a caravan that does not lead passes the request on.

Every message is a frozen, slotted, keyword-only dataclass, like the
single-decree riders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._ballot import Ballot, ballot_from_json, ballot_to_json
from ._commands import (
    Command,
    Result,
    command_from_json,
    command_to_json,
    result_from_json,
    result_to_json,
)

__all__ = [
    "Accept",
    "Accepted",
    "CatchUp",
    "Decision",
    "Heartbeat",
    "JourneyMessage",
    "Nack",
    "Prepare",
    "Promise",
    "Request",
    "Response",
    "SlotVote",
    "Snapshot",
    "message_from_json",
    "message_to_json",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotVote:
    """An acceptor's vote in one slot: ``command`` under ``ballot``."""

    slot: int
    ballot: Ballot
    command: Command


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare:
    ballot: Ballot


@dataclass(frozen=True, slots=True, kw_only=True)
class Promise:
    ballot: Ballot
    floor: int
    votes: tuple[SlotVote, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Accept:
    ballot: Ballot
    slot: int
    command: Command


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    ballot: Ballot
    slot: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Nack:
    ballot: Ballot
    promised: Ballot


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    slot: int
    command: Command


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    ballot: Ballot
    executed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUp:
    after: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    floor: int
    supplies: tuple[tuple[str, int], ...]
    table: tuple[tuple[str, int, Result], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    command: Command


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    traveller: str
    request: int
    result: Result


JourneyMessage = (
    Prepare
    | Promise
    | Accept
    | Accepted
    | Nack
    | Decision
    | Heartbeat
    | CatchUp
    | Snapshot
    | Request
    | Response
)


def _vote_to_json(vote: SlotVote) -> dict[str, Any]:
    return {
        "slot": vote.slot,
        "ballot": ballot_to_json(vote.ballot),
        "command": command_to_json(vote.command),
    }


def message_to_json(msg: JourneyMessage) -> dict[str, Any]:
    """The trace form of a journey message (the ``msg`` field of send/deliver/drop)."""
    match msg:
        case Prepare(ballot=b):
            return {"type": "prepare", "ballot": ballot_to_json(b)}
        case Promise(ballot=b, floor=floor, votes=votes):
            return {
                "type": "promise",
                "ballot": ballot_to_json(b),
                "floor": floor,
                "votes": [_vote_to_json(v) for v in votes],
            }
        case Accept(ballot=b, slot=slot, command=command):
            return {
                "type": "accept",
                "ballot": ballot_to_json(b),
                "slot": slot,
                "command": command_to_json(command),
            }
        case Accepted(ballot=b, slot=slot):
            return {"type": "accepted", "ballot": ballot_to_json(b), "slot": slot}
        case Nack(ballot=b, promised=p):
            return {"type": "nack", "ballot": ballot_to_json(b), "promised": ballot_to_json(p)}
        case Decision(slot=slot, command=command):
            return {"type": "decision", "slot": slot, "command": command_to_json(command)}
        case Heartbeat(ballot=b, executed=executed):
            return {"type": "heartbeat", "ballot": ballot_to_json(b), "executed": executed}
        case CatchUp(after=after):
            return {"type": "catch_up", "after": after}
        case Snapshot(floor=floor, supplies=supplies, table=table):
            return {
                "type": "snapshot",
                "floor": floor,
                "supplies": {k: v for k, v in supplies},
                "table": [
                    {"traveller": t, "request": r, **result_to_json(res)} for t, r, res in table
                ],
            }
        case Request(command=command):
            return {"type": "request", "command": command_to_json(command)}
        case Response(traveller=t, request=r, result=result):
            return {"type": "response", "traveller": t, "request": r, **result_to_json(result)}
    raise TypeError(f"not a journey message: {msg!r}")  # pragma: no cover


def _ballot(data: dict[str, Any], key: str) -> Ballot:
    ballot = ballot_from_json(data.get(key))
    if ballot is None:
        raise ValueError(f"message field {key!r} must be a ballot")
    return ballot


def _whole(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"message field {key!r} must be a whole number, 0 or more")
    return value


def message_from_json(data: object) -> JourneyMessage:
    """Inverse of :func:`message_to_json`; raises ``ValueError`` on anything malformed."""
    if not isinstance(data, dict):
        raise ValueError(f"a message is an object, got {data!r}")
    match data.get("type"):
        case "prepare":
            return Prepare(ballot=_ballot(data, "ballot"))
        case "promise":
            raw = data.get("votes")
            if not isinstance(raw, list):
                raise ValueError("promise 'votes' must be a list")
            votes = []
            for item in raw:
                if not isinstance(item, dict):
                    raise ValueError("a promise's vote is an object")
                votes.append(
                    SlotVote(
                        slot=_whole(item, "slot"),
                        ballot=_ballot(item, "ballot"),
                        command=command_from_json(item.get("command")),
                    )
                )
            return Promise(
                ballot=_ballot(data, "ballot"), floor=_whole(data, "floor"), votes=tuple(votes)
            )
        case "accept":
            return Accept(
                ballot=_ballot(data, "ballot"),
                slot=_whole(data, "slot"),
                command=command_from_json(data.get("command")),
            )
        case "accepted":
            return Accepted(ballot=_ballot(data, "ballot"), slot=_whole(data, "slot"))
        case "nack":
            return Nack(ballot=_ballot(data, "ballot"), promised=_ballot(data, "promised"))
        case "decision":
            return Decision(
                slot=_whole(data, "slot"), command=command_from_json(data.get("command"))
            )
        case "heartbeat":
            return Heartbeat(ballot=_ballot(data, "ballot"), executed=_whole(data, "executed"))
        case "catch_up":
            return CatchUp(after=_whole(data, "after"))
        case "snapshot":
            supplies = data.get("supplies")
            table = data.get("table")
            if not isinstance(supplies, dict) or not isinstance(table, list):
                raise ValueError("snapshot 'supplies' is an object and 'table' a list")
            rows = []
            for row in table:
                if not isinstance(row, dict) or not isinstance(row.get("traveller"), str):
                    raise ValueError("a snapshot table row names its traveller")
                rows.append((row["traveller"], _whole(row, "request"), result_from_json(row)))
            return Snapshot(
                floor=_whole(data, "floor"),
                supplies=tuple(sorted((str(k), _whole(supplies, k)) for k in supplies)),
                table=tuple(rows),
            )
        case "request":
            return Request(command=command_from_json(data.get("command")))
        case "response":
            traveller = data.get("traveller")
            if not isinstance(traveller, str):
                raise ValueError("response 'traveller' must be a string")
            return Response(
                traveller=traveller, request=_whole(data, "request"), result=result_from_json(data)
            )
        case other:
            raise ValueError(f"unknown journey message type {other!r}")
