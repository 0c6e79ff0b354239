"""The trace contract: what every line of a trace may hold, as one description.

Theory of operation
-------------------
A trace is the single source of truth of a run, and a trace file may come from
anywhere, so every line is checked before a view reads it. The contract is
written once, below, out of a handful of field types (a whole number in a
range, a string, a ballot, a message, a list of...); each type knows both its
JSON Schema (``desert-paxos schema --trace`` prints the whole document, for
other tools) and how to check a value fast, naming the field that is wrong
(``msg.ballot[0]: expected a whole number >= 0, got a string``). A test checks
the schema and the checker against each other on good and bad lines.

The rules, which ``README.md`` ("Traces") documents:

* the first line is the header: ``kind`` "header" and ``format``
  :data:`TRACE_FORMAT`; every later line is an event with a whole ``seq`` and
  ``t`` and a ``kind`` (the reader checks that ``seq`` increases and ``t``
  never goes back);
* each kind this version writes has its fields, of these types; a field or a
  kind this version does not know is allowed and left alone (a newer writer may
  add them, as ``chosen`` and ``note`` were added), so old readers keep working;
* whole numbers are at most 2**53 - 1 (what a browser's JavaScript holds
  exactly) and numbers are finite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .._untrusted import kind_of

__all__ = [
    "EVENT_KINDS",
    "MAX_TRACE_INT",
    "check_event",
    "check_header",
    "trace_json_schema",
]

MAX_TRACE_INT = 2**53 - 1
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_KIND_PATTERN = "^[a-z][a-z0-9_]{0,31}$"


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Type:
    """A field type: its JSON Schema, and a check that names what is wrong (or None)."""

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, value: object, path: str) -> str | None:
        raise NotImplementedError

    def ok(self, value: object) -> bool:
        """True when ``value`` is right: the fast path, ``check`` says what is wrong."""
        return self.check(value, "") is None

    def _wrong(self, value: object, path: str, expected: str) -> str:
        return f"{path or 'the line'}: expected {expected}, got {kind_of(value)}"


class Int(Type):
    def __init__(self, minimum: int = 0) -> None:
        self.minimum = minimum

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": MAX_TRACE_INT}

    def ok(self, value: object) -> bool:
        return type(value) is int and self.minimum <= value <= MAX_TRACE_INT

    def check(self, value: object, path: str) -> str | None:
        if type(value) is not int:  # a bool is not a number here
            return self._wrong(value, path, f"a whole number >= {self.minimum}")
        if value < self.minimum:
            return f"{path}: {value} is too small (at least {self.minimum})"
        if value > MAX_TRACE_INT:
            return f"{path}: a number of {len(str(value))} digits is too large (at most 2**53 - 1)"
        return None


class Num(Type):
    """A finite number in ``[minimum, maximum]`` (``minimum`` excluded when ``open_min``)."""

    def __init__(self, minimum: float, maximum: float, open_min: bool = False) -> None:
        self.minimum, self.maximum, self.open_min = minimum, maximum, open_min

    def schema(self) -> dict[str, Any]:
        low = "exclusiveMinimum" if self.open_min else "minimum"
        return {"type": "number", low: self.minimum, "maximum": self.maximum}

    def check(self, value: object, path: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self._wrong(value, path, "a number")
        low_ok = value > self.minimum if self.open_min else value >= self.minimum
        # (compared before isfinite: a huge whole number is out of range, not an overflow)
        if not (low_ok and value <= self.maximum and math.isfinite(value)):
            shown = repr(value) if len(repr(value)) <= 24 else "a very large number"
            side = ">" if self.open_min else ">="
            return f"{path}: {shown} is out of range ({side} {self.minimum}, <= {self.maximum})"
        return None


class Str(Type):
    def __init__(self, const: str | None = None) -> None:
        self.const = const

    def schema(self) -> dict[str, Any]:
        return {"type": "string"} if self.const is None else {"const": self.const}

    def ok(self, value: object) -> bool:
        return type(value) is str and (self.const is None or value == self.const)

    def check(self, value: object, path: str) -> str | None:
        if type(value) is not str:
            return self._wrong(value, path, "a string")
        if self.const is not None and value != self.const:
            return f'{path}: expected "{self.const}", got {value[:40]!r}'
        return None


_WHOLE = Int()
_TEXT = Str()


class Nullable(Type):
    def __init__(self, inner: Type) -> None:
        self.inner = inner

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "null"}, self.inner.schema()]}

    def check(self, value: object, path: str) -> str | None:
        return None if value is None else self.inner.check(value, path)

    def ok(self, value: object) -> bool:
        return value is None or self.inner.ok(value)


class ListOf(Type):
    def __init__(self, item: Type, what: str) -> None:
        self.item, self.what = item, what

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema()}

    def check(self, value: object, path: str) -> str | None:
        if type(value) is not list:
            return self._wrong(value, path, f"a list of {self.what}")
        check = self.item.check
        for i, item in enumerate(value):
            problem = check(item, _at(path, i))
            if problem is not None:
                return problem
        return None


class Counts(Type):
    """An object whose values are whole numbers (``{"loss": 3, "sandstorm": 1}``)."""

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": Int().schema()}

    def check(self, value: object, path: str) -> str | None:
        if type(value) is not dict:
            return self._wrong(value, path, "an object of counts")
        for key, count in value.items():
            problem = _WHOLE.check(count, _at(path, key))
            if problem is not None:
                return problem
        return None


class BallotType(Type):
    """``[round, "Caravan"]``."""

    def schema(self) -> dict[str, Any]:
        return {"$ref": "#/$defs/ballot"}

    @staticmethod
    def definition() -> dict[str, Any]:
        return {
            "description": 'A ballot: [round, "Caravan"].',
            "type": "array",
            "prefixItems": [Int().schema(), {"type": "string"}],
            "minItems": 2,
            "maxItems": 2,
        }

    def check(self, value: object, path: str) -> str | None:
        if type(value) is not list or len(value) != 2:
            return f'{path}: expected a ballot [round, "Caravan"], got {kind_of(value)}'
        first, second = value
        if type(first) is int and 0 <= first <= MAX_TRACE_INT and type(second) is str:
            return None
        return _WHOLE.check(first, _at(path, 0)) or _TEXT.check(second, _at(path, 1))

    def ok(self, value: object) -> bool:
        if type(value) is not list or len(value) != 2:
            return False
        first, second = value
        return type(first) is int and 0 <= first <= MAX_TRACE_INT and type(second) is str


class Obj(Type):
    """An object with ``required`` and ``optional`` fields; others are allowed unless
    ``closed`` (forward compatibility: a newer writer may add fields)."""

    def __init__(
        self,
        required: Mapping[str, Type] | None = None,
        optional: Mapping[str, Type] | None = None,
        closed: bool = False,
        what: str = "an object",
    ) -> None:
        self.required = tuple((required or {}).items())
        self.optional = tuple((optional or {}).items())
        self.closed = closed
        self.what = what
        # The fast path: plain strings and whole numbers checked inline, the rest by ``ok``.
        self._texts = tuple(n for n, t in self.required if type(t) is Str and t.const is None)
        self._wholes = tuple((n, t.minimum) for n, t in self.required if type(t) is Int)
        fast = {*self._texts, *(n for n, _ in self._wholes)}
        self._others = tuple((n, t.ok) for n, t in self.required if n not in fast)
        self._maybe = tuple((n, t.ok) for n, t in self.optional)
        self._allowed = frozenset(n for n, _ in self.required + self.optional)

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "properties": {name: t.schema() for name, t in self.required + self.optional},
        }
        if self.required:
            out["required"] = [name for name, _ in self.required]
        if self.closed:
            out["additionalProperties"] = False
        return out

    def check(self, value: object, path: str) -> str | None:
        if type(value) is not dict:
            return self._wrong(value, path, self.what)
        return self.fields(value, path)

    def ok(self, value: object) -> bool:
        return type(value) is dict and self._fine(value)

    def _fine(self, value: dict[str, Any]) -> bool:
        get = value.get
        for name in self._texts:
            if type(get(name)) is not str:
                return False
        for name, low in self._wholes:
            number = get(name)
            if type(number) is not int or not low <= number <= MAX_TRACE_INT:
                return False
        for name, ok in self._others:
            if name not in value or not ok(value[name]):
                return False
        for name, ok in self._maybe:
            if name in value and not ok(value[name]):
                return False
        return not self.closed or self._allowed.issuperset(value)

    def fields(self, value: dict[str, Any], path: str) -> str | None:
        """What is wrong with the fields of ``value`` (the first, in the contract's order)."""
        if self._fine(value):
            return None
        return self._problem(value, path) or f"{path or 'the line'}: not what the contract says"

    def _problem(self, value: dict[str, Any], path: str) -> str | None:
        prefix = f"{path}." if path else ""
        for name, t in self.required:
            if name not in value:
                return f"{prefix}{name}: missing (required here)"
            problem = t.check(value[name], prefix + name)
            if problem is not None:
                return problem
        for name, t in self.optional:
            if name in value:
                problem = t.check(value[name], prefix + name)
                if problem is not None:
                    return problem
        if self.closed:
            for name in value:
                if name not in self._allowed:
                    return f"{_at(path, name)}: unknown field here"
        return None


class Tagged(Type):
    """An object whose ``tag`` field (a string) says which of ``variants`` it is."""

    def __init__(self, tag: str, variants: dict[str, Obj], ref: str, what: str) -> None:
        self.tag, self.variants, self.ref, self.what = tag, variants, ref, what

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.ref}"}

    def definition(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": [self.tag],
            "properties": {self.tag: {"enum": list(self.variants)}},
            "allOf": [
                {
                    "if": {"properties": {self.tag: {"const": name}}},
                    "then": variant.schema(),
                }
                for name, variant in self.variants.items()
            ],
        }

    def check(self, value: object, path: str) -> str | None:
        if type(value) is not dict:
            return self._wrong(value, path, self.what)
        tag = value.get(self.tag)
        variant = self.variants.get(tag) if type(tag) is str else None
        if variant is None:
            known = ", ".join(self.variants)
            return f"{_at(path, self.tag)}: expected one of {known}, got {_shown(tag)}"
        return variant.fields(value, path)

    def ok(self, value: object) -> bool:
        if type(value) is not dict:
            return False
        tag = value.get(self.tag)
        variant = self.variants.get(tag) if type(tag) is str else None
        return variant is not None and variant.ok(value)


class Either(Type):
    """One of a few object shapes, told apart by which fields they have."""

    def __init__(self, shapes: tuple[Obj, ...], ref: str, what: str) -> None:
        self.shapes, self.ref, self.what = shapes, ref, what

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.ref}"}

    def definition(self) -> dict[str, Any]:
        return {"description": self.what, "oneOf": [s.schema() for s in self.shapes]}

    def check(self, value: object, path: str) -> str | None:
        problems = [shape.check(value, path) for shape in self.shapes]
        if sum(p is None for p in problems) == 1:
            return None
        return f"{path}: expected {self.what}, got {_shown(value)}"


class Bool(Type):
    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def ok(self, value: object) -> bool:
        return type(value) is bool

    def check(self, value: object, path: str) -> str | None:
        return None if type(value) is bool else self._wrong(value, path, "true or false")


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:39] + "…")
    if isinstance(value, dict | list):
        return kind_of(value)
    text = repr(value)
    return text if len(text) <= 24 else kind_of(value)


# -- the contract -------------------------------------------------------------------------

NAME = Str()
BALLOT = BallotType()
VOTE = Obj({"ballot": BALLOT, "value": Str()}, what="a vote {ballot, value}")
MESSAGE = Tagged(
    "type",
    {
        "prepare": Obj({"ballot": BALLOT}),
        "promise": Obj({"ballot": BALLOT, "accepted": Nullable(VOTE)}),
        "accept": Obj({"ballot": BALLOT, "value": Str()}),
        "accepted": Obj({"ballot": BALLOT, "value": Str()}),
        "nack": Obj({"ballot": BALLOT, "promised": BALLOT}),
        "decided": Obj({"ballot": BALLOT, "value": Str()}),
        "inquire": Obj(),
    },
    ref="message",
    what='a message {"type": ...}',
)
DELAY = Either(
    (
        Obj({"min": Int(), "max": Int()}, closed=True),
        Obj({"mean": Num(0, MAX_TRACE_INT, open_min=True)}, closed=True),
    ),
    ref="delay",
    what='a delay {"min": A, "max": B} or {"mean": M}',
)
PROBABILITY = Num(0, 1)
RIDER = {"id": Int(1), "src": NAME, "dst": NAME, "msg": MESSAGE}
LOGBOOK = {"node": NAME, "promised": Nullable(BALLOT), "accepted": Nullable(VOTE)}
TIMER = {"node": NAME, "name": Str()}

# Every kind this version writes, with its fields (besides seq, t and kind).
EVENT_KINDS: dict[str, Obj] = {
    "send": Obj({**RIDER, "arrive": Int()}, {"copy_of": Int(1)}),
    "deliver": Obj(RIDER),
    "drop": Obj({**RIDER, "reason": Str()}),
    "persist": Obj(LOGBOOK, {"tried_round": Int()}),  # the proposer's highest round used
    "recover": Obj(LOGBOOK, {"tried_round": Int()}),
    "timer_set": Obj({**TIMER, "fire": Int()}),
    "timer_cancel": Obj(TIMER),
    "timer": Obj(TIMER),
    "propose": Obj({"node": NAME, "value": Str()}),
    "adopt": Obj(
        {
            "node": NAME,
            "ballot": BALLOT,
            "value": Str(),
            "from_ballot": BALLOT,
            "reported_by": NAME,
            "own_value": Nullable(Str()),
        }
    ),
    "decide": Obj({"node": NAME, "value": Str(), "ballot": BALLOT}),
    "chosen": Obj({"value": Str(), "ballot": BALLOT, "by": ListOf(NAME, "caravan names")}),
    "sandstorm": Obj({"groups": ListOf(ListOf(NAME, "caravan names"), "groups")}),
    "calm": Obj(),
    "crash": Obj({"node": NAME}),
    "network": Obj({"delay": DELAY, "loss": PROBABILITY, "duplicate": PROBABILITY}),
    "note": Obj({"text": Str()}, {"node": NAME}),
    "violation": Obj({"invariant": Str(), "rule": Str(), "message": Str()}),
    "end": Obj(
        {
            "reason": Str(),
            "decided": Nullable(Str()),
            "decided_at": Nullable(Int()),
            "knowing": ListOf(NAME, "caravan names"),
            "sent": Int(),
            "delivered": Int(),
            "dropped": Counts(),
            "duplicated": Int(),
        }
    ),
}
_EVENT_BASE = Obj({"seq": Int(1), "t": Int(), "kind": Str()})

# -- the long journey (header "protocol": "multi-paxos") -------------------------------------
# Its riders and logbook differ from single-decree's, so send, deliver, drop, persist and
# recover have their own shapes on a journey; its own kinds (elected, learn, execute,
# request, response) are the same on any trace, and chosen gains the night ("slot").

AMOUNT = Nullable(Int())
COMMAND = Obj(
    {"op": Str()},
    {"traveller": NAME, "request": Int(), "key": Str(), "value": AMOUNT, "expected": AMOUNT},
    what='a command {"op": "get"|"put"|"cas"|"rest", ...}',
)
SLOT_VOTE = Obj({"slot": Int(1), "ballot": BALLOT, "command": COMMAND}, what="a vote in a night")
JOURNEY_MESSAGE = Tagged(
    "type",
    {
        "prepare": Obj({"ballot": BALLOT}),
        "promise": Obj({"ballot": BALLOT, "floor": Int(), "votes": ListOf(SLOT_VOTE, "votes")}),
        "accept": Obj({"ballot": BALLOT, "slot": Int(1), "command": COMMAND}),
        "accepted": Obj({"ballot": BALLOT, "slot": Int(1)}),
        "nack": Obj({"ballot": BALLOT, "promised": BALLOT}),
        "decision": Obj({"slot": Int(1), "command": COMMAND}),
        "heartbeat": Obj({"ballot": BALLOT, "executed": Int()}),
        "catch_up": Obj({"after": Int()}),
        "snapshot": Obj({"floor": Int(), "supplies": Counts(), "table": ListOf(Obj(), "rows")}),
        "request": Obj({"command": COMMAND}),
        "response": Obj({"traveller": NAME, "request": Int(), "ok": Bool(), "value": AMOUNT}),
    },
    ref="journey_message",
    what='a journey message {"type": ...}',
)
JOURNEY_RIDER = {"id": Int(1), "src": NAME, "dst": NAME, "msg": JOURNEY_MESSAGE}
JOURNEY_LOGBOOK = {
    "node": NAME,
    "promised": Nullable(BALLOT),
    "votes": ListOf(SLOT_VOTE, "votes"),
    "floor": Int(),
    "tried_round": Int(),
}
_REQUEST = {"traveller": NAME, "request": Int(1), "op": Str(), "key": Str()}
EVENT_KINDS.update(
    {
        "elected": Obj(
            {"node": NAME, "ballot": BALLOT, "first": Int(1), "filled": ListOf(Int(1), "nights")}
        ),
        "learn": Obj({"node": NAME, "slot": Int(1), "value": Str(), "command": COMMAND}),
        "execute": Obj(
            {
                "node": NAME,
                "slot": Int(1),
                "value": Str(),
                "command": COMMAND,
                "ok": Bool(),
                "result": AMOUNT,
                "again": Bool(),
            }
        ),
        "request": Obj(
            {**_REQUEST, "caravan": NAME, "retry": Bool()},
            {"value": AMOUNT, "expected": AMOUNT},
        ),
        "response": Obj(
            {**_REQUEST, "ok": Bool(), "result": AMOUNT}, {"value": AMOUNT, "expected": AMOUNT}
        ),
    }
)
# The kinds whose shape is the journey's own, on a trace whose header says multi-paxos.
JOURNEY_KINDS: dict[str, Obj] = {
    **EVENT_KINDS,
    "send": Obj({**JOURNEY_RIDER, "arrive": Int()}, {"copy_of": Int(1)}),
    "deliver": Obj(JOURNEY_RIDER),
    "drop": Obj({**JOURNEY_RIDER, "reason": Str()}),
    "persist": Obj(JOURNEY_LOGBOOK),
    "recover": Obj(JOURNEY_LOGBOOK),
    "chosen": Obj(
        {"slot": Int(1), "value": Str(), "ballot": BALLOT, "by": ListOf(NAME, "caravan names")},
        {"command": COMMAND},
    ),
}
PROTOCOL_KINDS: dict[str, dict[str, Obj]] = {"paxos": EVENT_KINDS, "multi-paxos": JOURNEY_KINDS}

HEADER = Obj(
    {"kind": Str("header"), "format": Str()},
    {
        "scenario": Str(),
        "description": Str(),
        "seed": Int(),
        "caravans": ListOf(NAME, "caravan names"),
        "quorum": Int(1),
        "quorums": Obj({"phase1": Int(1), "phase2": Int(1)}),
        "variant": Str(),
        "until": Int(),
        "spec": Obj(what="a scenario document"),
        "protocol": Str(),  # "paxos" when absent; "multi-paxos": the long journey
        "travellers": ListOf(NAME, "traveller names"),
    },
)


def check_header(line: dict[str, Any], trace_format: str) -> str | None:
    """What is wrong with a header line, or None."""
    if line.get("kind") != "header" or line.get("format") != trace_format:
        return f'the first line must be the header, with "kind": "header" and "format": "{trace_format}"'
    return HEADER.fields(line, "")


def check_event(event: dict[str, Any], protocol: str = "paxos") -> str | None:
    """What is wrong with one event line (its kind and the field named), or None.

    ``protocol`` is the header's (absent: "paxos"); a protocol this version does not
    know is read with the single-decree contract."""
    problem = _EVENT_BASE.fields(event, "")
    if problem is not None:
        return problem
    kind = event["kind"]
    spec = PROTOCOL_KINDS.get(protocol, EVENT_KINDS).get(kind)
    if spec is None:
        if _KIND.fullmatch(kind) is None:
            return f"kind: {_shown(kind)} is not a kind (lower-case letters, digits and _)"
        return None  # a kind from a newer writer: allowed, and left alone
    problem = spec.fields(event, "")
    return None if problem is None else f"{kind} event: {problem}"


def trace_json_schema() -> dict[str, Any]:
    """The JSON Schema of one trace line (``desert-paxos schema --trace``)."""
    from ._io import TRACE_FORMAT

    header = HEADER.schema()
    header["properties"]["format"] = {"const": TRACE_FORMAT}
    event_base = _EVENT_BASE.schema()
    event_base["properties"]["kind"] = {"type": "string", "pattern": _KIND_PATTERN}
    kinds: list[dict[str, Any]] = [
        {"if": {"properties": {"kind": {"const": kind}}}, "then": spec.schema()}
        for kind, spec in EVENT_KINDS.items()
    ]
    definitions: dict[str, Callable[[], dict[str, Any]]] = {
        "ballot": BALLOT.definition,
        "message": MESSAGE.definition,
        "journey_message": JOURNEY_MESSAGE.definition,
        "delay": DELAY.definition,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Desert Paxos trace line",
        "description": (
            f"One line of a trace (JSON Lines, format {TRACE_FORMAT}). The first line is the "
            "header; every later line is an event, with seq strictly increasing and t never "
            "decreasing from line to line. Kinds and fields not listed here are allowed (a "
            "newer writer may add them) and readers leave them alone."
        ),
        "type": "object",
        "required": ["kind"],
        "if": {"properties": {"kind": {"const": "header"}}},
        "then": header,
        "else": {"allOf": [event_base, *kinds]},
        "$defs": {name: make() for name, make in definitions.items()},
    }
