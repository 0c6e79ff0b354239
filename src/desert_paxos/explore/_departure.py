"""Where a broken variant departs from real Paxos: the step a teacher would point at.

Theory of operation
-------------------
A counterexample is a list of moves played on caravans of the broken variant.
Before each move, :func:`departure` takes the caravan that move drives, exactly
as it stands (``Caravan.snapshot``), and plays the same input twice: once on a
caravan of the variant and once on a caravan of the real protocol restored from
the same snapshot (``Caravan.restore``), with a caravan's words to itself
delivered at once, as the explorer does. The first move whose effects differ
(riders, logbook writes, decisions, adoptions; timers are bookkeeping and left
out) is where the variant departs, and the two lists of effects say what real
Paxos would have done and what the variant did instead.

Nothing here names a variant's switch: the difference is read from the effects,
so a variant added later is marked without a line of code here. Only its name
in a sentence (``Variant.who``) and its lesson come from ``protocol/_variants``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from ..protocol import (
    LEARN_TIMER,
    PROPOSER_TIMER,
    VARIANTS,
    Accept,
    Accepted,
    AcceptorRecord,
    Adopt,
    Caravan,
    Config,
    Decide,
    Decided,
    Effect,
    Inquire,
    Message,
    Nack,
    Persist,
    Prepare,
    Promise,
    Send,
    format_ballot,
)
from ._model import Action, Model

__all__ = ["Departure", "departure", "real_config"]


@dataclass(frozen=True, slots=True)
class Departure:
    """The first move at which the variant does something real Paxos would not."""

    node: str  # the caravan that moved
    text: str  # what real Paxos would have done, and what the variant did instead


def real_config(config: Config) -> Config:
    """``config`` with the real protocol, and majorities if its quorums need not meet."""
    paxos = VARIANTS["paxos"]
    n = config.size
    if config.phase1_quorum + config.phase2_quorum > n:
        return replace(config, variant=paxos)
    majority = n // 2 + 1
    return replace(config, variant=paxos, phase1_quorum=majority, phase2_quorum=majority)


def departure(
    model: Model,
    caravans: dict[str, Caravan | None],
    disk: dict[str, AcceptorRecord],
    action: Action,
) -> Departure | None:
    """How ``action`` played now differs from real Paxos, or None if it does not."""
    variant = model.config.variant
    if variant.name == "paxos":
        return None
    kind, arg = action
    if kind in ("deliver", "duplicate"):
        src, node, msg = model.message(arg)
        if caravans.get(node) is None:
            return None  # a rider to a collapsed caravan is lost: no one's rule acts
    elif kind in ("timer", "learn", "propose", "recover"):
        node = model.names[arg]
    else:  # a collapse, a lost rider: the desert acts, not a rule of the protocol
        return None
    current = caravans.get(node)
    if kind == "recover":
        if current is not None:
            return None
        snapshot = None
    else:
        if current is None:
            return None
        snapshot = current.snapshot()
    start = disk[node] if current is None else current.record
    real = real_config(model.config)
    outcomes = []
    for config in (model.config, real):
        if snapshot is None:
            caravan = Caravan(config, node, disk[node])
        else:
            caravan = Caravan.restore(config, node, snapshot)
        match kind:
            case "deliver" | "duplicate":
                effects = caravan.on_message(src, msg)
            case "timer" | "learn":
                effects = caravan.on_timer(PROPOSER_TIMER if kind == "timer" else LEARN_TIMER)
            case "propose":
                effects = caravan.propose(model.campsites[arg])
            case _:
                effects = caravan.on_start()
        first = [e for e in effects if isinstance(e, _TOLD)]
        then = _words_to_itself(caravan, node, effects, model.instant_self)
        outcomes.append((first, [e for e in then if isinstance(e, _TOLD)], caravan.snapshot()))
    (broken, broken_then, broken_after), (paxos, paxos_then, paxos_after) = outcomes
    if (broken, broken_then, broken_after) == (paxos, paxos_then, paxos_after):
        return None
    # Each logbook write is told by what it changes in the logbook as it stood just before.
    before = _records_before(broken + broken_then, start) | _records_before(
        paxos + paxos_then, start
    )
    if broken == paxos:  # the difference comes from a word to itself: tell that one
        broken, paxos = broken_then, paxos_then
    who = variant.who or f"a caravan of the {variant.name} variant"
    would = _phrase(_only(paxos, broken), node, model.names, before)
    did = _phrase(_only(broken, paxos), node, model.names, before)
    here = f"Here {node} departs from real Paxos ({variant.name})"
    if would is not None and did is not None:
        text = (
            f"{here}: real Paxos would have {node} {_base(would)}; "
            f"as {who}, {node} {_third(did)} instead."
        )
    elif would is not None:
        text = f"{here}: real Paxos would have {node} {_base(would)}; as {who}, {node} does not."
    elif did is not None:
        text = (
            f"{here}: real Paxos would have {node} wait, with nothing to do yet; "
            f"as {who}, {node} {_third(did)}."
        )
    else:  # the same acts, but a different memory afterwards
        text = f"{here}: it acts as real Paxos would, but remembers something else afterwards."
    return Departure(node=node, text=f"{text} The rule: {variant.lesson}")


_TOLD = (Send, Persist, Decide, Adopt)  # what a story tells; timers are bookkeeping


def _records_before(effects: list[Any], start: AcceptorRecord) -> dict[int, AcceptorRecord]:
    """For each logbook write in ``effects`` (by identity), the record it replaces."""
    out: dict[int, AcceptorRecord] = {}
    last = start
    for effect in effects:
        if isinstance(effect, Persist):
            out[id(effect)] = last
            last = effect.record
    return out


def _words_to_itself(
    caravan: Caravan, node: str, effects: list[Effect], instant: bool
) -> list[Effect]:
    """The effects of the caravan's words to itself in ``effects``, delivered at once and in
    order after the rest of the step (as the explorer and the simulator deliver them)."""
    out: list[Effect] = []
    to_self = [e.msg for e in effects if instant and isinstance(e, Send) and e.dst == node]
    while to_self:
        for effect in caravan.on_message(node, to_self.pop(0)):
            out.append(effect)
            if instant and isinstance(effect, Send) and effect.dst == node:
                to_self.append(effect.msg)
    return out


def _only(these: list[Any], other: list[Any]) -> list[Any]:
    """The items of ``these`` not matched in ``other`` (as multisets), in their order."""
    left = list(other)
    out = []
    for item in these:
        if item in left:
            left.remove(item)
        else:
            out.append(item)
    return out


_MOST_ACTS = 2  # a departure is told in a breath: its first acts on each side


def _phrase(
    effects: list[Any], node: str, names: tuple[str, ...], before: dict[int, AcceptorRecord]
) -> list[str] | None:
    """The first acts of ``effects`` in the story's words (verbs first, as in "ask ...")."""
    acts: list[str] = []
    sends: dict[Message, list[str]] = {}
    order: list[Any] = []
    for effect in effects:
        if isinstance(effect, Send):
            if effect.msg not in sends:
                sends[effect.msg] = []
                order.append(effect.msg)
            sends[effect.msg].append(effect.dst)
        else:
            order.append(effect)
    adopts = [e for e in order if isinstance(e, Adopt)]
    for item in adopts + [e for e in order if not isinstance(e, Adopt)]:
        if isinstance(item, Adopt):
            own = f" instead of its own wish, {item.own_value}" if item.own_value else ""
            acts.append(
                f"carry {item.value} forward ({item.reported_by} reported a vote for it under "
                f"banner {format_ballot(item.from_ballot)}){own}"
            )
        elif isinstance(item, Persist):
            acts.append(_write(item.record, before[id(item)]))
        elif isinstance(item, Decide):
            acts.append(f"know the campsite, {item.value}")
        else:
            acts.append(_send(item, sends[item], node, names))
        if len(acts) == _MOST_ACTS:
            break
    return acts or None


def _base(acts: list[str]) -> str:
    return _and(acts)


def _and(acts: list[str]) -> str:
    return (", and " if any("," in act for act in acts) else " and ").join(acts)


def _third(acts: list[str]) -> str:
    """The acts told of one caravan: "ask every caravan" becomes "asks every caravan"."""
    out = []
    for act in acts:
        verb, _, rest = act.partition(" ")
        verb = verb[:-1] + "ies" if verb.endswith("y") else verb + "s"
        out.append(f"{verb} {rest}")
    return _and(out)


def _write(record: AcceptorRecord, before: AcceptorRecord) -> str:
    """A logbook write, told by what it changes since the step began."""
    parts = []
    if record.promised not in (before.promised, None, record.accepted_ballot):
        parts.append(f"its promise {format_ballot(record.promised)}")
    vote = (record.accepted_ballot, record.accepted_value)
    if record.accepted_ballot is not None and vote != (
        before.accepted_ballot,
        before.accepted_value,
    ):
        parts.append(
            f"its vote for {record.accepted_value} under {format_ballot(record.accepted_ballot)}"
        )
    for field in fields(record):  # anything else a logbook keeps, by its own name
        if field.name not in ("promised", "accepted_ballot", "accepted_value"):
            value = getattr(record, field.name)
            if value != getattr(before, field.name):
                parts.append(f"its {field.name.replace('_', ' ')} {value}")
    return f"write {' and '.join(parts)} in its logbook" if parts else "write its logbook again"


def _send(msg: Message, dsts: list[str], node: str, names: tuple[str, ...]) -> str:
    if sorted(dsts) == sorted(names):
        to = "every caravan"
    elif len(dsts) == 1:
        to = "itself" if dsts[0] == node else dsts[0]
    else:
        to = ", ".join(dsts[:-1]) + " and " + dsts[-1]
    match msg:
        case Prepare(ballot=b):
            return f"ask {to} to promise to follow banner {format_ballot(b)}"
        case Promise(ballot=b, accepted=None):
            return f"promise {to} to follow banner {format_ballot(b)}"
        case Promise(ballot=b, accepted=acc) if acc is not None:
            return (
                f"promise {to} to follow banner {format_ballot(b)}, reporting its vote for "
                f"{acc.value} under {format_ballot(acc.ballot)}"
            )
        case Accept(ballot=b, value=v):
            return f"ask {to} to vote for {v} under banner {format_ballot(b)}"
        case Accepted(ballot=b, value=v):
            return f"vote for {v} under banner {format_ballot(b)}, telling {to}"
        case Nack(ballot=b, promised=p):
            return f"refuse banner {format_ballot(b)}, having promised {format_ballot(p)}"
        case Decided(value=v):
            return f"tell {to} the campsite is {v}"
        case Inquire():
            return f"ask {to} whether a campsite was chosen"
    return f"send {to} a rider"  # pragma: no cover - every message type is named above
