"""The REPL on a journey: the caravans' logs, the leader, and travellers' requests by hand.

Theory of operation
-------------------
A journey (``"protocol": "multi-paxos"``) runs in the same time machine as a
single campsite; what differs is what there is to look at. Its map is a table
(a caravan per line: leads or follows whom, promise, nights executed, the
supplies; a traveller per line: what it waits for), and three commands read or
change the journey:

* ``/log CARAVAN``: the caravan's nights, one per line: the command it voted
  for (and under which banner), whether it knows the night is decided, whether
  it executed it; the nights at or below its floor are compacted into its
  supplies and said so.
* ``/leader``: who leads under which banner, whom each caravan follows, and
  when each last heard a heartbeat.
* ``/request TRAVELLER put water 40`` (or ``get water``, ``cas water 40 30``:
  expected, then new): the traveller asks one more at the next tick, written
  into the session's timeline as a ``request`` event, so time travel and
  ``/save`` keep it like any act by hand.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from ..protocol import format_ballot
from ..protocol.multi import JourneyCaravan, Traveller, describe
from ._map import Cell, DesertPicture

if TYPE_CHECKING:
    from ._machine import TimeMachine

__all__ = ["is_journey", "journey_picture", "leader_lines", "log_lines", "parse_request"]


def is_journey(tm: TimeMachine) -> bool:
    return tm.sim.engine.name == "multi-paxos"


def _who(command: Any) -> str:
    return describe(command) if command.is_rest else f"{command.traveller}'s {describe(command)}"


def caravan_line(name: str, caravan: Any) -> str:
    if not isinstance(caravan, JourneyCaravan):
        return f"{name}: collapsed (its logbook survives)"
    leader, replica = caravan.leader, caravan.replica
    if leader.leading:
        role = f"leads under {format_ballot(leader.ballot)}"
    elif leader.state == "scouting":
        role = f"stands for election under {format_ballot(leader.ballot)}"
    else:
        role = f"follows {leader.leader or 'no leader yet'}"
    supplies = ", ".join(f"{k} {v}" for k, v in sorted(replica.supplies.items())) or "empty"
    return (
        f"{name}: {role}; promised {format_ballot(caravan.promised)}; "
        f"{replica.executed} nights executed; supplies: {supplies}"
    )


def traveller_line(name: str, traveller: Any) -> str:
    if not isinstance(traveller, Traveller):
        return f"{name}: ?"
    current = traveller.current
    if current is not None:
        asked = traveller.caravans[traveller.target]
        return f"{name}: waits for request {current.request} ({describe(current)}), asked {asked}"
    left = len(traveller.plan.operations) - traveller.next_op
    return f"{name}: {'done' if left == 0 else f'thinking; {left} more to ask'}"


def journey_picture(tm: TimeMachine, title: str, status: list[str], width: int) -> DesertPicture:
    sim = tm.sim
    lines = [f"── {title} " + "─" * max(0, width - len(title) - 4)]
    lines += [caravan_line(n, sim.caravans.get(n)) for n in sim.names]
    lines += [traveller_line(n, sim.caravans.get(n)) for n in sim.nodes[len(sim.names) :]]
    lines += status
    rows: list[tuple[Cell, ...]] = []
    for line in lines:
        for part in textwrap.wrap(line, width, subsequent_indent="    ") or [""]:
            rows.append(tuple((ch, None) for ch in part))
    return DesertPicture(rows=tuple(rows))


def log_lines(tm: TimeMachine, name: str) -> list[str]:
    caravan = tm.sim.caravans.get(name)
    if not isinstance(caravan, JourneyCaravan):
        record: Any = tm.sim.disk.get(name)
        votes = len(record.votes) if record is not None else 0
        return [f"{name} has collapsed; its logbook keeps votes in {votes} nights."]
    replica, record = caravan.replica, caravan.record
    out: list[str] = []
    if replica.floor:
        out.append(
            f"nights 1..{replica.floor}: compacted into the supplies (the logbook keeps the "
            "supplies and each traveller's last answer instead)"
        )
    votes = {s: (b, c) for s, b, c in record.votes}
    last = max([replica.executed, *votes, *replica.decisions, replica.floor])
    for slot in range(replica.floor + 1, last + 1):
        parts = []
        if slot in votes:
            ballot, command = votes[slot]
            parts.append(f"voted {_who(command)} under {format_ballot(ballot)}")
        decided = replica.decisions.get(slot)
        if decided is not None:
            parts.append(f"knows it holds {_who(decided)}")
        parts.append("executed" if slot <= replica.executed else "not executed yet")
        out.append(f"night {slot}: " + "; ".join(parts))
    if not out:
        out.append(f"{name} has no nights yet.")
    return out


def leader_lines(tm: TimeMachine) -> list[str]:
    sim = tm.sim
    engine: Any = sim.engine
    best = engine.leader(sim)
    lines = [
        "No caravan leads now: the next whose patience runs out stands for election."
        if best is None
        else f"{best[0]} leads under banner {format_ballot(best[1])}."
    ]
    for name in sim.names:
        caravan = sim.caravans.get(name)
        if isinstance(caravan, JourneyCaravan) and not caravan.leader.leading:
            fire = sim.armed.get((name, "election"))
            patience = f"; stands at t={fire} unless a heartbeat comes" if fire is not None else ""
            lines.append(f"{name} follows {caravan.leader.leader or 'nobody yet'}{patience}")
        elif caravan is None:
            lines.append(f"{name} has collapsed")
    return lines


def parse_request(args: list[str]) -> tuple[str, str, str, int | None, int | None] | str:
    """``TRAVELLER get KEY`` | ``put KEY N`` | ``cas KEY EXPECTED NEW``, or what is wrong."""
    if len(args) < 3:
        return "say who asks what, e.g. /request Ines put water 40"
    traveller, op, key, *numbers = args
    wanted = {"get": 0, "put": 1, "cas": 2}.get(op.lower())
    if wanted is None:
        return f"{op!r} is not an operation: get, put or cas"
    if len(numbers) != wanted:
        shapes = {0: "get KEY", 1: "put KEY AMOUNT", 2: "cas KEY EXPECTED NEW"}
        return f"a {op.lower()} is written {shapes[wanted]}"
    amounts: list[int] = []
    for word in numbers:
        if not word.isdigit() or len(word) > 7:
            return f"{word!r} is not an amount: a whole number from 0 to 1000000"
        amounts.append(int(word))
    if amounts and max(amounts) > 1_000_000:
        return "an amount is at most 1000000"
    match op.lower():
        case "get":
            return (traveller, "get", key, None, None)
        case "put":
            return (traveller, "put", key, amounts[0], None)
    return (traveller, "cas", key, amounts[1], amounts[0])
