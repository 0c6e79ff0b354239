"""The REPL on a journey: the caravans' logs, the leader, and travellers' requests by hand.

Theory of operation
-------------------
A journey (``"protocol": "multi-paxos"``) runs in the same time machine as a
single campsite; what differs is what there is to look at. Its map is a table
(a caravan per line: leads or follows whom, promise, nights executed, the
supplies; a traveller per line: what it waits for), and these commands read or
change the journey:

* ``/log CARAVAN``: the caravan's nights, one per line: the command it voted
  for (and under which banner), whether it knows the night is decided, whether
  it executed it; the nights at or below its floor are compacted into its
  supplies and said so.
* ``/leader``: who leads under which banner, whom each caravan follows, and
  when each last heard a heartbeat.
* ``/state [CARAVAN]``: every caravan's role, promise, nights executed and
  known, and supplies (and which nights are chosen), or one caravan role by
  role (leader, acceptor, replica).
* ``/why CARAVAN``: the caravan's last step (what made it act and what it did)
  in both voices, the rule at work, and, on a broken variant, the lesson when
  that rule is the one the variant breaks.
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

__all__ = [
    "is_journey",
    "journey_picture",
    "journey_state_lines",
    "journey_why_lines",
    "leader_lines",
    "log_lines",
    "parse_request",
]


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


# -- /state and /why on a journey ---------------------------------------------------------


def _nights(slots: list[int]) -> str:
    """``1..3, 5`` (runs of nights), or ``none``."""
    if not slots:
        return "none"
    runs: list[str] = []
    start = prev = slots[0]
    for slot in [*slots[1:], None]:
        if slot is not None and slot == prev + 1:
            prev = slot
            continue
        runs.append(str(start) if start == prev else f"{start}..{prev}")
        if slot is not None:
            start = prev = slot
    return ", ".join(runs)


def _supplies(supplies: dict[str, int] | tuple[tuple[str, int], ...]) -> str:
    items = supplies.items() if isinstance(supplies, dict) else supplies
    return ", ".join(f"{k} {v}" for k, v in sorted(items)) or "empty"


def _role(caravan: JourneyCaravan) -> str:
    leader = caravan.leader
    if leader.leading:
        return f"leads under {format_ballot(leader.ballot)}"
    if leader.state == "scouting":
        return f"stands under {format_ballot(leader.ballot)}"
    return f"follows {leader.leader or 'nobody yet'}"


def chosen_nights(tm: TimeMachine) -> list[int]:
    """The nights a majority has voted one command in (chosen, known or not)."""
    monitor: Any = tm.sim.monitor  # a JourneyMonitor on a journey
    return sorted(monitor.chosen)


def journey_state_lines(tm: TimeMachine, name: str | None, width: int = 80) -> list[str]:
    """``/state`` on a journey: every caravan in a table, or one caravan role by role."""
    from ._views import _table

    sim = tm.sim
    if name is None:
        rows = [["caravan", "role", "promise", "executed", "knows", "supplies"]]
        for n in sim.names:
            c = sim.caravans.get(n)
            if not isinstance(c, JourneyCaravan):
                record: Any = sim.disk.get(n)
                promised = record.promised if record is not None else None
                rows.append([f"✗ {n}", "collapsed", format_ballot(promised), "—", "—", "—"])
                continue
            replica = c.replica
            known = sorted({*range(1, replica.executed + 1), *replica.decisions})
            rows.append(
                [
                    n,
                    _role(c),
                    format_ballot(c.promised),
                    f"nights {_nights(list(range(1, replica.executed + 1)))}",
                    f"nights {_nights(known)}",
                    _supplies(replica.supplies),
                ]
            )
        chosen = chosen_nights(tm)
        return [
            *_table(rows, width),
            f"Chosen (a majority voted one command): nights {_nights(chosen)}; "
            "a night can be chosen before any caravan knows it.",
        ]
    c = sim.caravans.get(name)
    if not isinstance(c, JourneyCaravan):
        record = sim.disk.get(name)
        if record is None:
            return [f"{name}: collapsed"]
        votes = [s for s, _b, _c in record.votes]
        return [
            f"{name}: collapsed",
            f"  logbook   promise {format_ballot(record.promised)}; votes in nights "
            f"{_nights(votes)}; compacted up to night {record.floor}; highest round tried "
            f"{record.tried_round} (all that survives a collapse)",
        ]
    leader, replica, record = c.leader, c.replica, c.record
    cfg = c.config
    lines = [f"{name}: on its feet"]
    lead = f"  leader    {_role(c)}"
    if leader.leading:
        opened = ", ".join(
            f"night {s} ({_who(cmd)}: votes {len(leader.votes.get(s, ()))} of {cfg.phase2_quorum})"
            for s, cmd in sorted(leader.open.items())
        )
        lead += f"; open: {opened or 'no night'}; next night {leader.next_slot}"
        if leader.queue:
            lead += f"; waiting: {', '.join(_who(q) for q in leader.queue)}"
    elif leader.state == "scouting":
        lead += f"; promises {len(leader.promises)} of {cfg.phase1_quorum} ({', '.join(sorted(leader.promises)) or 'none'})"
    lines.append(lead + f"; highest round heard {leader.max_round}")
    votes = [s for s, _b, _c in record.votes]
    lines.append(
        f"  acceptor  promise {format_ballot(c.promised)}; logbook: votes in nights "
        f"{_nights(votes)}, compacted up to night {record.floor}"
    )
    known = sorted(s for s in replica.decisions if s > replica.executed)
    lines.append(
        f"  replica   executed nights {_nights(list(range(1, replica.executed + 1)))} "
        f"(compacted up to {replica.floor}); knows, not yet executed: nights {_nights(known)}; "
        f"supplies: {_supplies(replica.supplies)}"
    )
    if replica.table:
        answered = ", ".join(f"{t} #{r}" for t, (r, _res) in sorted(replica.table.items()))
        lines.append(f"            each traveller's last request executed: {answered}")
    if c.pending:
        lines.append(f"  passed on {', '.join(_who(p) for p in c.pending)} (not executed here yet)")
    return lines


# The rule at work for each kind of step, and the variant that breaks it (if any).
_RULES: dict[str, tuple[str, str | None]] = {
    "prepare": (
        "Phase 1, as an acceptor: it promises a banner at least as high as every banner it "
        "promised, for every open night at once, and reports its votes above its floor; a "
        "lower banner gets a refusal. The promise is written before the answer leaves.",
        None,
    ),
    "accept": (
        "Phase 2, as an acceptor: it votes for the command in that night unless it promised "
        "a higher banner, and writes the vote before the answer leaves; a night it already "
        "executed is told to the leader instead.",
        None,
    ),
    "promise": (
        "The leader's scout: a majority of promises elects it for every open night; in each "
        "night it carries forward the command voted under the highest banner reported, and a "
        "hole becomes a rest day.",
        "skip-phase1",
    ),
    "accepted": (
        "The leader's commander: a majority of votes under its banner in a night decides that "
        "night, and it tells every caravan.",
        None,
    ),
    "decision": (
        "The replica: it records the night and executes the nights strictly in order, each "
        "request at most once (its table keeps each traveller's last answer).",
        "twice-executed",
    ),
    "heartbeat": (
        "A follower: a heartbeat under a banner at least its promise names the leader and "
        "restarts its patience; one from a leader further ahead makes it catch up.",
        None,
    ),
    "request": (
        "A request is ordered by the leader through the log (reads too); a follower passes it "
        "on to the leader it knows; one already executed is answered from the table.",
        "stale-read",
    ),
    "nack": (
        "Preempted: a refusal naming a higher banner makes a leader step down and follow.",
        None,
    ),
    "catch_up": (
        "Catching up: it sends the decided nights the asker lacks, or its supplies as of its "
        "floor when those nights are compacted.",
        None,
    ),
    "snapshot": (
        "Catching up: it takes the supplies and table as of the sender's floor, then executes "
        "what it knows beyond.",
        None,
    ),
    "response": ("A caravan ignores answers meant for travellers.", None),
    "election": (
        "Its patience for a leader's heartbeat ran out: it stands for election with a banner "
        "above every round it has heard of, and runs phase 1 once for every open night.",
        "skip-phase1",
    ),
    "heartbeat-timer": (
        "A leader sends a heartbeat every little while so that its followers do not stand.",
        None,
    ),
    "retry": (
        "A leader sends the Accept riders of its open nights again until they are decided.",
        None,
    ),
    "crash": (
        "It collapsed: it does nothing, hears nothing; its logbook (promise, votes, floor, "
        "supplies as of the floor) survives.",
        None,
    ),
    "recover": (
        "It got up from its logbook: the same promise, the same votes, and never a banner at "
        "or below the round it wrote down.",
        None,
    ),
}

_CAUSES = ("deliver", "timer", "crash", "recover")


def _last_step(tm: TimeMachine, name: str) -> list[dict[str, Any]]:
    """The caravan's last step: what made it act (a rider, a timer, a collapse, getting up)
    and the events that followed from it, in order."""
    import json

    lines = tm.lines[: tm.seq]
    for i in range(len(lines) - 1, -1, -1):
        event = json.loads(lines[i])
        kind = event.get("kind")
        if kind not in _CAUSES:
            continue
        mine = event.get("dst") == name if kind == "deliver" else event.get("node") == name
        if not mine:
            continue
        step = [event]
        for line in lines[i + 1 :]:
            after = json.loads(line)
            if after.get("t") != event.get("t") or after.get("kind") in _CAUSES:
                break
            if after.get("node") == name or after.get("src") == name:
                step.append(after)
        return step
    return []


def _rule_key(cause: dict[str, Any]) -> str:
    kind = cause.get("kind")
    if kind == "deliver":
        return str((cause.get("msg") or {}).get("type"))
    if kind == "timer":
        timer = str(cause.get("name"))
        return "heartbeat-timer" if timer == "heartbeat" else timer
    return str(kind)


def journey_why_lines(tm: TimeMachine, name: str, width: int = 80) -> list[str]:
    """``/why CARAVAN`` on a journey: its last step in both voices, and the rule at work."""
    from ..narrate._journey import journey_protocol_voice, journey_story_voice
    from ..narrate._layout import two_voices

    sim = tm.sim
    step = _last_step(tm, name)
    caravan = sim.caravans.get(name)
    now = (
        f"{name} {_role(caravan)}, promised {format_ballot(caravan.promised)}, "
        f"{caravan.replica.executed} nights executed."
        if isinstance(caravan, JourneyCaravan)
        else f"{name} lies collapsed; its logbook survives."
    )
    if not step:
        return _wrapped(
            [now, f"{name} has done nothing yet: its patience for a leader is running."], width
        )
    out = [f"{name}'s last step, at t={step[0]['t']}:"]
    for event in step[:8]:
        if event.get("kind") in ("timer_set", "timer_cancel"):
            continue
        stamp = f"t={event['t']:>5}"
        for text, _protocol in two_voices(
            stamp, journey_story_voice(event), journey_protocol_voice(event), width
        ):
            out.append(text)
    rule, broken_by = _RULES.get(_rule_key(step[0]), ("", None))
    words = [f"The rule at work: {rule}"] if rule else []
    variant = sim.protocol_config.variant  # the journey's (JourneyConfig)
    if broken_by is not None and variant.name == broken_by:
        words.append(f"This journey runs the broken variant {variant.name!r}: {variant.lesson}")
    words.append(f"Now: {now}")
    return out + _wrapped(words, width)


def _wrapped(paragraphs: list[str], width: int) -> list[str]:
    out: list[str] = []
    for text in paragraphs:
        out.extend(textwrap.wrap(text, max(20, width), subsequent_indent="  ") or [""])
    return out
