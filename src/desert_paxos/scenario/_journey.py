"""The long journey's part of a scenario: travellers and what they ask.

Theory of operation
-------------------
A scenario with ``"protocol": "multi-paxos"`` runs the journey (one command per
night, see ``desert_paxos.protocol.multi``) instead of one decision. It keeps
every other field (caravans, network, timeline, until, expect) and replaces
``proposals`` with ``travellers``, each either

* an explicit list: ``{"name": "Ines", "requests": [{"op": "put", "key":
  "water", "value": 40}, {"op": "get", "key": "water"}, {"op": "cas", "key":
  "water", "expected": 40, "value": 30}]}``; or
* a workload: ``{"name": "Ines", "count": 5, "keys": ["water", "dates"],
  "mix": {"get": 2, "put": 2, "cas": 1}}``, drawn from the run's one random
  generator when the run starts (so the seed decides it);

with optional ``"think": [low, high]`` (ticks between an answer and the next
request, default [20, 60]), ``"patience"`` (ticks before a retry, default 200)
and ``"first"`` (the caravan asked first; by default the travellers spread
over the caravans in turn). A traveller asks at most :data:`MAX_REQUESTS`
requests and a scenario has at most :data:`MAX_TRAVELLERS` travellers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_REQUESTS",
    "MAX_TRAVELLERS",
    "PROTOCOLS",
    "Journey",
    "TravellerSpec",
    "journey_from_data",
    "timeline_request",
]

PROTOCOLS = ("paxos", "multi-paxos")
MAX_TRAVELLERS = 20
MAX_REQUESTS = 1000
MAX_AMOUNT = 1_000_000
_OPS = ("get", "put", "cas")


@dataclass(frozen=True, slots=True, kw_only=True)
class TravellerSpec:
    name: str
    requests: tuple[tuple[str, str, int | None, int | None], ...] = ()  # op, key, value, expected
    count: int = 0
    keys: tuple[str, ...] = ("water",)
    mix: tuple[tuple[str, int], ...] = (("get", 1), ("put", 1), ("cas", 1))
    think: tuple[int, int] = (20, 60)
    patience: int = 200
    first: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name}
        if self.requests:
            reqs: list[dict[str, object]] = []
            for op, key, value, expected in self.requests:
                item: dict[str, object] = {"op": op, "key": key}
                if op != "get":
                    item["value"] = value
                if op == "cas":
                    item["expected"] = expected
                reqs.append(item)
            out["requests"] = reqs
        else:
            out["count"] = self.count
            out["keys"] = list(self.keys)
            out["mix"] = dict(self.mix)
        out["think"] = list(self.think)
        out["patience"] = self.patience
        if self.first is not None:
            out["first"] = self.first
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Journey:
    travellers: tuple[TravellerSpec, ...] = ()

    def to_json(self) -> list[dict[str, object]]:
        return [t.to_json() for t in self.travellers]


def _whole(v: Any, value: object, path: str, minimum: int, maximum: int) -> int | None:
    result: int | None = v.integer(value, path, minimum, maximum)
    return result


def _request(v: Any, raw: object, path: str) -> tuple[str, str, int | None, int | None] | None:
    d = v.obj(raw, path, ("op", "key", "value", "expected"))
    if d is None:
        return None
    op = d.get("op")
    if op not in _OPS:
        v.fail(f"{path}.op", f"expected one of get, put, cas; got {op!r}")
        return None
    key = v.name(d.get("key"), f"{path}.key")
    value = expected = None
    if op != "get":
        if "value" not in d:
            v.fail(f"{path}.value", f"missing: a {op} needs the new amount (a whole number)")
        else:
            value = _whole(v, d["value"], f"{path}.value", 0, MAX_AMOUNT)
    if op == "cas" and "expected" in d and d["expected"] is not None:
        expected = _whole(v, d["expected"], f"{path}.expected", 0, MAX_AMOUNT)
    if key is None:
        return None
    return (op, key, value, expected)


def _traveller(v: Any, raw: object, path: str, caravans: tuple[str, ...]) -> TravellerSpec | None:
    allowed = ("name", "requests", "count", "keys", "mix", "think", "patience", "first")
    d = v.obj(raw, path, allowed)
    if d is None:
        return None
    name = v.name(d.get("name"), f"{path}.name")
    if name is not None and name in caravans:
        v.fail(f"{path}.name", f"{name!r} is a caravan: a traveller needs a name of its own")
    requests: list[tuple[str, str, int | None, int | None]] = []
    count = 0
    if "requests" in d:
        raw_requests = d["requests"]
        if not isinstance(raw_requests, list) or not raw_requests:
            v.fail(f"{path}.requests", "expected a non-empty list of requests")
        elif not v.too_many(raw_requests, f"{path}.requests", MAX_REQUESTS, "requests"):
            for i, item in enumerate(raw_requests):
                req = _request(v, item, f"{path}.requests[{i}]")
                if req is not None:
                    requests.append(req)
    elif "count" in d:
        count = _whole(v, d["count"], f"{path}.count", 1, MAX_REQUESTS) or 0
    else:
        v.fail(path, 'a traveller needs "requests" (a list) or "count" (a workload)')
    keys: tuple[str, ...] = ("water",)
    if "keys" in d:
        raw_keys = d["keys"]
        if not isinstance(raw_keys, list) or not raw_keys:
            v.fail(f"{path}.keys", "expected a non-empty list of supply names")
        else:
            named = [v.name(k, f"{path}.keys[{i}]") for i, k in enumerate(raw_keys[:100])]
            keys = tuple(k for k in named if k is not None) or keys
    mix: tuple[tuple[str, int], ...] = (("get", 1), ("put", 1), ("cas", 1))
    if "mix" in d:
        md = v.obj(d["mix"], f"{path}.mix", _OPS)
        if md is not None:
            weights = [
                (op, _whole(v, md[op], f"{path}.mix.{op}", 0, 1000)) for op in _OPS if op in md
            ]
            mix = tuple((op, w) for op, w in weights if w)
            if not mix:
                v.fail(f"{path}.mix", "at least one of get, put, cas needs a weight above 0")
                mix = (("get", 1),)
    think = (20, 60)
    if "think" in d:
        t = d["think"]
        if not isinstance(t, list) or len(t) != 2:
            v.fail(f"{path}.think", "expected [low, high] in ticks")
        else:
            low = _whole(v, t[0], f"{path}.think[0]", 0, 1_000_000)
            high = _whole(v, t[1], f"{path}.think[1]", 0, 1_000_000)
            if low is not None and high is not None:
                if high < low:
                    v.fail(f"{path}.think", f"high {high} is below low {low}")
                else:
                    think = (low, high)
    patience = 200
    if "patience" in d:
        patience = _whole(v, d["patience"], f"{path}.patience", 1, 1_000_000) or 200
    first = None
    if "first" in d:
        first = v.name(d["first"], f"{path}.first")
        if first is not None and first not in caravans:
            v.fail(f"{path}.first", f"unknown caravan {first!r} (caravans: {', '.join(caravans)})")
            first = None
    if name is None:
        return None
    return TravellerSpec(
        name=name,
        requests=tuple(requests),
        count=count,
        keys=keys,
        mix=mix,
        think=think,
        patience=patience,
        first=first,
    )


def timeline_request(
    v: Any, raw: object, path: str, travellers: tuple[str, ...]
) -> tuple[str, str, str, int | None, int | None] | None:
    """A timeline ``request``: ``{"traveller": "Ines", "op": "put", "key": "water", "value": 40}``."""
    if not travellers:
        v.fail(path, 'only a journey ("protocol": "multi-paxos") has travellers to ask')
        return None
    d = v.obj(raw, path, ("traveller", "op", "key", "value", "expected"))
    if d is None:
        return None
    traveller = d.get("traveller")
    if traveller not in travellers:
        v.fail(f"{path}.traveller", f"expected one of the travellers {', '.join(travellers)}")
        return None
    req = _request(v, {k: x for k, x in d.items() if k != "traveller"}, path)
    if req is None:
        return None
    return (str(traveller), *req)


def journey_from_data(v: Any, d: dict[str, Any], caravans: tuple[str, ...]) -> Journey:
    """The ``travellers`` of a multi-paxos scenario (problems go to the validator ``v``)."""
    raw = d.get("travellers")
    if not isinstance(raw, list) or not raw:
        v.fail(
            "travellers",
            'a multi-paxos scenario lists its travellers, e.g. [{"name": "Ines", "count": 5, '
            '"keys": ["water"]}]',
        )
        return Journey()
    if v.too_many(raw, "travellers", MAX_TRAVELLERS, "travellers"):
        return Journey()
    travellers: list[TravellerSpec] = []
    for i, item in enumerate(raw):
        spec = _traveller(v, item, f"travellers[{i}]", caravans)
        if spec is not None:
            if any(t.name == spec.name for t in travellers):
                v.fail(f"travellers[{i}].name", f"{spec.name!r} is named twice")
                continue
            travellers.append(spec)
    return Journey(travellers=tuple(travellers))
