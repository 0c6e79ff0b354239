"""Views of the desert at the time machine's position: riders, state, and why.

Theory of operation
-------------------
Every view speaks the glossary's words (``/help words``): a ballot is a
*banner*, written ``banner (2, Itri)``; an accepted proposal is a *vote*; a
quorum is a *majority*; the durable state is the *logbook*; a timeout is the
caravan's *patience*. The protocol's own names (phases, timers) stay inside.

Everything here only reads: the live simulation (caravans, disks, heap,
sandstorm, armed timers) and the recorded trace lines up to the current
position. ``/why`` is built from the protocol's own state (a proposer's phase,
promises, votes and refusals; an acceptor's promise) plus the few past events
that say *how* it got there: the latest ``adopt`` (whose value it carries and
why), the refusals it heard, the decision it learned and when it collapsed.
"""

from __future__ import annotations

import json
from typing import Any

from ..narrate._layout import GLUE, cell_width, wrap
from ..protocol import LEARN_TIMER, PROPOSER_TIMER, Ballot, Caravan
from ..protocol._proposer import ACCEPTING, BACKING_OFF, DONE, IDLE, PREPARING
from ..sim._simulator import DELIVER, LOSE
from ._machine import TimeMachine
from ._map import Rider

__all__ = [
    "banner",
    "chosen_lines",
    "fmt",
    "inflight_lines",
    "past_events",
    "riders_in_flight",
    "sandstorm_groups",
    "state_lines",
    "why_lines",
]


def fmt(ballot: Ballot | None) -> str:
    return "nothing" if ballot is None else f"({ballot.round}, {ballot.caravan})"


def banner(ballot: Ballot | None) -> str:
    """``banner (2, Itri)``, or ``no banner``."""
    return "no banner" if ballot is None else f"banner {fmt(ballot)}"


def _names(names: list[str] | tuple[str, ...]) -> str:
    names = list(names)
    if not names:
        return "nobody"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def riders_in_flight(tm: TimeMachine) -> list[Rider]:
    """Every rider on the sand, in the order they arrive."""
    out: list[Rider] = []
    for entry in tm.sim.heap:
        if entry[2] not in (DELIVER, LOSE):
            continue
        msg_id, src, dst, msg = entry[3], entry[4], entry[5], entry[6]
        sent = tm.sent_at[msg_id - 1] if msg_id - 1 < len(tm.sent_at) else entry[0]
        kind = str(tm.sim.engine.message_to_json(msg).get("type", "?"))
        out.append(Rider(msg_id, src, dst, kind, sent, entry[0], entry[2] == LOSE))
    out.sort(key=lambda r: (r.arrive, r.msg_id))
    return out


def sandstorm_groups(tm: TimeMachine) -> list[list[str]] | None:
    groups = tm.sim.groups
    if groups is None:
        return None
    by_index: dict[int, list[str]] = {}
    for name in tm.sim.names:
        by_index.setdefault(groups[name], []).append(name)
    return [by_index[i] for i in sorted(by_index)]


# -- the record ------------------------------------------------------------------


def past_events(tm: TimeMachine, kind: str, node: str | None = None) -> list[dict[str, Any]]:
    """Events of ``kind`` (about ``node``) up to the current position, latest first."""
    needle = f'"kind": "{kind}"'
    out: list[dict[str, Any]] = []
    for line in reversed(tm.lines[: tm.seq]):
        if needle not in line:
            continue
        event = json.loads(line)
        if node is None or event.get("node") == node or event.get("dst") == node:
            out.append(event)
    return out


# -- what the omniscient eye sees --------------------------------------------------------


def chosen_lines(tm: TimeMachine) -> list[str]:
    """The campsite chosen (a majority's votes under one banner), and how many know it.

    Chosen is not known: a campsite is chosen the moment a majority has written
    its vote in their logbooks, usually before any caravan has heard.
    """
    monitor = tm.sim.monitor
    size = len(tm.sim.names)
    knowing = monitor.decisions
    if monitor.chosen:
        first = min(monitor.chosen)
        values = sorted(set(monitor.chosen.values()))
        k = sum(1 for value in knowing.values() if value in values)
        return [
            f"✦ Chosen: {' and '.join(values)}, by a majority's votes under "
            f"{banner(first)}; {k}{GLUE}of{GLUE}{size} caravans know it."
        ]
    if knowing:
        values = sorted(set(knowing.values()))
        return [
            f"⛺ {len(knowing)} of {size} caravans believe they know {' and '.join(values)}, "
            "yet no majority has written a vote for it."
        ]
    return []


# -- /state ---------------------------------------------------------------------

_DOING = {
    PREPARING: "gathers promises",
    ACCEPTING: "gathers votes",
    BACKING_OFF: "waits, then raises a higher banner",
    IDLE: "idle",
    DONE: "done: it knows the campsite",
}
_PATIENCE = {PROPOSER_TIMER: "its banner", LEARN_TIMER: "news"}


def _compact(ballot: Ballot | None) -> str:
    """A banner in a table cell: ``(2,Itri)``, one word that never breaks."""
    return "—" if ballot is None else f"({ballot.round},{ballot.caravan})"


def _proposer_summary(c: Caravan) -> str:
    p = c.proposer
    cfg = c.config
    if p.phase == PREPARING and p.ballot is not None:
        return f"{_compact(p.ballot)}: {len(p.promises)}/{cfg.phase1_quorum}{GLUE}promises"
    if p.phase == ACCEPTING and p.ballot is not None:
        return f"{_compact(p.ballot)}: {len(p.votes)}/{cfg.phase2_quorum}{GLUE}votes"
    if p.phase == BACKING_OFF:
        return f"waits to raise a higher one (attempt {p.attempts})"
    return "—"


def _vote(value: str | None, ballot: Ballot | None) -> str:
    return "—" if ballot is None else f"{value} {_compact(ballot)}"


def _table(rows: list[list[str]], width: int) -> list[str]:
    """Rows of cells within ``width``, each cell broken at spaces within its column.

    A column is at least as wide as its longest word (so no word is cut while
    the width allows it); what is left goes to the columns with longer text.
    """
    columns = list(zip(*rows, strict=True))
    least = [max(cell_width(w) for cell in col for w in cell.split(" ")) + 1 for col in columns]
    most = [max(cell_width(cell) for cell in col) + 1 for col in columns]
    widths = list(least)
    spare = width - sum(widths)
    while spare > 0:
        wanting = [i for i, w in enumerate(widths) if w < most[i]]
        if not wanting:
            break
        for i in wanting[:spare]:
            widths[i] += 1
        spare = width - sum(widths)
    lines: list[str] = []
    for row in rows:
        cells = [wrap(text, w - 1, " ") for text, w in zip(row, widths, strict=True)]
        for i in range(max(len(c) for c in cells)):
            parts = []
            for cell, w in zip(cells, widths, strict=True):
                text = cell[i] if i < len(cell) else ""
                parts.append(text + " " * (w - cell_width(text)))
            lines.append("".join(parts).rstrip())
    return lines


def state_lines(tm: TimeMachine, name: str | None, width: int = 80) -> list[str]:
    sim = tm.sim
    if name is None:
        rows = [["caravan", "promise", "vote", "banner", "knows"]]
        for n in sim.names:
            c = sim.caravans.get(n)
            if c is None:
                record = sim.disk[n]
                rows.append(
                    [
                        f"✗ {n}",
                        _compact(record.promised),
                        _vote(record.accepted_value, record.accepted_ballot),
                        "collapsed",
                        "—",
                    ]
                )
                continue
            record = c.acceptor.record
            rows.append(
                [
                    n,
                    _compact(c.acceptor.promised),
                    _vote(record.accepted_value, record.accepted_ballot),
                    _proposer_summary(c),
                    c.learner.decided.value if c.learner.decided is not None else "—",
                ]
            )
        return _table(rows, width)
    c = sim.caravans.get(name)
    record = sim.disk[name]
    logbook = f"promise {fmt(record.promised)}, " + (
        f"vote {record.accepted_value} under {banner(record.accepted_ballot)}"
        if record.accepted_ballot is not None
        else "no vote"
    )
    if c is None:
        return [f"{name}: collapsed", f"  logbook   {logbook} (all that survives a collapse)"]
    p = c.proposer
    cfg = c.config
    lines = [f"{name}: on its feet"]
    lines.append(f"  acceptor  promise: {banner(c.acceptor.promised)}; logbook: {logbook}")
    if p.phase == IDLE and p.wish is None:
        lines.append("  proposer  idle: no campsite of its own to push")
    else:
        lines.append(
            f"  proposer  {_DOING.get(p.phase, p.phase)}"
            + (f" under {banner(p.ballot)}" if p.ballot is not None else "")
            + (f"; wish {p.wish}" if p.wish is not None else "")
            + (f"; carries {p.value}" if p.value is not None else "")
        )
        if p.phase in (PREPARING, ACCEPTING):
            lines.append(
                f"            promises {len(p.promises)} of the majority of {cfg.phase1_quorum} "
                f"({_names(sorted(p.promises))}); votes {len(p.votes)} of {cfg.phase2_quorum} "
                f"({_names(sorted(p.votes))}); refusals: {_names(sorted(p.refusals))}"
            )
        lines.append(f"            attempts {p.attempts}; highest round heard {p.max_round}")
    decided = c.learner.decided
    lines.append(
        "  learner   "
        + (
            f"knows {decided.value} (chosen under {banner(decided.ballot)})"
            if decided is not None
            else "knows nothing yet"
        )
    )
    patience = [
        f"{_PATIENCE.get(timer, timer)} until t={t}"
        for (node, timer), t in sorted(sim.armed.items(), key=lambda item: (item[1], item[0]))
        if node == name
    ]
    lines.append(f"  patience  {'; '.join(patience) if patience else 'not waiting for anything'}")
    return lines


# -- /inflight ------------------------------------------------------------------


def inflight_lines(tm: TimeMachine, clock: int) -> list[str]:
    from ..narrate import protocol_voice

    riders = riders_in_flight(tm)
    if not riders:
        return ["No rider is on the sand."]
    msgs = {entry[3]: entry[6] for entry in tm.sim.heap if entry[2] in (DELIVER, LOSE)}
    lines = [f"{len(riders)} rider{'s' if len(riders) != 1 else ''} on the sand:"]
    for r in riders:
        event = {
            "kind": "send",
            "src": r.src,
            "dst": r.dst,
            "msg": tm.sim.engine.message_to_json(msgs[r.msg_id]),
        }
        journey = max(1, r.arrive - r.sent)
        done = min(100, max(0, (clock - r.sent) * 100 // journey))
        fate = "  lost on the way" if r.doomed else ""
        lines.append(
            f"  #{r.msg_id:<4} {protocol_voice(event):<44} sent t={r.sent:<5} "
            f"arrives t={r.arrive} ({done}%){fate}"
        )
    return lines


# -- /why -----------------------------------------------------------------------


def why_lines(tm: TimeMachine, name: str) -> list[str]:
    sim = tm.sim
    c = sim.caravans.get(name)
    if c is None:
        crash = past_events(tm, "crash", name)
        when = f" at t={crash[0]['t']}" if crash else ""
        record = sim.disk[name]
        vote = (
            f"its vote for {record.accepted_value} under {banner(record.accepted_ballot)}"
            if record.accepted_ballot is not None
            else "that it has no vote"
        )
        made = sim.monitor.promises.get(name)  # the highest promise it ever made
        if not sim.config.variant.persist_promise and made is not None:
            holds = (
                f"it holds {vote}, but not its promise"
                if record.accepted_ballot is not None
                else "it holds no vote, and not even its promise"
            )
            kept = (
                f"{holds} to follow {banner(made)}: this variant "
                f"({sim.config.variant.name}) keeps a promise only in memory, so when it "
                f"recovers (/recover {name}) it has forgotten it and may follow an older "
                "banner, which is how the variant breaks Paxos"
            )
        elif record.promised is None:
            kept = (
                f"it had promised nothing yet, so when it recovers (/recover {name}) it may "
                "follow any banner"
            )
        else:
            kept = (
                f"it promised {banner(record.promised)} and remembers {vote}; when it recovers "
                f"(/recover {name}) it keeps that promise, which is what keeps Paxos safe"
            )
        return [
            f"{name} collapsed{when}. It does nothing and every rider sent to it is lost.",
            f"Its logbook survives: {kept}.",
        ]
    lines: list[str] = []
    decided = c.learner.decided
    if decided is not None:
        learned = past_events(tm, "decide", name)
        when = f" since t={learned[0]['t']}" if learned else ""
        how = _how_it_learned(tm, name, learned[0] if learned else None)
        lines.append(
            f"{name} knows the campsite is {decided.value}{when}: it was chosen under "
            f"{banner(decided.ballot)} and {how}. A chosen campsite never changes."
        )
    promised = c.acceptor.promised
    if promised is None:
        lines.append(f"As an acceptor, {name} has promised nothing: it would follow any banner.")
    else:
        lines.append(
            f"As an acceptor, {name} has promised to follow {banner(promised)}: it refuses "
            f"every lower banner, so an older proposer can no longer get its promise or its vote."
        )
    record = c.acceptor.record
    if record.accepted_ballot is not None:
        lines.append(
            f"Its vote is for {record.accepted_value} under {banner(record.accepted_ballot)}; "
            f"any proposer it promises later hears of that vote."
        )
    lines.extend(_proposer_why(tm, c))
    groups = sandstorm_groups(tm)
    if groups is not None:
        mine = next(g for g in groups if name in g)
        others = [n for n in sim.names if n not in mine]
        if others:
            lines.append(
                f"A sandstorm cuts it off from {_names(others)}: riders between them are lost, "
                f"so it can count only on {_names(mine)}."
            )
    if decided is None:
        fire = sim.armed.get((name, LEARN_TIMER))
        if fire is not None:
            lines.append(
                f"It has no news of a campsite; at t={fire} its patience runs out and it sends "
                f"an inquiry: has a campsite been chosen?"
            )
    return lines


def _how_it_learned(tm: TimeMachine, name: str, decide: dict[str, Any] | None) -> str:
    """The delivery that made ``name`` know: a vote that completed its majority, or news."""
    if decide is None:
        return "it learned it"
    for line in reversed(tm.lines[: decide["seq"] - 1]):
        event = json.loads(line)
        if event.get("t") != decide["t"]:
            break
        if event.get("kind") != "deliver" or event.get("dst") != name:
            continue
        msg = event.get("msg") or {}
        match msg.get("type"):
            case "accepted":
                return (
                    f"it counted the vote of {event.get('src')} that completed a majority "
                    "for its own banner"
                )
            case "decided":
                return f"a rider from {event.get('src')} brought the news"
    return "the news reached it"


def _proposer_why(tm: TimeMachine, c: Caravan) -> list[str]:
    name = c.name
    p = c.proposer
    cfg = c.config
    match p.phase:
        case "idle":
            if p.wish is None:
                return ["It raises no banner: it has no campsite of its own to propose."]
            return [f"It wished for {p.wish} but raises no banner now."]
        case "done":
            return [] if p.wish is None else ["It stopped leading once it knew the decision."]
        case "preparing":
            missing = [n for n in cfg.caravans if n not in p.promises and n not in p.refusals]
            out = [
                f"It raises {banner(p.ballot)} and gathers promises: {len(p.promises)} of the "
                f"majority of {cfg.phase1_quorum} it needs ({_names(sorted(p.promises))}); "
                f"still waiting on {_names(missing)}."
            ]
            out.extend(_refusal_why(tm, c))
            return out
        case "accepting":
            out = [
                f"It asks the caravans to vote for {p.value} under {banner(p.ballot)}: "
                f"{len(p.votes)} of the majority of {cfg.phase2_quorum} votes it needs "
                f"({_names(sorted(p.votes))})."
            ]
            out.extend(_adopt_why(tm, c))
            out.extend(_refusal_why(tm, c))
            return out
        case "backing-off":
            out = [f"Its {banner(p.ballot)} failed (attempt {p.attempts})."]
            refusals = _refusal_why(tm, c)
            out.extend(
                refusals
                or [
                    "No majority answered before its patience ran out (riders lost, or "
                    "caravans away)."
                ]
            )
            fire = tm.sim.armed.get((name, PROPOSER_TIMER))
            when = f" at t={fire}" if fire is not None else ""
            out.append(
                f"It waits a random while and{when} raises a higher banner, with a round above "
                f"{p.max_round}, the highest it has heard of."
            )
            return out
    return []


def _adopt_why(tm: TimeMachine, c: Caravan) -> list[str]:
    p = c.proposer
    if p.ballot is None:
        return []
    wanted = [p.ballot.round, p.ballot.caravan]
    for event in past_events(tm, "adopt", c.name):
        if event.get("ballot") != wanted:
            continue
        reporter = event.get("reported_by")
        source = "its own promise" if reporter == c.name else f"{reporter}'s promise"
        own = event.get("own_value")
        instead = f" instead of its own wish, {own}," if own and own != event.get("value") else ""
        from_ballot = event.get("from_ballot") or ["?", "?"]
        return [
            f"It carries {event.get('value')} forward{instead} because {source} reported a "
            f"vote for it under banner ({from_ballot[0]}, {from_ballot[1]}), the highest among "
            f"its promises: that campsite may already be chosen, so Paxos makes it carry it "
            f"forward."
        ]
    if p.wish is not None and p.value == p.wish:
        reported = p.highest_reported()
        variant = c.config.variant
        if reported is not None and not variant.adopt_reported_value:
            reporter, proposal = reported
            source = "its own promise" if reporter == c.name else f"{reporter}'s promise"
            ballot = proposal.ballot
            return [
                f"{source[0].upper()}{source[1:]} reported a vote for {proposal.value} under "
                f"banner ({ballot.round}, {ballot.caravan}), which real Paxos would carry "
                f"forward; {variant.who or variant.name} ignores it and asks for its own wish, "
                f"{p.wish}. That is the broken rule: {variant.lesson}"
            ]
        return [
            f"No promise reported an earlier vote, so it is free to propose its own wish, {p.wish}."
        ]
    return []


def _refusal_why(tm: TimeMachine, c: Caravan) -> list[str]:
    p = c.proposer
    if p.ballot is None or not p.refusals:
        return []
    wanted = [p.ballot.round, p.ballot.caravan]
    blockers: dict[str, Any] = {}
    for event in past_events(tm, "deliver", c.name):
        msg = event.get("msg") or {}
        if event.get("dst") != c.name or msg.get("type") != "nack" or msg.get("ballot") != wanted:
            continue
        blockers.setdefault(str(event.get("src")), msg.get("promised"))
    if not blockers:
        return [f"{_names(sorted(p.refusals))} refused it."]
    parts = [
        f"{src} had promised banner ({b[0]}, {b[1]})" if isinstance(b, list) else f"{src} refused"
        for src, b in sorted(blockers.items())
    ]
    return [
        f"It was refused: {'; '.join(parts)}. A promise to a higher banner stops it; "
        f"it must come back with a higher one."
    ]
