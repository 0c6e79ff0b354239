"""Reading scenario files: JSON or TOML in, a :class:`Scenario` or every error out.

Validation collects *all* problems before giving up, each with the path inside
the document (``timeline[2].crash``) and what would be right, so a learner can
fix a file in one go. Nothing here raises anything but :class:`ScenarioError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .._untrusted import (
    SCENARIO_LIMIT,
    InputError,
    control_character,
    decode_utf8,
    kind_of,
    loads_json,
    loads_toml,
    printable,
    read_file,
)
from ..protocol import DEFAULT_CARAVANS, VARIANTS
from ._journey import PROTOCOLS, journey_from_data, timeline_request
from ._model import (
    DEFAULT_UNTIL,
    Delay,
    Expectation,
    Link,
    Network,
    NetworkChange,
    Proposal,
    Scenario,
    TimelineEvent,
    Timing,
)

__all__ = [
    "LIMITS",
    "ScenarioError",
    "load_scenario_file",
    "parse_scenario_text",
    "scenario_from_data",
]

T = TypeVar("T")

# The fixed limits of the scenario format, far above any lesson's needs and low enough that no
# file can make a run eat the machine. They are part of the format, not settings, so a scenario
# valid on one machine is valid on every machine (README, "Limits").
MAX_CARAVANS = 100
MAX_PROPOSALS = 1_000
MAX_TIMELINE = 10_000  # desert events, hand-made ones saved by the REPL included
MAX_LINKS = 10_000
MAX_TICK = 10**12  # any time, delay, timeout or `until`, in ticks
MAX_SEED = 2**53 - 1  # as any whole number in a trace: the viewer's JavaScript holds it exactly
MAX_NAME_CHARS = 200  # caravan, campsite and scenario names
MAX_TEXT_CHARS = 10_000  # a description
MAX_PROBLEMS_SHOWN = 50

LIMITS = {
    "caravans": MAX_CARAVANS,
    "proposals": MAX_PROPOSALS,
    "timeline": MAX_TIMELINE,
    "network.links": MAX_LINKS,
    "ticks": MAX_TICK,
    "seed": MAX_SEED,
    "name characters": MAX_NAME_CHARS,
    "description characters": MAX_TEXT_CHARS,
}


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return printable(f"{self.path or '(top level)'}: {self.message}")


class ScenarioError(Exception):
    """Every problem found in one scenario source, ready to print."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        source = printable(self.source)
        head = f"{source}: {count} problem{'s' if count != 1 else ''} in this scenario"
        lines = [head, *(f"  {source}: {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN])]
        if count > MAX_PROBLEMS_SHOWN:
            others = count - MAX_PROBLEMS_SHOWN
            lines.append(f"  {source}: ... and {others:,} more problem{'s' if others != 1 else ''}")
        return "\n".join(lines)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_kind = kind_of  # what a value is, as a message says it (one wording for every reader)


def _number(value: object) -> str:
    """A number as an error message shows it (a huge one by its count of digits)."""
    text = repr(value)
    return text if len(text) <= 24 else f"a number of {len(text):,} digits"


class _Validator:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def obj(self, data: object, path: str, allowed: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.fail(path, f"expected an object, got {_kind(data)}")
            return None
        for key in data:
            if key not in allowed:
                hint = ", ".join(allowed)
                self.fail(_join(path, str(key)), f"unknown key {key!r} (allowed here: {hint})")
        return data

    def get(
        self,
        data: dict[str, Any],
        path: str,
        key: str,
        convert: Callable[[object, str], T | None],
        default: T,
    ) -> T:
        if key not in data:
            return default
        value = convert(data[key], _join(path, key))
        return default if value is None else value

    def integer(
        self, value: object, path: str, minimum: int = 0, maximum: int = MAX_TICK
    ) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected a whole number >= {minimum}, got {_kind(value)}")
            return None
        if value < minimum:
            what = "negative times are not allowed" if minimum == 0 else f"must be >= {minimum}"
            self.fail(path, f"{_number(value)} is too small: {what}")
            return None
        if value > maximum:
            self.fail(path, f"{_number(value)} is too large: at most {maximum:,}")
            return None
        return value

    def time(self, value: object, path: str) -> int | None:
        return self.integer(value, path, 0)

    def positive(self, value: object, path: str) -> int | None:
        return self.integer(value, path, 1)

    def probability(self, value: object, path: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a probability between 0 and 1, got {_kind(value)}")
            return None
        if not 0 <= value <= 1:  # also false for NaN; compares huge integers exactly
            self.fail(path, f"probability {_number(value)} is outside [0, 1]")
            return None
        return float(value)

    def text(
        self, value: object, path: str, limit: int = MAX_TEXT_CHARS, lines: bool = False
    ) -> str | None:
        """A string of at most ``limit`` characters and no control characters (a terminal
        would act on them); ``lines``: newlines and tabs are allowed (a description)."""
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_kind(value)}")
            return None
        if len(value) > limit:
            self.fail(path, f"{len(value):,} characters is too long: at most {limit:,}")
            return None
        found = control_character(value.replace("\n", " ").replace("\t", " ") if lines else value)
        if found is not None:
            at, what = found
            allowed = "; newlines and tabs are fine here" if lines else ""
            self.fail(
                path,
                f"{what} at character {at + 1} is not allowed: text here is plain, shown as is "
                f"on a terminal{allowed}",
            )
            return None
        return value

    def too_many(self, items: list[Any], path: str, limit: int, what: str) -> bool:
        """True (and a problem) when a list is longer than the format allows."""
        if len(items) <= limit:
            return False
        self.fail(path, f"{len(items):,} {what} is too many: a scenario has at most {limit:,}")
        return True

    def name(self, value: object, path: str) -> str | None:
        text = self.text(value, path, MAX_NAME_CHARS)
        if text is not None and not text.strip():
            self.fail(path, "a name must not be empty")
            return None
        return text


def _caravan_ref(v: _Validator, value: object, path: str, caravans: tuple[str, ...]) -> str | None:
    name = v.text(value, path, MAX_NAME_CHARS)
    if name is None:
        return None
    if name not in caravans:
        v.fail(path, f"unknown caravan {name!r} (caravans: {', '.join(caravans)})")
        return None
    return name


def _delay(v: _Validator, data: object, path: str) -> Delay | None:
    d = v.obj(data, path, ("min", "max", "mean"))
    if d is None:
        return None
    if "mean" in d:
        if "min" in d or "max" in d:
            v.fail(path, "give either min and max (uniform) or mean (exponential), not both")
            return None
        mean = d["mean"]
        if isinstance(mean, bool) or not isinstance(mean, int | float) or not 0 < mean <= MAX_TICK:
            shown = _number(mean) if isinstance(mean, int | float) else _kind(mean)
            v.fail(
                _join(path, "mean"),
                f"expected a positive number of ticks, at most {MAX_TICK:,}, got {shown}",
            )
            return None
        return Delay(kind="exponential", mean=float(mean))
    if "min" not in d or "max" not in d:
        v.fail(path, 'a delay is {"min": A, "max": B} (uniform) or {"mean": M} (exponential)')
        return None
    low = v.time(d["min"], _join(path, "min"))
    high = v.time(d["max"], _join(path, "max"))
    if low is None or high is None:
        return None
    if low > high:
        v.fail(path, f"min {low} is greater than max {high}")
        return None
    return Delay(kind="uniform", low=low, high=high)


def _network(v: _Validator, data: object, caravans: tuple[str, ...]) -> Network:
    path = "network"
    d = v.obj(data, path, ("delay", "loss", "duplicate", "links"))
    if d is None:
        return Network()
    delay = v.get(d, path, "delay", lambda x, p: _delay(v, x, p), Delay())
    loss = v.get(d, path, "loss", v.probability, 0.0)
    duplicate = v.get(d, path, "duplicate", v.probability, 0.0)
    links: list[Link] = []
    raw_links = d.get("links", [])
    if not isinstance(raw_links, list):
        v.fail(_join(path, "links"), f"expected a list of links, got {_kind(raw_links)}")
        raw_links = []
    if v.too_many(raw_links, _join(path, "links"), MAX_LINKS, "links"):
        raw_links = []
    for i, raw in enumerate(raw_links):
        lp = _join(_join(path, "links"), i)
        ld = v.obj(raw, lp, ("from", "to", "delay", "loss", "duplicate"))
        if ld is None:
            continue
        for key in ("from", "to"):
            if key not in ld:
                v.fail(lp, f"a link needs {key!r}")
        src = _caravan_ref(v, ld["from"], _join(lp, "from"), caravans) if "from" in ld else None
        dst = _caravan_ref(v, ld["to"], _join(lp, "to"), caravans) if "to" in ld else None
        ldelay = _delay(v, ld["delay"], _join(lp, "delay")) if "delay" in ld else None
        lloss = v.probability(ld["loss"], _join(lp, "loss")) if "loss" in ld else None
        ldup = v.probability(ld["duplicate"], _join(lp, "duplicate")) if "duplicate" in ld else None
        if src is not None and dst is not None:
            links.append(Link(src=src, dst=dst, delay=ldelay, loss=lloss, duplicate=ldup))
    return Network(delay=delay, loss=loss, duplicate=duplicate, links=tuple(links))


def _range(v: _Validator, data: object, path: str, default: tuple[int, int]) -> tuple[int, int]:
    d = v.obj(data, path, ("min", "max"))
    if d is None:
        return default
    low = v.get(d, path, "min", v.positive, default[0])
    high = v.get(d, path, "max", v.positive, default[1])
    if low > high:
        v.fail(path, f"min {low} is greater than max {high}")
        return default
    return (low, high)


def _timing(v: _Validator, data: object) -> Timing:
    path = "timing"
    d = v.obj(data, path, ("phase_timeout", "backoff", "patience"))
    if d is None:
        return Timing()
    base = Timing()
    timeout = v.get(d, path, "phase_timeout", v.positive, base.phase_timeout)
    backoff = (base.backoff_min, base.backoff_max)
    if "backoff" in d:
        backoff = _range(v, d["backoff"], _join(path, "backoff"), backoff)
    patience = (base.patience_min, base.patience_max)
    if "patience" in d:
        patience = _range(v, d["patience"], _join(path, "patience"), patience)
    return Timing(
        phase_timeout=timeout,
        backoff_min=backoff[0],
        backoff_max=backoff[1],
        patience_min=patience[0],
        patience_max=patience[1],
    )


def _caravans(v: _Validator, data: dict[str, Any]) -> tuple[str, ...]:
    if "caravans" not in data:
        return DEFAULT_CARAVANS
    raw = data["caravans"]
    if not isinstance(raw, list) or not raw:
        v.fail("caravans", f"expected a non-empty list of names, got {_kind(raw)}")
        return DEFAULT_CARAVANS
    if v.too_many(raw, "caravans", MAX_CARAVANS, "caravans"):
        return DEFAULT_CARAVANS
    names: list[str] = []
    for i, item in enumerate(raw):
        name = v.name(item, _join("caravans", i))
        if name is None:
            continue
        if name in names:
            v.fail(
                _join("caravans", i),
                f"duplicate caravan {name!r}: every caravan needs its own name",
            )
            continue
        names.append(name)
    return tuple(names) if names else DEFAULT_CARAVANS


def _proposals(v: _Validator, data: object, caravans: tuple[str, ...]) -> tuple[Proposal, ...]:
    if not isinstance(data, list):
        v.fail("proposals", f"expected a list of proposals, got {_kind(data)}")
        return ()
    if v.too_many(data, "proposals", MAX_PROPOSALS, "proposals"):
        return ()
    out: list[Proposal] = []
    for i, raw in enumerate(data):
        path = _join("proposals", i)
        d = v.obj(raw, path, ("at", "caravan", "campsite"))
        if d is None:
            continue
        missing = [k for k in ("at", "caravan", "campsite") if k not in d]
        if missing:
            v.fail(path, f"a proposal needs {', '.join(repr(m) for m in missing)}")
            continue
        at = v.time(d["at"], _join(path, "at"))
        caravan = _caravan_ref(v, d["caravan"], _join(path, "caravan"), caravans)
        campsite = v.name(d["campsite"], _join(path, "campsite"))
        if at is not None and caravan is not None and campsite is not None:
            out.append(Proposal(at=at, caravan=caravan, campsite=campsite))
    return tuple(out)


_TIMELINE_KINDS = (
    "sandstorm",
    "calm",
    "crash",
    "recover",
    "network",
    "drop",
    "note",
    "request",
)

NOTE_MAX_CHARS = 500  # a teacher's note is a sentence or two, shown on one line


def _note(v: _Validator, raw: object, path: str) -> str | None:
    """A teacher's note: one line of plain text (``text`` refuses control characters and
    line separators), not empty, at most ``NOTE_MAX_CHARS``."""
    text = v.text(raw, path, NOTE_MAX_CHARS)
    if text is not None and not text.strip():
        v.fail(path, "a note must say something (it is empty)")
        return None
    return text


def _network_change(v: _Validator, raw: object, path: str) -> NetworkChange | None:
    d = v.obj(raw, path, ("delay", "loss", "duplicate"))
    if d is None:
        return None
    if not d:
        v.fail(path, 'say what changes, e.g. {"loss": 0.3} or {"delay": {"min": 5, "max": 80}}')
        return None
    count = len(v.problems)
    delay = _delay(v, d["delay"], _join(path, "delay")) if "delay" in d else None
    loss = v.probability(d["loss"], _join(path, "loss")) if "loss" in d else None
    dup = v.probability(d["duplicate"], _join(path, "duplicate")) if "duplicate" in d else None
    if len(v.problems) != count:
        return None
    return NetworkChange(delay=delay, loss=loss, duplicate=dup)


def _sandstorm(
    v: _Validator, raw: object, path: str, caravans: tuple[str, ...]
) -> tuple[tuple[str, ...], ...] | None:
    if not isinstance(raw, list) or not raw:
        v.fail(path, 'a sandstorm is a list of groups, e.g. [["Aghilas", "Taziri"], ["Itri"]]')
        return None
    if len(raw) > len(caravans):
        v.fail(path, f"{len(raw):,} groups, but there are only {len(caravans)} caravans")
        return None
    seen: set[str] = set()
    groups: list[tuple[str, ...]] = []
    ok = True
    for gi, group in enumerate(raw):
        gpath = _join(path, gi)
        if not isinstance(group, list) or not group:
            v.fail(gpath, f"a group is a non-empty list of caravan names, got {_kind(group)}")
            ok = False
            continue
        if len(group) > len(caravans):
            v.fail(gpath, f"{len(group):,} names, but there are only {len(caravans)} caravans")
            ok = False
            continue
        names: list[str] = []
        for ni, item in enumerate(group):
            name = _caravan_ref(v, item, _join(gpath, ni), caravans)
            if name is None:
                ok = False
                continue
            if name in seen:
                v.fail(_join(gpath, ni), f"{name!r} is named twice in this sandstorm")
                ok = False
                continue
            seen.add(name)
            names.append(name)
        groups.append(tuple(names))
    return tuple(groups) if ok else None


def _timeline(
    v: _Validator, data: object, caravans: tuple[str, ...], travellers: tuple[str, ...] = ()
) -> tuple[TimelineEvent, ...]:
    """The desert's events; a journey's sandstorm may also name ``travellers``."""
    if not isinstance(data, list):
        v.fail("timeline", f"expected a list of events, got {_kind(data)}")
        return ()
    if v.too_many(data, "timeline", MAX_TIMELINE, "desert events"):
        return ()
    out: list[TimelineEvent] = []
    for i, raw in enumerate(data):
        path = _join("timeline", i)
        d = v.obj(raw, path, ("at", *_TIMELINE_KINDS))
        if d is None:
            continue
        kinds = [k for k in _TIMELINE_KINDS if k in d]
        if "at" not in d:
            v.fail(path, "an event needs 'at' (the tick it happens)")
        if len(kinds) != 1:
            v.fail(path, "an event is exactly one of: " + ", ".join(_TIMELINE_KINDS))
            continue
        at = v.time(d["at"], _join(path, "at")) if "at" in d else None
        kind = kinds[0]
        kpath = _join(path, kind)
        match kind:
            case "sandstorm":
                groups = _sandstorm(v, d[kind], kpath, caravans + travellers)
                if at is not None and groups is not None:
                    out.append(TimelineEvent(at=at, kind=kind, groups=groups))
            case "calm":
                if d[kind] is not True:
                    v.fail(kpath, f'write "calm": true, got {d[kind]!r}')
                elif at is not None:
                    out.append(TimelineEvent(at=at, kind=kind))
            case "network":
                change = _network_change(v, d[kind], kpath)
                if at is not None and change is not None:
                    out.append(TimelineEvent(at=at, kind=kind, network=change))
            case "drop":
                rider = v.positive(d[kind], kpath)
                if at is not None and rider is not None:
                    out.append(TimelineEvent(at=at, kind=kind, rider=rider))
            case "note":
                text = _note(v, d[kind], kpath)
                if at is not None and text is not None:
                    out.append(TimelineEvent(at=at, kind=kind, text=text))
            case "request":
                asked = timeline_request(v, d[kind], kpath, travellers)
                if at is not None and asked is not None:
                    out.append(TimelineEvent(at=at, kind=kind, request=asked))
            case _:
                caravan = _caravan_ref(v, d[kind], kpath, caravans)
                if at is not None and caravan is not None:
                    out.append(TimelineEvent(at=at, kind=kind, caravan=caravan))
    return tuple(out)


def _quorums(
    v: _Validator, d: dict[str, Any], n: int, variant: str
) -> tuple[int | None, int | None, int | None]:
    quorum = v.get(d, "", "quorum", v.positive, None) if "quorum" in d else None
    q1 = q2 = None
    if "quorums" in d:
        qd = v.obj(d["quorums"], "quorums", ("phase1", "phase2"))
        if qd is not None:
            q1 = v.get(qd, "quorums", "phase1", v.positive, None) if "phase1" in qd else None
            q2 = v.get(qd, "quorums", "phase2", v.positive, None) if "phase2" in qd else None
    majority = n // 2 + 1
    for path, q in (("quorum", quorum), ("quorums.phase1", q1), ("quorums.phase2", q2)):
        if q is not None and q > n:
            v.fail(path, f"quorum {q} is larger than the {n} caravans")
    eff1 = q1 or quorum or majority
    eff2 = q2 or quorum or majority
    if eff1 <= n and eff2 <= n and eff1 + eff2 <= n and variant == "paxos":
        v.fail(
            "quorum" if quorum is not None and q1 is None and q2 is None else "quorums",
            f"quorums of {eff1} (phase 1) and {eff2} (phase 2) out of {n} need not meet; "
            f'Paxos needs phase1 + phase2 > {n} (set "variant": "small-quorums" to watch it break)',
        )
    return quorum, q1, q2


_TOP_KEYS = (
    "$schema",
    "name",
    "description",
    "seed",
    "caravans",
    "quorum",
    "quorums",
    "variant",
    "network",
    "timing",
    "proposals",
    "timeline",
    "until",
    "expect",
    "protocol",
    "travellers",
)


def scenario_from_data(data: object, source: str, default_name: str = "unnamed") -> Scenario:
    """Validate a parsed document; raises :class:`ScenarioError` listing every problem."""
    v = _Validator()
    d = v.obj(data, "", _TOP_KEYS)
    if d is None:
        raise ScenarioError(source, v.problems)
    v.get(d, "", "$schema", v.text, "")
    name = v.get(d, "", "name", v.name, default_name)
    description = v.get(d, "", "description", lambda x, p: v.text(x, p, lines=True), "")
    seed = v.get(d, "", "seed", lambda x, p: v.integer(x, p, 0, MAX_SEED), 0)
    caravans = _caravans(v, d)
    protocol = v.get(d, "", "protocol", v.name, "paxos")
    if protocol not in PROTOCOLS:
        v.fail("protocol", f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
        protocol = "paxos"
    journey = journey_from_data(v, d, caravans) if protocol == "multi-paxos" else None
    variant = v.get(d, "", "variant", v.name, "paxos")
    if journey is None:
        known_variants: Mapping[str, object] = VARIANTS
    else:  # the Multi-Paxos core is loaded only for a journey
        from ..protocol.multi import JOURNEY_VARIANTS

        known_variants = JOURNEY_VARIANTS
    if variant not in known_variants:
        v.fail("variant", f"unknown variant {variant!r} (known: {', '.join(known_variants)})")
        variant = "paxos"
    quorum, q1, q2 = _quorums(v, d, len(caravans), variant)
    network = _network(v, d["network"], caravans) if "network" in d else Network()
    timing = _timing(v, d["timing"]) if "timing" in d else Timing()
    if journey is not None:
        if "proposals" in d:
            v.fail("proposals", "a multi-paxos journey has travellers, not proposals")
    elif "travellers" in d:
        v.fail("travellers", 'travellers ride only on a journey: set "protocol": "multi-paxos"')
    elif "proposals" not in d:
        v.fail(
            "proposals",
            "missing: say who proposes which campsite when, e.g. "
            '[{"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"}]',
        )
    proposals = (
        _proposals(v, d["proposals"], caravans) if "proposals" in d and journey is None else ()
    )
    riders = () if journey is None else tuple(t.name for t in journey.travellers)
    timeline = _timeline(v, d["timeline"], caravans, riders) if "timeline" in d else ()
    until = v.get(d, "", "until", v.positive, DEFAULT_UNTIL)
    expect = Expectation()
    if "expect" in d:
        ed = v.obj(d["expect"], "expect", ("decided",))
        if ed is not None and "decided" in ed:
            decided = v.name(ed["decided"], "expect.decided")
            expect = Expectation(decided=decided)
    for i, p in enumerate(proposals):
        if p.at > until:
            v.fail(_join(_join("proposals", i), "at"), f"tick {p.at} is after until={until}")
    for i, e in enumerate(timeline):
        if e.at > until:
            v.fail(_join(_join("timeline", i), "at"), f"tick {e.at} is after until={until}")
    if v.problems:
        raise ScenarioError(source, v.problems)
    return Scenario(
        name=name,
        description=description,
        seed=seed,
        caravans=caravans,
        quorum=quorum,
        phase1_quorum=q1,
        phase2_quorum=q2,
        variant=variant,
        network=network,
        timing=timing,
        proposals=proposals,
        timeline=timeline,
        until=until,
        expect=expect,
        protocol=protocol,
        journey=journey,
    )


def parse_scenario_text(
    text: str, source: str, fmt: str, default_name: str = "unnamed"
) -> Scenario:
    """Parse ``text`` as ``fmt`` ("json" or "toml") and validate it.

    The text is untrusted: parse-level bombs (deep nesting, numbers no field can
    use, lone surrogates) are problems like any other (see ``desert_paxos._untrusted``).
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the document
    try:
        data = loads_toml(text) if fmt == "toml" else loads_json(text)
    except InputError as exc:
        raise ScenarioError(source, [Problem(exc.path, exc.message)]) from None
    return scenario_from_data(data, source, default_name)


def load_scenario_file(path: str | Path) -> Scenario:
    """Read and validate a scenario file (``.toml`` is TOML, anything else JSON)."""
    p = Path(path)
    source = str(path)
    try:
        text = decode_utf8(read_file(p, SCENARIO_LIMIT), "scenario file")
    except InputError as exc:
        raise ScenarioError(source, [Problem(exc.path, exc.message)]) from None
    fmt = "toml" if p.suffix.lower() == ".toml" else "json"
    return parse_scenario_text(text, source, fmt, default_name=p.stem)
