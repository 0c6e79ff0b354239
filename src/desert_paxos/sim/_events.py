"""The simulator's commonest events, as dictionaries and as ready trace lines.

Theory of operation
-------------------
Observers receive every event as a dictionary, and :class:`TraceWriter` turns
each into one JSON line. In a traced run that encoding costs more than all the
rest of the simulator's work: there are about four events per delivery, and
the json module spends microseconds on each small dictionary.

So the eight commonest kinds (send, deliver, drop, persist, timer_set,
timer_cancel, timer, decide: 98% of a typical trace) are written down here
twice, side by side: ``BUILDERS`` make the dictionary an observer receives,
and :class:`SimTraceWriter` formats the very line ``TraceWriter`` would write
for that dictionary (keys sorted, UTF-8 kept, the same separators) straight
from the fields, with f-strings and the json module's own string escaping. A
message's JSON is encoded once and reused for all its sends and deliveries.

``Simulation`` hands these kinds to a :class:`SimTraceWriter` as fields (see
``Simulation._tell``) and builds a dictionary only if some other observer
wants one; every other kind reaches the writer as a dictionary, like any
observer. ``tests/test_sim_events.py`` checks every kind's line against
``TraceWriter``'s encoding of its dictionary, on generated fields.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring as _quote
from typing import IO, Any

from ..protocol import AcceptorRecord, Ballot, Message, ballot_to_json, message_to_json
from ..trace import TraceWriter, dump_event

__all__ = [
    "BUILDERS",
    "DECIDE",
    "DELIVERY",
    "DROP",
    "PERSIST",
    "SEND",
    "TIMER_CANCEL",
    "TIMER_FIRE",
    "TIMER_SET",
    "SimTraceWriter",
    "record_fields",
]

SEND, DELIVERY, DROP, PERSIST, TIMER_SET, TIMER_CANCEL, TIMER_FIRE, DECIDE = range(8)


def record_fields(record: AcceptorRecord) -> dict[str, Any]:
    """The ``promised`` and ``accepted`` fields of persist and recover events."""
    accepted = None
    if record.accepted_ballot is not None:
        accepted = {
            "ballot": ballot_to_json(record.accepted_ballot),
            "value": record.accepted_value,
        }
    return {"promised": ballot_to_json(record.promised), "accepted": accepted}


# -- the dictionaries ------------------------------------------------------------


def _send_event(
    msg_id: int, src: str, dst: str, msg: Message, arrive: int, copy_of: int | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "kind": "send",
        "id": msg_id,
        "src": src,
        "dst": dst,
        "msg": message_to_json(msg),
        "arrive": arrive,
    }
    if copy_of is not None:
        event["copy_of"] = copy_of
    return event


def _deliver_event(msg_id: int, src: str, dst: str, msg: Message) -> dict[str, Any]:
    return {"kind": "deliver", "id": msg_id, "src": src, "dst": dst, "msg": message_to_json(msg)}


def _drop_event(msg_id: int, src: str, dst: str, msg: Message, reason: str) -> dict[str, Any]:
    return {
        "kind": "drop",
        "id": msg_id,
        "src": src,
        "dst": dst,
        "msg": message_to_json(msg),
        "reason": reason,
    }


def _persist_event(node: str, record: AcceptorRecord) -> dict[str, Any]:
    return {"kind": "persist", "node": node, **record_fields(record)}


def _timer_set_event(node: str, name: str, fire: int) -> dict[str, Any]:
    return {"kind": "timer_set", "node": node, "name": name, "fire": fire}


def _timer_cancel_event(node: str, name: str) -> dict[str, Any]:
    return {"kind": "timer_cancel", "node": node, "name": name}


def _timer_event(node: str, name: str) -> dict[str, Any]:
    return {"kind": "timer", "node": node, "name": name}


def _decide_event(node: str, value: str, ballot: Ballot) -> dict[str, Any]:
    return {"kind": "decide", "node": node, "value": value, "ballot": ballot_to_json(ballot)}


# Indexed by the kind numbers above; each takes the same fields as the line below.
BUILDERS: tuple[Callable[..., dict[str, Any]], ...] = (
    _send_event,
    _deliver_event,
    _drop_event,
    _persist_event,
    _timer_set_event,
    _timer_cancel_event,
    _timer_event,
    _decide_event,
)


# -- the lines -------------------------------------------------------------------


def _ballot(ballot: Ballot | None) -> str:
    if ballot is None:
        return "null"
    return f"[{ballot.round}, {_quote(ballot.caravan)}]"


def _optional(text: str | None) -> str:
    return "null" if text is None else _quote(text)


class SimTraceWriter(TraceWriter):
    """A :class:`TraceWriter` that the simulator feeds its commonest events as fields.

    It writes exactly the bytes a ``TraceWriter`` writes; it is only faster,
    and only when a ``Simulation`` drives it (anywhere else it is a ``TraceWriter``).
    """

    __slots__ = ("_formats", "_messages")

    _MESSAGE_CACHE = 4096  # messages whose JSON is kept; the oldest are forgotten together

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self._messages: dict[int, tuple[Message, str]] = {}
        self._formats: tuple[Callable[..., str], ...] = (
            self._send,
            self._deliver,
            self._drop,
            self._persist,
            self._timer_set,
            self._timer_cancel,
            self._timer,
            self._decide,
        )

    def line(self, kind: int, seq: int, t: int, fields: tuple[Any, ...]) -> None:
        """Write one event of a kind above from its fields (as ``BUILDERS[kind]`` takes them)."""
        self._write(self._formats[kind](seq, t, *fields))

    def _message(self, msg: Message) -> str:
        # Keyed by identity: one Prepare object goes to five caravans and comes
        # back five times; keeping the message itself makes the id unambiguous.
        cached = self._messages.get(id(msg))
        if cached is not None and cached[0] is msg:
            return cached[1]
        if len(self._messages) >= self._MESSAGE_CACHE:
            self._messages.clear()
        text = dump_event(message_to_json(msg))
        self._messages[id(msg)] = (msg, text)
        return text

    def _send(
        self,
        seq: int,
        t: int,
        msg_id: int,
        src: str,
        dst: str,
        msg: Message,
        arrive: int,
        copy_of: int | None,
    ) -> str:
        copy = "" if copy_of is None else f'"copy_of": {copy_of}, '
        return (
            f'{{"arrive": {arrive}, {copy}"dst": {_quote(dst)}, "id": {msg_id}, "kind": "send", '
            f'"msg": {self._message(msg)}, "seq": {seq}, "src": {_quote(src)}, "t": {t}}}\n'
        )

    def _deliver(self, seq: int, t: int, msg_id: int, src: str, dst: str, msg: Message) -> str:
        return (
            f'{{"dst": {_quote(dst)}, "id": {msg_id}, "kind": "deliver", '
            f'"msg": {self._message(msg)}, "seq": {seq}, "src": {_quote(src)}, "t": {t}}}\n'
        )

    def _drop(
        self, seq: int, t: int, msg_id: int, src: str, dst: str, msg: Message, reason: str
    ) -> str:
        return (
            f'{{"dst": {_quote(dst)}, "id": {msg_id}, "kind": "drop", '
            f'"msg": {self._message(msg)}, "reason": {_quote(reason)}, "seq": {seq}, '
            f'"src": {_quote(src)}, "t": {t}}}\n'
        )

    def _persist(self, seq: int, t: int, node: str, record: AcceptorRecord) -> str:
        accepted = "null"
        if record.accepted_ballot is not None:
            accepted = (
                f'{{"ballot": {_ballot(record.accepted_ballot)}, '
                f'"value": {_optional(record.accepted_value)}}}'
            )
        return (
            f'{{"accepted": {accepted}, "kind": "persist", "node": {_quote(node)}, '
            f'"promised": {_ballot(record.promised)}, "seq": {seq}, "t": {t}}}\n'
        )

    def _timer_set(self, seq: int, t: int, node: str, name: str, fire: int) -> str:
        return (
            f'{{"fire": {fire}, "kind": "timer_set", "name": {_quote(name)}, '
            f'"node": {_quote(node)}, "seq": {seq}, "t": {t}}}\n'
        )

    def _timer_cancel(self, seq: int, t: int, node: str, name: str) -> str:
        return (
            f'{{"kind": "timer_cancel", "name": {_quote(name)}, "node": {_quote(node)}, '
            f'"seq": {seq}, "t": {t}}}\n'
        )

    def _timer(self, seq: int, t: int, node: str, name: str) -> str:
        return (
            f'{{"kind": "timer", "name": {_quote(name)}, "node": {_quote(node)}, '
            f'"seq": {seq}, "t": {t}}}\n'
        )

    def _decide(self, seq: int, t: int, node: str, value: str, ballot: Ballot) -> str:
        return (
            f'{{"ballot": {_ballot(ballot)}, "kind": "decide", "node": {_quote(node)}, '
            f'"seq": {seq}, "t": {t}, "value": {_quote(value)}}}\n'
        )
