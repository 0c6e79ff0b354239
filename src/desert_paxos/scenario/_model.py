"""Scenario values: what happens in one desert, validated and frozen.

The loader turns JSON or TOML into these; everything downstream (simulator,
REPL, swarm) reads only these values, never raw dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..protocol import DEFAULT_CARAVANS, VARIANTS, Config
from ._journey import Journey

__all__ = [
    "Delay",
    "Expectation",
    "Link",
    "Network",
    "NetworkChange",
    "Proposal",
    "Scenario",
    "TimelineEvent",
    "Timing",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Delay:
    """Uniform ``low``..``high`` ticks, or exponential with ``mean`` (then low/high unused)."""

    kind: str = "uniform"  # "uniform" | "exponential"
    low: int = 5
    high: int = 40
    mean: float = 0.0

    def to_json(self) -> dict[str, object]:
        if self.kind == "exponential":
            return {"mean": self.mean}
        return {"min": self.low, "max": self.high}


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    src: str
    dst: str
    delay: Delay | None = None
    loss: float | None = None
    duplicate: float | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"from": self.src, "to": self.dst}
        if self.delay is not None:
            out["delay"] = self.delay.to_json()
        if self.loss is not None:
            out["loss"] = self.loss
        if self.duplicate is not None:
            out["duplicate"] = self.duplicate
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    delay: Delay = field(default_factory=Delay)
    loss: float = 0.0
    duplicate: float = 0.0
    links: tuple[Link, ...] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "delay": self.delay.to_json(),
            "loss": self.loss,
            "duplicate": self.duplicate,
        }
        if self.links:
            out["links"] = [link.to_json() for link in self.links]
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkChange:
    """A change of the whole desert's riders mid-run; a field left None keeps its value."""

    delay: Delay | None = None
    loss: float | None = None
    duplicate: float | None = None

    def applied_to(self, network: Network) -> Network:
        """``network`` with this change made (per-link overrides stay as they were)."""
        return Network(
            delay=self.delay if self.delay is not None else network.delay,
            loss=self.loss if self.loss is not None else network.loss,
            duplicate=self.duplicate if self.duplicate is not None else network.duplicate,
            links=network.links,
        )

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.delay is not None:
            out["delay"] = self.delay.to_json()
        if self.loss is not None:
            out["loss"] = self.loss
        if self.duplicate is not None:
            out["duplicate"] = self.duplicate
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    phase_timeout: int = 150
    backoff_min: int = 10
    backoff_max: int = 60
    patience_min: int = 300
    patience_max: int = 400

    def to_json(self) -> dict[str, object]:
        return {
            "phase_timeout": self.phase_timeout,
            "backoff": {"min": self.backoff_min, "max": self.backoff_max},
            "patience": {"min": self.patience_min, "max": self.patience_max},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    at: int
    caravan: str
    campsite: str

    def to_json(self) -> dict[str, object]:
        return {"at": self.at, "caravan": self.caravan, "campsite": self.campsite}


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEvent:
    """One thing the desert does: ``kind`` is sandstorm, calm, crash, recover, network,
    drop or note.

    ``network`` changes the riders' delay, loss or duplication from then on, and
    ``drop`` loses the one rider in flight whose id is ``rider``: the REPL writes
    both when a learner changes the desert by hand. ``note`` changes nothing: it
    is a teacher's ``text``, told by every view at its moment.
    """

    at: int
    kind: str
    caravan: str | None = None
    groups: tuple[tuple[str, ...], ...] = ()
    network: NetworkChange | None = None
    rider: int | None = None
    text: str | None = None
    # A journey's "request": a traveller asks one more (traveller, op, key, value, expected)
    # at ``at`` (the REPL's /request writes one).
    request: tuple[str, str, str, int | None, int | None] | None = None

    def to_json(self) -> dict[str, object]:
        match self.kind:
            case "sandstorm":
                return {"at": self.at, "sandstorm": [list(g) for g in self.groups]}
            case "calm":
                return {"at": self.at, "calm": True}
            case "network":
                change = self.network.to_json() if self.network is not None else {}
                return {"at": self.at, "network": change}
            case "drop":
                return {"at": self.at, "drop": self.rider}
            case "note":
                return {"at": self.at, "note": self.text}
            case "request" if self.request is not None:
                traveller, op, key, value, expected = self.request
                asked: dict[str, object] = {"traveller": traveller, "op": op, "key": key}
                if op != "get":
                    asked["value"] = value
                if op == "cas":
                    asked["expected"] = expected
                return {"at": self.at, "request": asked}
            case _:
                return {"at": self.at, self.kind: self.caravan}


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    decided: str | None = None  # a campsite, "any", "none", or None for no expectation

    def to_json(self) -> dict[str, object]:
        return {} if self.decided is None else {"decided": self.decided}


DEFAULT_UNTIL = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    name: str = "unnamed"
    description: str = ""
    seed: int = 0
    caravans: tuple[str, ...] = DEFAULT_CARAVANS
    quorum: int | None = None  # None: a majority
    phase1_quorum: int | None = None
    phase2_quorum: int | None = None
    variant: str = "paxos"
    network: Network = field(default_factory=Network)
    timing: Timing = field(default_factory=Timing)
    proposals: tuple[Proposal, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    until: int = DEFAULT_UNTIL
    expect: Expectation = field(default_factory=Expectation)
    # "multi-paxos": the long journey (``journey`` holds its travellers; see ``_journey``).
    protocol: str = "paxos"
    journey: Journey | None = None

    @property
    def majority(self) -> int:
        return len(self.caravans) // 2 + 1

    @property
    def q1(self) -> int:
        return self.phase1_quorum or self.quorum or self.majority

    @property
    def q2(self) -> int:
        return self.phase2_quorum or self.quorum or self.majority

    def config(self) -> Config:
        t = self.timing
        return Config(
            caravans=self.caravans,
            phase1_quorum=self.q1,
            phase2_quorum=self.q2,
            phase_timeout=t.phase_timeout,
            backoff_low=t.backoff_min,
            backoff_high=t.backoff_max,
            patience_low=t.patience_min,
            patience_high=t.patience_max,
            variant=VARIANTS[self.variant if self.protocol == "paxos" else "paxos"],
        )

    def to_json(self) -> dict[str, object]:
        """A complete scenario document that loads back to an equal value."""
        out: dict[str, object] = {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "caravans": list(self.caravans),
        }
        if self.quorum is not None:
            out["quorum"] = self.quorum
        if self.phase1_quorum is not None or self.phase2_quorum is not None:
            out["quorums"] = {"phase1": self.q1, "phase2": self.q2}
        if self.protocol != "paxos":
            out["protocol"] = self.protocol
        if self.variant != "paxos":
            out["variant"] = self.variant
        out["network"] = self.network.to_json()
        if self.timing != Timing():
            out["timing"] = self.timing.to_json()
        if self.journey is not None:
            out["travellers"] = self.journey.to_json()
        else:
            out["proposals"] = [p.to_json() for p in self.proposals]
        out["timeline"] = [e.to_json() for e in self.timeline]
        out["until"] = self.until
        expect = self.expect.to_json()
        if expect:
            out["expect"] = expect
        return out
