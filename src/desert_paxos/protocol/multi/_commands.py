"""Commands on the supplies, and the state machine the replicas run.

Theory of operation
-------------------
The journey replicates a tiny key-value store, the *supplies* (``water``,
``dates``, ``salt``...). A traveller asks for one :class:`Command` at a time:
``get`` reads a supply, ``put`` sets it, ``cas`` sets it only if it still holds
the expected amount. Every command carries its traveller's name and a request
number that grows by one per new request and stays the same on every retry:
that pair is how the replicas execute a request at most once.

A slot of the log that no proposal filled is closed with :data:`REST_DAY`, the
no-op of *Paxos Made Moderately Complex*: the caravans rest that night and the
supplies do not change.

:func:`execute` is the deterministic state machine: the same commands in the
same order give the same supplies and the same answers on every caravan. It
works on plain dicts owned by the replica; nothing here keeps state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "OPS",
    "REST_DAY",
    "Command",
    "Result",
    "command_from_json",
    "command_to_json",
    "describe",
    "execute",
    "result_from_json",
    "result_to_json",
]

OPS = ("get", "put", "cas")


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One traveller's request: ``op`` on the supply ``key`` (``rest`` is the no-op)."""

    traveller: str
    request: int
    op: str
    key: str = ""
    value: int | None = None  # put: the new amount; cas: the new amount
    expected: int | None = None  # cas: the amount it must still hold

    @property
    def is_rest(self) -> bool:
        return self.op == "rest"


REST_DAY = Command(traveller="", request=0, op="rest")


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """What a request did: ``ok`` is False only for a ``cas`` that found another amount;
    ``value`` is what a ``get`` read (None for a supply never recorded) or what a failed
    ``cas`` found."""

    ok: bool
    value: int | None = None


def execute(supplies: dict[str, int], command: Command) -> Result:
    """Apply ``command`` to ``supplies`` (in place) and return its answer."""
    match command.op:
        case "get":
            return Result(ok=True, value=supplies.get(command.key))
        case "put":
            assert command.value is not None
            supplies[command.key] = command.value
            return Result(ok=True)
        case "cas":
            assert command.value is not None
            found = supplies.get(command.key)
            if found != command.expected:
                return Result(ok=False, value=found)
            supplies[command.key] = command.value
            return Result(ok=True)
    return Result(ok=True)  # a rest day


def describe(command: Command) -> str:
    """``put water 40``, ``cas water 40 -> 30``, ``get water`` or ``rest day``."""
    match command.op:
        case "get":
            return f"get {command.key}"
        case "put":
            return f"put {command.key} {command.value}"
        case "cas":
            return f"cas {command.key} {command.expected} -> {command.value}"
    return "rest day"


def command_to_json(command: Command) -> dict[str, Any]:
    if command.is_rest:
        return {"op": "rest"}
    out: dict[str, Any] = {
        "traveller": command.traveller,
        "request": command.request,
        "op": command.op,
        "key": command.key,
    }
    if command.op != "get":
        out["value"] = command.value
    if command.op == "cas":
        out["expected"] = command.expected
    return out


def _int_or_none(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"command field {key!r} must be a whole number or null")


def command_from_json(data: object) -> Command:
    """Inverse of :func:`command_to_json`; raises ``ValueError`` on anything malformed."""
    if not isinstance(data, dict):
        raise ValueError(f"a command is an object, got {data!r}")
    op = data.get("op")
    if op == "rest":
        return REST_DAY
    if op not in OPS:
        raise ValueError(f"command 'op' must be one of get, put, cas, rest; got {op!r}")
    traveller, request, key = data.get("traveller"), data.get("request"), data.get("key")
    if not isinstance(traveller, str) or not isinstance(key, str):
        raise ValueError("command 'traveller' and 'key' must be strings")
    if not isinstance(request, int) or isinstance(request, bool):
        raise ValueError("command 'request' must be a whole number")
    value = _int_or_none(data, "value")
    if op != "get" and value is None:
        raise ValueError(f"a {op} command needs a whole-number 'value'")
    return Command(
        traveller=traveller,
        request=request,
        op=op,
        key=key,
        value=value,
        expected=_int_or_none(data, "expected"),
    )


def result_to_json(result: Result) -> dict[str, Any]:
    return {"ok": result.ok, "value": result.value}


def result_from_json(data: object) -> Result:
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        raise ValueError(f"a result is {{'ok': bool, 'value': int|null}}, got {data!r}")
    value = data.get("value")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError("result 'value' must be a whole number or null")
    return Result(ok=data["ok"], value=value)
