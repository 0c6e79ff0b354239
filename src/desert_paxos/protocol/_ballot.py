"""Ballots: the numbers that order proposals.

Theory of operation
-------------------
In "Paxos Made Simple" every proposal carries a number, and the protocol only
works because those numbers are totally ordered and no two proposers ever use
the same one. We make a ballot the pair ``(round, caravan)``: rounds grow as a
proposer retries, and the caravan's name breaks ties between proposers that
picked the same round. A ``NamedTuple`` compares field by field, so the order
is exactly the lexicographic order of that pair, and it hashes and compares at
C speed in the simulator's hot loop.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Ballot", "ballot_from_json", "ballot_to_json", "format_ballot"]


class Ballot(NamedTuple):
    """A proposal number: higher round wins; the caravan name breaks ties."""

    round: int
    caravan: str


def ballot_to_json(ballot: Ballot | None) -> list[object] | None:
    """The trace form of a ballot: ``[round, "Name"]`` or ``null``."""
    if ballot is None:
        return None
    return [ballot.round, ballot.caravan]


def ballot_from_json(value: object) -> Ballot | None:
    """Inverse of :func:`ballot_to_json`; raises ``ValueError`` on a malformed ballot."""
    if value is None:
        return None
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
    ):
        return Ballot(value[0], value[1])
    raise ValueError(f"a ballot is [round, caravan], got {value!r}")


def format_ballot(ballot: Ballot | None) -> str:
    """Human form used by both narration voices: ``(3, Aghilas)`` or ``none``."""
    if ballot is None:
        return "none"
    return f"({ballot.round}, {ballot.caravan})"
