"""The two voices: every trace event told as a caravan story and in protocol terms.

Both voices read only trace events (plain dictionaries), never simulator
internals, so a live run, a replayed trace and the REPL tell the same story.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec

from .._untrusted import printable
from ..protocol import LEARN_TIMER

__all__ = [
    "LEVELS",
    "event_level",
    "fmt_ballot",
    "join_names",
    "protocol_voice",
    "story_voice",
]

LEVELS: dict[str, int] = {"quiet": 0, "info": 1, "debug": 2, "trace": 3}

_INFO_KINDS = {
    "propose",
    "adopt",
    "chosen",
    "decide",
    "sandstorm",
    "calm",
    "crash",
    "recover",
    "note",
}
_TRACE_KINDS = {"drop", "timer", "timer_set", "timer_cancel", "persist"}


_P = ParamSpec("_P")


def _printable(voice: Callable[_P, str]) -> Callable[_P, str]:
    """A voice whose lines show control characters escaped: a trace's names and campsites
    may come from anyone's file, and must not drive the terminal (run, replay, REPL)."""

    @functools.wraps(voice)
    def told(*args: _P.args, **kwargs: _P.kwargs) -> str:
        return printable(voice(*args, **kwargs))

    return told


def event_level(event: dict[str, Any]) -> int:
    """The lowest log level at which ``event`` is told (0 means always)."""
    kind = event.get("kind")
    if kind == "violation":
        return 0
    if kind in _INFO_KINDS:
        return 1
    if kind == "send":
        return 2 if "copy_of" in event else 1
    if kind in _TRACE_KINDS:
        return 3
    return 2


def fmt_ballot(ballot: object) -> str:
    if isinstance(ballot, list) and len(ballot) == 2:
        return f"({ballot[0]}, {ballot[1]})"
    return "none"


def join_names(names: list[str]) -> str:
    """``Aghilas, Taziri and Amastan``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _accepted_text(accepted: object) -> str:
    if isinstance(accepted, dict):
        return f"{accepted.get('value')} under banner {fmt_ballot(accepted.get('ballot'))}"
    return "none yet"


def _to(dst: str | list[str], everyone: bool) -> str:
    if everyone:
        return "every caravan"
    if isinstance(dst, list):
        return join_names(dst)
    return dst


# What each rider carries, in the glossary's words.
_CARRIES = {
    "prepare": "call for promises",
    "promise": "promise",
    "accept": "call for votes",
    "accepted": "vote",
    "nack": "refusal",
    "decided": "news of the campsite",
    "inquire": "inquiry",
}
RIDER_WORDS = _CARRIES  # the same table, public for the map, the page and the GIF


def _message_story(src: str, dst: str | list[str], msg: dict[str, Any], everyone: bool) -> str:
    to = "itself" if dst == src else _to(dst, everyone)
    many = everyone or (isinstance(dst, list) and len(dst) > 1)
    riders = "riders" if many else "a rider"
    b = msg.get("ballot")
    match msg.get("type"):
        case "prepare":
            return (
                f"{src} sends {riders} to {to}: will you promise to follow my banner "
                f"{fmt_ballot(b)}?"
            )
        case "promise":
            acc = msg.get("accepted")
            if isinstance(acc, dict):
                return (
                    f"{src} promises {to} to follow banner {fmt_ballot(b)}, and warns that it "
                    f"already voted for {acc.get('value')} under banner "
                    f"{fmt_ballot(acc.get('ballot'))}."
                )
            return f"{src} promises {to} to follow banner {fmt_ballot(b)}; it has voted for no campsite yet."
        case "accept":
            return f"{src} sends {riders} to {to}: will you vote for {msg.get('value')} under banner {fmt_ballot(b)}?"
        case "accepted":
            return (
                f"{src} votes for {msg.get('value')} under banner {fmt_ballot(b)} and tells {to}."
            )
        case "nack":
            return (
                f"{src} refuses banner {fmt_ballot(b)} from {to}: it already promised the higher "
                f"banner {fmt_ballot(msg.get('promised'))}."
            )
        case "decided":
            return f"{src} sends {riders} to {to}: the caravans have chosen {msg.get('value')}."
        case "inquire":
            return f"{src} sends {riders} to {to} with an inquiry: has a campsite been chosen?"
    return f"{src} sends {riders} to {to}."


def _message_protocol(msg: dict[str, Any]) -> str:
    b = fmt_ballot(msg.get("ballot"))
    match msg.get("type"):
        case "prepare":
            return f"PREPARE {b}"
        case "promise":
            acc = msg.get("accepted")
            if isinstance(acc, dict):
                return f"PROMISE {b} accepted={fmt_ballot(acc.get('ballot'))}:{acc.get('value')!r}"
            return f"PROMISE {b} accepted=none"
        case "accept":
            return f"ACCEPT {b} {msg.get('value')!r}"
        case "accepted":
            return f"ACCEPTED {b} {msg.get('value')!r}"
        case "nack":
            return f"NACK {b} promised={fmt_ballot(msg.get('promised'))}"
        case "decided":
            return f"DECIDED {b} {msg.get('value')!r}"
        case "inquire":
            return "INQUIRE"
    return str(msg.get("type", "?")).upper()


def _network_text(event: dict[str, Any]) -> str:
    delay = event.get("delay") or {}
    if "mean" in delay:
        ride = f"riders take {delay['mean']} ticks on average"
    else:
        ride = f"riders take {delay.get('min', '?')} to {delay.get('max', '?')} ticks"
    loss = float(event.get("loss") or 0.0)
    dup = float(event.get("duplicate") or 0.0)
    return f"{ride}, {loss:.0%} are lost and {dup:.0%} set out twice"


@_printable
def story_voice(event: dict[str, Any], everyone: bool = False) -> str:
    """The caravan story of one event (``everyone``: a send merged into a broadcast)."""
    kind = event.get("kind")
    node = event.get("node", "?")
    match kind:
        case "send":
            return _message_story(event["src"], event["dst"], event.get("msg") or {}, everyone)
        case "deliver":
            msg = event.get("msg") or {}
            carries = _CARRIES.get(str(msg.get("type")), "message")
            if msg.get("type") == "nack":
                return (
                    f"{event['dst']} hears {event['src']} refuse banner "
                    f"{fmt_ballot(msg.get('ballot'))}: {event['src']} already promised "
                    f"{fmt_ballot(msg.get('promised'))}; {event['dst']} must climb past it."
                )
            if event["src"] == event["dst"]:
                return f"{event['dst']} hears its own {carries} at once (no rider needed)."
            return f"{event['src']}'s rider reaches {event['dst']} with its {carries}."
        case "drop":
            why = {
                "loss": "the rider is lost in the dunes",
                "sandstorm": "a sandstorm stands between them",
                "crashed": f"{event.get('dst')} has collapsed",
                "hand": "a hand from the sky took it off the sand",
            }.get(str(event.get("reason")), str(event.get("reason")))
            return f"The rider from {event.get('src')} to {event.get('dst')} never arrives: {why}."
        case "propose":
            return f"{node} wishes to camp at {event.get('value')} and raises its banner."
        case "adopt":
            own = event.get("own_value")
            instead = (
                f" instead of its own wish, {own}" if own and own != event.get("value") else ""
            )
            reporter = event.get("reported_by")
            source = "its own logbook" if reporter == node else f"{reporter}'s promise"
            return (
                f"{node} learns from {source} of a vote for {event.get('value')} under banner "
                f"{fmt_ballot(event.get('from_ballot'))}: it may be chosen, so {node} "
                f"carries {event.get('value')} forward{instead}. This is the heart of Paxos safety."
            )
        case "chosen":
            return (
                f"✦ {event.get('value')} is chosen: {join_names(list(event.get('by') or []))} "
                f"have written votes for it under banner {fmt_ballot(event.get('ballot'))} in "
                f"their logbooks."
            )
        case "decide":
            # Told alone, an event cannot say the campsite was chosen: a broken variant's
            # learner may decide what no majority voted for (the story, in order, says which).
            return (
                f"⛺ {node} knows the campsite: {event.get('value')} "
                f"(under banner {fmt_ballot(event.get('ballot'))})."
            )
        case "sandstorm":
            groups = event.get("groups") or []
            parts = " | ".join(", ".join(g) for g in groups)
            return f"A sandstorm splits the desert: {parts}. No rider crosses between these groups."
        case "calm":
            return "The sandstorm settles: every path across the sand is open again."
        case "network":
            return f"The desert changes: from now on {_network_text(event)}."
        case "crash":
            return f"{node} collapses. It keeps only what it wrote down in its logbook."
        case "recover":
            promised = event.get("promised")
            promise = f"promise {fmt_ballot(promised)}" if promised else "no promise"
            accepted = event.get("accepted")
            vote = f"vote {_accepted_text(accepted)}" if accepted else "no vote"
            return f"{node} is back on its feet; its logbook gives back {promise} and {vote}."
        case "timer":
            if event.get("name") == LEARN_TIMER:
                return f"{node} has waited long enough without news of a campsite."
            return f"{node}'s time for its banner is up."
        case "timer_set":
            if event.get("name") == LEARN_TIMER:
                return f"{node} will wait for news of a campsite until t={event.get('fire')}."
            return f"{node} will act on its banner again at t={event.get('fire')}."
        case "timer_cancel":
            if event.get("name") == LEARN_TIMER:
                return f"{node} stops waiting for news of a campsite."
            return f"{node} stops leading its banner."
        case "persist":
            tried = event.get("tried_round")
            banners = f", its own banners up to round {tried}" if tried else ""
            return (
                f"{node} writes in its logbook: promise {fmt_ballot(event.get('promised'))}, "
                f"vote {_accepted_text(event.get('accepted'))}{banners}."
            )
        case "violation":
            return f"SAFETY BROKEN ({event.get('invariant')}): {event.get('message')}"
        case "note":
            if "node" not in event:  # a teacher's note (the simulator's own notes name a node)
                return f"📜 Teacher's note: {event.get('text', '')}"
            return str(event.get("text", ""))
        case "end":
            return "The day ends."
    return f"{kind}"


@_printable
def protocol_voice(event: dict[str, Any], dst_label: str | None = None) -> str:
    """The protocol view of one event, e.g. ``Aghilas → Taziri  PREPARE (3, Aghilas)``."""
    kind = event.get("kind")
    node = event.get("node", "?")
    match kind:
        case "send":
            dst = dst_label or event.get("dst")
            return f"{event.get('src')} → {dst}  {_message_protocol(event.get('msg') or {})}"
        case "deliver":
            return f"deliver #{event.get('id')} {event.get('src')} → {event.get('dst')}  {_message_protocol(event.get('msg') or {})}"
        case "drop":
            return f"drop #{event.get('id')} {event.get('src')} → {event.get('dst')} ({event.get('reason')})"
        case "propose":
            return f"{node} propose {event.get('value')!r}"
        case "chosen":
            return (
                f"CHOSEN {event.get('value')!r} @ {fmt_ballot(event.get('ballot'))} by "
                f"{{{','.join(event.get('by') or [])}}}"
            )
        case "adopt":
            return (
                f"{node} adopt {event.get('value')!r} from {fmt_ballot(event.get('from_ballot'))} "
                f"(highest accepted in promises) for {fmt_ballot(event.get('ballot'))}"
            )
        case "decide":
            return f"{node} DECIDE {event.get('value')!r} @ {fmt_ballot(event.get('ballot'))}"
        case "sandstorm":
            return "partition " + " | ".join(
                "{" + ",".join(g) + "}" for g in event.get("groups") or []
            )
        case "calm":
            return "partition healed"
        case "network":
            return f"network {_network_text(event)}"
        case "crash":
            return f"crash {node}"
        case "recover":
            return f"recover {node} promised={fmt_ballot(event.get('promised'))}"
        case "timer":
            return f"timer {node}.{event.get('name')} fires"
        case "timer_set":
            return f"timer {node}.{event.get('name')} set for t={event.get('fire')}"
        case "timer_cancel":
            return f"timer {node}.{event.get('name')} cancelled"
        case "persist":
            acc = event.get("accepted")
            accepted = (
                f"{fmt_ballot(acc.get('ballot'))}:{acc.get('value')!r}"
                if isinstance(acc, dict)
                else "none"
            )
            tried = event.get("tried_round")
            return (
                f"persist {node} promised={fmt_ballot(event.get('promised'))} accepted={accepted}"
                + (f" tried_round={tried}" if tried is not None else "")
            )
        case "violation":
            return f"VIOLATION {event.get('invariant')}: {event.get('rule')}"
        case "note":
            return f"note {node}" if "node" in event else "teacher's note"
        case "end":
            return f"end ({event.get('reason')})"
    return str(kind)
