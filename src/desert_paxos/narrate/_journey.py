"""The long journey told in two voices: nights, leaders, heartbeats, rest days, travellers.

Theory of operation
-------------------
A journey trace (header ``"protocol": "multi-paxos"``) has its own riders and
kinds, so it has its own storyteller, :class:`JourneyStory`, with the same
interface as the single-decree ``Story`` (``tell`` returns a :class:`Told`,
``recall`` takes an event into context without telling it). The
:class:`~desert_paxos.narrate.Narrator` switches to it when the header says so.

The story voice names each rule where it acts, in the glossary's words, and
calls a slot of the log a *night*: a leader's banner wins "a majority of
promises for every open night at once" (phase 1 once), each night is then one
call for votes (phase 2), a night with no vote to carry forward is closed with
"a rest day" (the no-op), a follower that hears no heartbeat for its patience
"stands for election with a higher banner", and each traveller's request is
told when it is asked, when it is ordered in a night and when it is answered
(with "the same answer as before" for a retry the replicas had already
executed). The protocol voice gives the same event in the paper's terms.

Levels: requests, answers, elections, the chosen moment of each night and the
desert's events at info; riders of phase 2, heartbeats, learning and executing
at debug; timers and logbook writes at trace.
"""

from __future__ import annotations

from typing import Any

from ._story import Told
from ._voices import fmt_ballot, join_names

__all__ = [
    "JourneyStory",
    "command_words",
    "journey_level",
    "journey_protocol_voice",
    "journey_story_voice",
    "request_words",
]

_INFO = {
    "request",
    "response",
    "elected",
    "chosen",
    "sandstorm",
    "calm",
    "crash",
    "recover",
    "note",
}
_TRACE = {"drop", "timer_set", "timer_cancel", "persist"}

# What each of a journey caravan's or traveller's timers waits for, in the story's words (the
# timers' own names stay in the protocol voice).
_WAITS = {
    "election": "its patience for a leader's heartbeat",
    "heartbeat": "the moment of its next heartbeat",
    "wait": "its patience for an answer",
    "retry": "its patience before asking again",
    "think": "a pause before its next request",
}


def command_words(command: Any) -> str:
    """``put water 40``, ``get water``, ``cas water 40 -> 30`` or ``a rest day``."""
    if not isinstance(command, dict) or command.get("op") == "rest":
        return "a rest day"
    op, key = command.get("op"), command.get("key")
    if op == "get":
        return f"get {key}"
    if op == "put":
        return f"put {key} {command.get('value')}"
    return f"cas {key} {command.get('expected')} -> {command.get('value')}"


def _whose(command: Any) -> str:
    if not isinstance(command, dict) or command.get("op") == "rest":
        return "a rest day"
    return f"{command.get('traveller')}'s {command_words(command)}"


def _answer(event: dict[str, Any]) -> str:
    op, ok, result = event.get("op"), event.get("ok"), event.get("result")
    if op == "get":
        return f"{event.get('key')} holds {'nothing yet' if result is None else result}"
    if op == "cas" and not ok:
        found = "nothing" if result is None else result
        return f"refused: {event.get('key')} holds {found}, not {event.get('expected')}"
    return "done"


def request_words(event: dict[str, Any]) -> str:
    """What a ``request`` event asks, in :func:`command_words`' words."""
    return command_words(
        {k: v for k, v in event.items() if k in ("op", "key", "value", "expected")}
    )


def journey_story_voice(event: dict[str, Any], everyone: bool = False) -> str:
    """One journey event in the story voice (without the context ``JourneyStory`` adds)."""
    kind = event.get("kind")
    node = event.get("node")
    match kind:
        case "send" | "deliver" | "drop":
            return _rider_story(event, everyone)
        case "request":
            again = (
                " again (no answer came in time), with the same request number"
                if event.get("retry")
                else ""
            )
            return (
                f"{event.get('traveller')} asks {event.get('caravan')} to {request_words(event)}"
                f"{again} (request {event.get('request')})."
            )
        case "response":
            return (
                f"{event.get('traveller')} has its answer to {request_words(event)}: "
                f"{_answer(event)}."
            )
        case "elected":
            filled = [int(n) for n in event.get("filled") or []]
            rest = ""
            if filled:
                nights = join_names([str(n) for n in filled])
                rest = (
                    f" No promise reported a vote in night{'s' if len(filled) > 1 else ''} "
                    f"{nights}, so it closes {'them' if len(filled) > 1 else 'it'} with a rest day."
                )
            return (
                f"{node} leads under banner {fmt_ballot(event.get('ballot'))}: a majority "
                f"promised for every open night at once (phase 1 runs once for all of them), "
                f"and it carries forward every vote they reported, from night "
                f"{event.get('first')} on.{rest}"
            )
        case "chosen":
            by = [str(c) for c in event.get("by") or []]
            return (
                f"✦ Night {event.get('slot')} is chosen: {event.get('value')}. {join_names(by)} "
                f"have written votes for it under banner {fmt_ballot(event.get('ballot'))}, a "
                f"majority; no later banner can put anything else in that night."
            )
        case "learn":
            return f"{node} knows night {event.get('slot')}: {_whose(event.get('command'))}."
        case "execute":
            if event.get("again"):
                return (
                    f"{node} skips night {event.get('slot')}: {_whose(event.get('command'))} was "
                    f"already executed (each request once), so the traveller gets the same answer."
                )
            command = event.get("command")
            if isinstance(command, dict) and command.get("op") == "rest":
                return f"{node} rests in night {event.get('slot')}: the supplies do not change."
            return (
                f"{node} executes night {event.get('slot')}, {_whose(command)}, in order after "
                f"every earlier night."
            )
        case "timer":
            if event.get("name") == "election":
                return (
                    f"{node} has heard no heartbeat for its whole patience: it stands for "
                    f"election with a higher banner."
                )
            if event.get("name") == "heartbeat":
                return f"{node} leads, and its heartbeat is due."
            if event.get("name") == "wait":
                return f"{node} has waited long enough for an answer."
            if event.get("name") == "retry":
                return f"{node} has had no answer in time, so it asks again."
            if event.get("name") == "think":
                return f"{node} is ready with its next request."
            return f"{node}'s reminder is due."
        case "timer_set" | "timer_cancel":
            what = _WAITS.get(str(event.get("name")), "a reminder")
            if kind == "timer_set":
                return f"{node} sets {what}, until t={event.get('fire')}."
            return f"{node} no longer needs {what}."
        case "persist":
            votes = event.get("votes") or []
            return (
                f"{node} writes its logbook: promise {fmt_ballot(event.get('promised'))}, votes in "
                f"{len(votes)} night{'s' if len(votes) != 1 else ''}, compacted up to night "
                f"{event.get('floor')}, before any rider that depends on it leaves."
            )
        case "crash":
            return f"{node} collapses: all it kept in memory is gone; its logbook survives."
        case "recover":
            return (
                f"{node} gets up from its logbook: promise {fmt_ballot(event.get('promised'))}, "
                f"supplies as of night {event.get('floor')}; it will catch up on the rest."
            )
        case "sandstorm":
            groups = [join_names([str(n) for n in g]) for g in event.get("groups") or []]
            return f"A sandstorm splits the desert: {'; '.join(groups)}."
        case "calm":
            return "The sandstorm dies down: riders cross the whole desert again."
        case "note":
            return f"Teacher's note: {event.get('text')}"
        case "violation":
            return f"✗ {event.get('rule')}: {event.get('message')}"
        case "end":
            return (
                f"The journey ends ({event.get('reason')}): {event.get('nights')} nights, "
                f"{event.get('answered')} requests answered, history "
                f"{event.get('linearizable')}."
            )
    return str(kind)


def _rider_story(event: dict[str, Any], everyone: bool) -> str:
    src, dst, msg = event.get("src"), event.get("dst"), event.get("msg") or {}
    to = "every caravan" if everyone else (join_names(dst) if isinstance(dst, list) else str(dst))
    kind = event.get("kind")
    if kind == "drop":
        return f"The rider from {src} to {dst} is lost ({event.get('reason')})."
    verb = "sends" if kind == "send" else "hears from"
    b = fmt_ballot(msg.get("ballot"))
    match msg.get("type"):
        case "prepare":
            what = f"will you promise to follow banner {b} for every open night?"
        case "promise":
            votes = msg.get("votes") or []
            what = (
                f"a promise to follow banner {b}, reporting its votes in {len(votes)} night"
                f"{'s' if len(votes) != 1 else ''} above night {msg.get('floor')}"
            )
        case "accept":
            what = (
                f"will you vote for {_whose(msg.get('command'))} in night {msg.get('slot')} "
                f"under banner {b}?"
            )
        case "accepted":
            what = f"a vote in night {msg.get('slot')} under banner {b}"
        case "nack":
            what = f"a refusal: it already promised banner {fmt_ballot(msg.get('promised'))}"
        case "decision":
            what = f"night {msg.get('slot')} holds {_whose(msg.get('command'))}"
        case "heartbeat":
            what = f"a heartbeat of banner {b}: the leader is alive, {msg.get('executed')} nights executed"
        case "catch_up":
            what = f"please send me every night after night {msg.get('after')}"
        case "snapshot":
            what = f"the supplies as of night {msg.get('floor')} (those nights are compacted away)"
        case "request":
            command = msg.get("command")
            asker = command.get("traveller") if isinstance(command, dict) else None
            passed = "a request" if src == asker else "a request passed on to the leader"
            what = f"{passed}: {_whose(command)}"
        case "response":
            what = f"the answer to request {msg.get('request')}"
        case other:
            what = str(other)
    if kind == "send":
        return f"{src} {verb} {to}: {what}"
    return f"{dst} {verb} {src}: {what}"


def journey_protocol_voice(event: dict[str, Any], dst_label: str | None = None) -> str:
    """One journey event in the paper's terms (Paxos Made Moderately Complex)."""
    kind = event.get("kind")
    if kind in ("send", "deliver", "drop"):
        msg = event.get("msg") or {}
        dst = dst_label if dst_label is not None else event.get("dst")
        fields = ", ".join(
            f"{k}={fmt_ballot(v) if k in ('ballot', 'promised') else (command_words(v) if k == 'command' else v)}"
            for k, v in msg.items()
            if k not in ("type", "votes", "supplies", "table")
        )
        arrow = {"send": "→", "deliver": "⇒", "drop": "✗"}[str(kind)]
        return f"{event.get('src')} {arrow} {dst}: {msg.get('type')}({fields})"
    match kind:
        case "elected":
            return f"{event.get('node')}: adopted {fmt_ballot(event.get('ballot'))}; p2a from slot {event.get('first')}, no-ops in {event.get('filled')}"
        case "chosen":
            return f"slot {event.get('slot')} chosen: {event.get('value')} by {event.get('by')} @ {fmt_ballot(event.get('ballot'))}"
        case "learn":
            return f"{event.get('node')}: decision(slot={event.get('slot')}, {command_words(event.get('command'))})"
        case "execute":
            return f"{event.get('node')}: perform(slot={event.get('slot')}) ok={event.get('ok')} result={event.get('result')} dup={event.get('again')}"
        case "request":
            return f"client {event.get('traveller')} → {event.get('caravan')}: request #{event.get('request')}"
        case "response":
            return f"client {event.get('traveller')} ← response #{event.get('request')} ok={event.get('ok')} {event.get('result')}"
        case "persist":
            return f"{event.get('node')}: persist(promised={fmt_ballot(event.get('promised'))}, {len(event.get('votes') or [])} pvalues, floor={event.get('floor')})"
        case "timer" | "timer_set" | "timer_cancel":
            return f"{event.get('node')}: {kind} {event.get('name')}"
    return str(kind)


class JourneyStory:
    """Reads a journey's events in order; :meth:`tell` returns how each one is told."""

    def __init__(self) -> None:
        self.caravans: list[str] = []
        self.leader: str | None = None
        self.heard: dict[str, int] = {}  # follower -> when it last heard a heartbeat
        self.chosen: dict[int, str] = {}  # night -> the command chosen in it
        self._told: set[tuple[int, Any]] = set()  # (night, banner) told chosen

    def chosen_told(self, slot: int, event: dict[str, Any]) -> bool:
        """True when night ``slot`` was told chosen before (under another banner)."""
        return _seen(self._told, slot, event.get("ballot"))

    def recall(self, event: dict[str, Any]) -> None:
        self.tell(event)

    def tell(self, event: dict[str, Any]) -> Told:
        kind = event.get("kind")
        if kind == "header":
            self.caravans = [str(c) for c in event.get("caravans") or []]
            return Told(level=1, story="")
        if kind == "elected":
            self.leader = str(event.get("node"))
        if kind == "deliver" and (event.get("msg") or {}).get("type") == "heartbeat":
            self.heard[str(event.get("dst"))] = int(event.get("t", 0))
        story = journey_story_voice(event)
        if kind == "chosen":
            slot = int(event.get("slot", 0))
            before = self.chosen.setdefault(slot, str(event.get("value")))
            if before == event.get("value") and self.chosen_told(slot, event):
                story = (
                    f"✦ Night {slot} is chosen again under banner "
                    f"{fmt_ballot(event.get('ballot'))}: the same {before}, carried forward by "
                    f"the new leader's phase 1. A chosen night never changes."
                )
        if kind == "timer" and event.get("name") == "election" and self.leader is None:
            story = (
                f"{event.get('node')} has heard from no leader within its patience: it stands "
                f"for election with a banner of its own."
            )
        if kind == "timer" and event.get("name") == "election":
            since = self.heard.get(str(event.get("node")))
            if event.get("node") == self.leader:
                return Told(level=3, story=story)
            if since is not None and self.leader is not None:
                story = (
                    f"{event.get('node')} has heard no heartbeat from {self.leader} since "
                    f"t={since}: it stands for election with a higher banner."
                )
            return Told(level=1, story=story)
        return Told(level=_level(event), story=story)


def _seen(told: set[tuple[int, Any]], slot: int, ballot: Any) -> bool:
    key = (slot, tuple(ballot) if isinstance(ballot, list) else ballot)
    if any(s == slot for s, _ in told):
        told.add(key)
        return True
    told.add(key)
    return False


def journey_level(event: dict[str, Any]) -> int:
    """The lowest log level at which a journey's ``event`` is told (0: always)."""
    return _level(event)


def _level(event: dict[str, Any]) -> int:
    kind = event.get("kind")
    if kind == "violation":
        return 0
    if kind in _INFO:
        return 1
    if kind == "send":
        msg = event.get("msg") or {}
        return 1 if msg.get("type") == "prepare" and "copy_of" not in event else 2
    if kind in _TRACE:
        return 3
    if kind == "timer":
        return 3
    return 2
