"""The simulator's commonest events, as dictionaries and as ready trace lines.

Theory of operation
-------------------
Observers receive every event as a dictionary, and :class:`TraceWriter` turns
each into one JSON line. In a traced run that encoding costs more than all the
rest of the simulator's work: there are about four events per delivery, and
the json module spends microseconds on each small dictionary.

So the eight commonest kinds (send, deliver, drop, persist, timer_set,
timer_cancel, timer, decide: 98% of a typical trace) and the header (the
longest line, once per run) are written down here twice, side by side:
``BUILDERS`` (and :func:`header_event`) make the dictionary an observer
receives, and :class:`SimTraceWriter` writes the very line ``TraceWriter``
would write for that dictionary (keys sorted, UTF-8 kept, the same
separators) straight from the fields, with f-strings and the json module's
own string escaping. A message's JSON is formatted once and reused for all its
sends and deliveries; a scenario's ``spec`` is encoded once per scenario.

``Simulation`` hands these kinds to a :class:`SimTraceWriter` as fields (see
``Simulation._tell``) and builds a dictionary only if some other observer
wants one; every other kind reaches the writer as a dictionary, like any
observer. ``tests/test_sim_events.py`` checks every kind's line, the header's
and every message type's against ``TraceWriter``'s encoding of the
dictionary, on generated fields.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring as _quote
from typing import IO, Any

from ..protocol import (
    Accept,
    Accepted,
    AcceptorRecord,
    Adopt,
    Ballot,
    Config,
    Decided,
    Inquire,
    Message,
    Nack,
    Prepare,
    Promise,
    ballot_to_json,
    message_to_json,
)
from ..scenario import Scenario
from ..trace import TRACE_FORMAT, TraceWriter, dump_event

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
    "adopt_event",
    "chosen_event",
    "decide_event",
    "deliver_event",
    "drop_event",
    "header_event",
    "persist_event",
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


def header_event(scenario: Scenario, seed: int, until: int, config: Config) -> dict[str, Any]:
    """The first line of every trace (no ``seq``, no ``t``); a journey's also names its
    ``protocol`` and ``travellers`` (a single-decree header is unchanged)."""
    header: dict[str, Any] = {
        "kind": "header",
        "format": TRACE_FORMAT,
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": seed,
        "caravans": list(config.caravans),
        "quorum": config.phase2_quorum,
        "quorums": {"phase1": config.phase1_quorum, "phase2": config.phase2_quorum},
        "variant": scenario.variant,
        "until": until,
        "spec": scenario.to_json(),
    }
    if scenario.journey is not None:
        header["protocol"] = scenario.protocol
        header["travellers"] = [t.name for t in scenario.journey.travellers]
    return header


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


def deliver_event(msg_id: int, src: str, dst: str, msg: Message) -> dict[str, Any]:
    return {"kind": "deliver", "id": msg_id, "src": src, "dst": dst, "msg": message_to_json(msg)}


def drop_event(msg_id: int, src: str, dst: str, msg: Message, reason: str) -> dict[str, Any]:
    return {
        "kind": "drop",
        "id": msg_id,
        "src": src,
        "dst": dst,
        "msg": message_to_json(msg),
        "reason": reason,
    }


def persist_event(node: str, record: AcceptorRecord) -> dict[str, Any]:
    """A logbook write: the promise, the vote and the round the caravan's proposer has tried."""
    return {
        "kind": "persist",
        "node": node,
        **record_fields(record),
        "tried_round": record.tried_round,
    }


def _timer_set_event(node: str, name: str, fire: int) -> dict[str, Any]:
    return {"kind": "timer_set", "node": node, "name": name, "fire": fire}


def _timer_cancel_event(node: str, name: str) -> dict[str, Any]:
    return {"kind": "timer_cancel", "node": node, "name": name}


def _timer_event(node: str, name: str) -> dict[str, Any]:
    return {"kind": "timer", "node": node, "name": name}


def decide_event(node: str, value: str, ballot: Ballot) -> dict[str, Any]:
    return {"kind": "decide", "node": node, "value": value, "ballot": ballot_to_json(ballot)}


def chosen_event(ballot: Ballot, value: str, by: tuple[str, ...]) -> dict[str, Any]:
    """A campsite is chosen: the phase-2 quorum ``by`` has written votes for it under ``ballot``.

    Told right after the ``persist`` that completed the quorum (from
    ``SafetyMonitor.just_chosen``), usually long before any caravan knows it.
    """
    return {"kind": "chosen", "value": value, "ballot": ballot_to_json(ballot), "by": list(by)}


def adopt_event(node: str, adopt: Adopt) -> dict[str, Any]:
    return {
        "kind": "adopt",
        "node": node,
        "ballot": ballot_to_json(adopt.ballot),
        "value": adopt.value,
        "from_ballot": ballot_to_json(adopt.from_ballot),
        "reported_by": adopt.reported_by,
        "own_value": adopt.own_value,
    }


# Indexed by the kind numbers above; each takes the same fields as the line below.
BUILDERS: tuple[Callable[..., dict[str, Any]], ...] = (
    _send_event,
    deliver_event,
    drop_event,
    persist_event,
    _timer_set_event,
    _timer_cancel_event,
    _timer_event,
    decide_event,
)


# -- the lines -------------------------------------------------------------------


def _ballot(ballot: Ballot | None) -> str:
    if ballot is None:
        return "null"
    return f"[{ballot.round}, {_quote(ballot.caravan)}]"


def _optional(text: str | None) -> str:
    return "null" if text is None else _quote(text)


def _message_json(msg: Message) -> str:
    """``dump_event(message_to_json(msg))``, formatted by hand for the seven types."""
    match msg:
        case Prepare(ballot=ballot):
            return f'{{"ballot": {_ballot(ballot)}, "type": "prepare"}}'
        case Promise(ballot=ballot, accepted=None):
            return f'{{"accepted": null, "ballot": {_ballot(ballot)}, "type": "promise"}}'
        case Promise(ballot=ballot, accepted=accepted) if accepted is not None:
            reported = (
                f'{{"ballot": {_ballot(accepted.ballot)}, "value": {_quote(accepted.value)}}}'
            )
            return f'{{"accepted": {reported}, "ballot": {_ballot(ballot)}, "type": "promise"}}'
        case Accept(ballot=ballot, value=value):
            return f'{{"ballot": {_ballot(ballot)}, "type": "accept", "value": {_quote(value)}}}'
        case Accepted(ballot=ballot, value=value):
            return f'{{"ballot": {_ballot(ballot)}, "type": "accepted", "value": {_quote(value)}}}'
        case Nack(ballot=ballot, promised=promised):
            return (
                f'{{"ballot": {_ballot(ballot)}, "promised": {_ballot(promised)}, "type": "nack"}}'
            )
        case Decided(ballot=ballot, value=value):
            return f'{{"ballot": {_ballot(ballot)}, "type": "decided", "value": {_quote(value)}}}'
        case Inquire():
            return '{"type": "inquire"}'
    return dump_event(message_to_json(msg))  # pragma: no cover - the canonical way


class SimTraceWriter(TraceWriter):
    """A :class:`TraceWriter` that the simulator feeds its commonest events as fields.

    It writes exactly the bytes a ``TraceWriter`` writes; it is only faster,
    and only when a ``Simulation`` drives it (anywhere else it is a ``TraceWriter``).
    ``writers[kind](seq, t, *fields)`` writes one line of a kind above.
    """

    __slots__ = ("_messages", "_spec", "writers")

    _MESSAGE_CACHE = 4096  # messages whose JSON is kept; the oldest are forgotten together

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self._messages: dict[int, tuple[Message, str]] = {}
        self._spec: tuple[Scenario | None, str] = (None, "")
        self.writers: tuple[Callable[..., None], ...] = (
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
        self.writers[kind](seq, t, *fields)

    def header(self, scenario: Scenario, seed: int, until: int, config: Config) -> None:
        """Write the header line (what ``header_event`` builds)."""
        cached, spec = self._spec
        if cached is not scenario:  # a sweep of seeds encodes its scenario once
            spec = dump_event(scenario.to_json())
            self._spec = (scenario, spec)
        q1, q2 = config.phase1_quorum, config.phase2_quorum
        self._write(
            f'{{"caravans": [{", ".join(_quote(name) for name in config.caravans)}], '
            f'"description": {_quote(scenario.description)}, "format": {_quote(TRACE_FORMAT)}, '
            f'"kind": "header", "quorum": {q2}, "quorums": {{"phase1": {q1}, "phase2": {q2}}}, '
            f'"scenario": {_quote(scenario.name)}, "seed": {seed}, "spec": {spec}, '
            f'"until": {until}, "variant": {_quote(scenario.variant)}}}\n'
        )

    def _message(self, msg: Message) -> str:
        # Keyed by identity: one Prepare object goes to five caravans and comes
        # back five times; keeping the message itself makes the id unambiguous.
        cached = self._messages.get(id(msg))
        if cached is not None and cached[0] is msg:
            return cached[1]
        if len(self._messages) >= self._MESSAGE_CACHE:
            self._messages.clear()
        text = _message_json(msg)
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
    ) -> None:
        copy = "" if copy_of is None else f'"copy_of": {copy_of}, '
        self._write(
            f'{{"arrive": {arrive}, {copy}"dst": {_quote(dst)}, "id": {msg_id}, "kind": "send", '
            f'"msg": {self._message(msg)}, "seq": {seq}, "src": {_quote(src)}, "t": {t}}}\n'
        )

    def _deliver(self, seq: int, t: int, msg_id: int, src: str, dst: str, msg: Message) -> None:
        self._write(
            f'{{"dst": {_quote(dst)}, "id": {msg_id}, "kind": "deliver", '
            f'"msg": {self._message(msg)}, "seq": {seq}, "src": {_quote(src)}, "t": {t}}}\n'
        )

    def _drop(
        self, seq: int, t: int, msg_id: int, src: str, dst: str, msg: Message, reason: str
    ) -> None:
        self._write(
            f'{{"dst": {_quote(dst)}, "id": {msg_id}, "kind": "drop", '
            f'"msg": {self._message(msg)}, "reason": {_quote(reason)}, "seq": {seq}, '
            f'"src": {_quote(src)}, "t": {t}}}\n'
        )

    def _persist(self, seq: int, t: int, node: str, record: AcceptorRecord) -> None:
        accepted = "null"
        if record.accepted_ballot is not None:
            accepted = (
                f'{{"ballot": {_ballot(record.accepted_ballot)}, '
                f'"value": {_optional(record.accepted_value)}}}'
            )
        self._write(
            f'{{"accepted": {accepted}, "kind": "persist", "node": {_quote(node)}, '
            f'"promised": {_ballot(record.promised)}, "seq": {seq}, "t": {t}, '
            f'"tried_round": {record.tried_round}}}\n'
        )

    def _timer_set(self, seq: int, t: int, node: str, name: str, fire: int) -> None:
        self._write(
            f'{{"fire": {fire}, "kind": "timer_set", "name": {_quote(name)}, '
            f'"node": {_quote(node)}, "seq": {seq}, "t": {t}}}\n'
        )

    def _timer_cancel(self, seq: int, t: int, node: str, name: str) -> None:
        self._write(
            f'{{"kind": "timer_cancel", "name": {_quote(name)}, "node": {_quote(node)}, '
            f'"seq": {seq}, "t": {t}}}\n'
        )

    def _timer(self, seq: int, t: int, node: str, name: str) -> None:
        self._write(
            f'{{"kind": "timer", "name": {_quote(name)}, "node": {_quote(node)}, '
            f'"seq": {seq}, "t": {t}}}\n'
        )

    def _decide(self, seq: int, t: int, node: str, value: str, ballot: Ballot) -> None:
        self._write(
            f'{{"ballot": {_ballot(ballot)}, "kind": "decide", "node": {_quote(node)}, '
            f'"seq": {seq}, "t": {t}, "value": {_quote(value)}}}\n'
        )
