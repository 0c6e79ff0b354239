"""The journey's model checker: every interleaving of a small Multi-Paxos journey.

Theory of operation
-------------------
The explorer drives the real :class:`~desert_paxos.protocol.multi.JourneyCaravan`
and :class:`~desert_paxos.protocol.multi.Traveller` through the simulator's
engine interface (``desert_paxos.sim._journey.JOURNEY``: ``configure``,
``caravan``, ``restore``, ``monitor``, ``apply``); there is no second
Multi-Paxos here. A *state* is every caravan's ``snapshot()`` (or its logbook
while it lies collapsed), every traveller's, the timers armed, the riders on
the sand (a multiset), what is left of each bounded fault, and the journey
monitor's ghost state (votes, chosen, learned and executed nights, requests,
the client history). A *move* is one of: deliver any rider; lose one (with
``loss``); send a second copy (with ``duplicate``); fire an armed timer (the
election, heartbeat and retry timers and a traveller's patience are bounded
per journey, so the space is finite; a traveller's think timer is not: its
list is finite); collapse a caravan and raise it from its logbook (with
``crashes``). A caravan's word to itself is delivered at once.

After every move the monitor's invariants are checked (one command per night,
one choice per night, the same executed prefix, each request once, promises
never go down), and whenever a traveller's answer arrives, the linearizability
of the travellers' history so far. Breadth-first search gives the shortest
counterexample; ``max_states`` bounds the search and a search cut short says
so (never "safety holds").
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ..check._journey import JourneyMonitor, JourneyViolation, history_events
from ..protocol import Ballot, Config
from ..protocol._effects import CancelTimer, Persist, Send, SetTimer
from ..protocol.multi import (
    ELECTION_TIMER,
    HEARTBEAT_TIMER,
    JOURNEY_VARIANTS,
    RETRY_TIMER,
    WAIT_TIMER,
    Accept,
    Command,
    Complete,
    JourneyCaravan,
    JourneyConfig,
    Prepare,
    Traveller,
    TravellerPlan,
)
from ..sim._journey import JOURNEY, monitor_trace

__all__ = [
    "JourneyExploreResult",
    "JourneyOptions",
    "JourneyWorld",
    "explore_journey",
    "replay_journey",
]

Action = tuple[Any, ...]
Rider = tuple[str, str, Any]  # src, dst, message

# The budgets a journey's moves draw on, in the state's order.
BUDGETS = ("elections", "heartbeats", "retries", "patience", "loss", "duplicate", "crashes")
_TIMER_BUDGET = {
    ELECTION_TIMER: "elections",
    HEARTBEAT_TIMER: "heartbeats",
    RETRY_TIMER: "retries",
    WAIT_TIMER: "patience",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyOptions:
    """A small journey: who travels, what they ask, and how many of each fault."""

    caravans: int = 3
    variant: str = "paxos"
    nights: int = 2
    elections: int = 2  # election-timer firings in all (so banners up to round 2)
    heartbeats: int = 0
    retries: int = 0  # a leader's re-sent Accept riders
    patience: int = 0  # a traveller's patience running out (a retried request)
    loss: int = 0
    duplicate: int = 0
    crashes: int = 0
    operations: tuple[tuple[str, str, str, int | None], ...] = (
        ("Ines", "put", "water", 1),
        ("Omar", "get", "water", None),
    )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple("ABCDE"[: self.caravans])

    def describe(self) -> str:
        ops = ", ".join(
            f"{who} {op} {key}" + ("" if value is None else f" {value}")
            for who, op, key, value in self.operations
        )
        faults = [f"{getattr(self, b)} {b}" for b in BUDGETS if getattr(self, b)]
        return (
            f"a journey of {self.caravans} caravans over {self.nights} nights, "
            f"variant {self.variant}, travellers: {ops}; bounded: "
            + ", ".join(faults or ["no faults"])
        )


# What each broken variant needs to go wrong, given by default (and said so).
VARIANT_NEEDS: dict[str, dict[str, Any]] = {
    # a leader that never hears its successor (riders may wait forever) is asked for a read
    # after the new leader answered a write: the reader asks the first caravan, the writer
    # the second
    "stale-read": {
        "operations": (("Ines", "get", "water", None), ("Omar", "put", "water", 1)),
    },
    "twice-executed": {"patience": 1, "elections": 1},  # patience runs out: it asks again
    "skip-phase1": {},
}


def options_for(variant: str, **given: int | None) -> JourneyOptions:
    """The default journey for ``variant`` with its needs, then what was ``given``."""
    if variant not in JOURNEY_VARIANTS:
        raise ValueError(
            f"--variant: unknown journey variant {variant!r} (one of {', '.join(JOURNEY_VARIANTS)})"
        )
    values: dict[str, Any] = {"variant": variant, **VARIANT_NEEDS.get(variant, {})}
    values.update({k: v for k, v in given.items() if v is not None})
    return JourneyOptions(**values)


def _monitor_key(m: JourneyMonitor) -> Hashable:
    return (
        frozenset(m.promises.items()),
        frozenset(
            (slot, ballot, command, frozenset(voters))
            for slot, tally in m.votes.items()
            for (ballot, command), voters in tally.items()
        ),
        frozenset(m.chosen.items()),
        frozenset((s, c) for s, (_, c) in m.learned.items()),
        frozenset((s, c) for s, (_, c) in m.executed.items()),
        frozenset(m.requests.items()),
        tuple(m.history),
    )


class _Sink:
    """What the engine's ``apply`` needs of a simulation: the monitor, the time, the events."""

    def __init__(self, monitor: JourneyMonitor, events: list[dict[str, Any]] | None) -> None:
        self.monitor = monitor
        self.now = 0
        self.decided_at: int | None = None
        self.violation: JourneyViolation | None = None
        self.events = events
        self.observers = events is not None

    def _emit(self, event: dict[str, Any]) -> None:
        if self.events is not None:
            self.events.append({"t": self.now, **event})

    def _violate(self, problem: Any) -> None:
        self.violation = problem


class JourneyWorld:
    """One state of the journey, as live objects a move changes in place."""

    def __init__(
        self,
        options: JourneyOptions,
        config: JourneyConfig,
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        self.options = options
        self.config = config
        self.names = options.names
        self.caravans: dict[str, JourneyCaravan | None] = {}
        self.records: dict[str, Any] = {}
        self.travellers: dict[str, Traveller] = {}
        self.timers: dict[str, set[str]] = {}
        self.riders: Counter[Rider] = Counter()
        self.budgets: dict[str, int] = {b: getattr(options, b) for b in BUDGETS}
        self.sink = _Sink(JOURNEY.monitor(config, self.names), events)
        self.violation: JourneyViolation | None = None
        self.next_id = 1
        self.ids: dict[Rider, list[int]] = {}
        self.snaps: dict[str, Hashable] = {}  # each node's snapshot, kept while it is unchanged
        self.owned: set[str] = set()  # nodes this world copied for itself (others are shared)

    # -- building, copying, keys --------------------------------------------------
    @classmethod
    def initial(
        cls, options: JourneyOptions, events: list[dict[str, Any]] | None = None
    ) -> JourneyWorld:
        base = Config(caravans=options.names)
        config = JourneyConfig(base=base, variant=JOURNEY_VARIANTS[options.variant])
        world = cls(options, config, events)
        for name in world.names:
            world.caravans[name] = JOURNEY.caravan(config, name, JOURNEY.empty_record())
            world.timers[name] = set()
        by_traveller: dict[str, list[Command]] = {}
        for who, op, key, value in options.operations:
            by_traveller.setdefault(who, []).append(
                Command(traveller=who, request=0, op=op, key=key, value=value)
            )
        for index, (who, ops) in enumerate(by_traveller.items()):
            plan = TravellerPlan(name=who, operations=tuple(ops), first=index)
            world.travellers[who] = Traveller(plan, world.names)
            world.timers[who] = set()
        for name in world.names:
            caravan = world.caravans[name]
            assert caravan is not None
            world._apply(name, caravan.on_start())
        for who, traveller in world.travellers.items():
            world._apply(who, traveller.on_start())
        return world

    def _snap(self, node: str) -> Hashable:
        snap = self.snaps.get(node)
        if snap is None:
            caravan = self.caravans.get(node)
            if node in self.travellers:
                snap = self.travellers[node].snapshot()
            elif caravan is None:
                snap = ("down", self.records[node])
            else:
                snap = caravan.snapshot()
            self.snaps[node] = snap
        return snap

    def key(self) -> Hashable:
        return (
            tuple(self._snap(n) for n in self.names),
            tuple(self._snap(t) for t in self.travellers),
            tuple(frozenset(self.timers[n]) for n in self.timers),
            frozenset(self.riders.items()),
            tuple(self.budgets[b] for b in BUDGETS),
            _monitor_key(self.sink.monitor),
        )

    def copy(self, events: list[dict[str, Any]] | None = None) -> JourneyWorld:
        other = JourneyWorld(self.options, self.config, events)
        for name, caravan in self.caravans.items():
            other.caravans[name] = (
                None if caravan is None else JOURNEY.restore(self.config, name, caravan.snapshot())
            )
        other.records = dict(self.records)
        for who, traveller in self.travellers.items():
            other.travellers[who] = Traveller.restore(traveller.snapshot(), self.names)
        other.timers = {n: set(t) for n, t in self.timers.items()}
        other.riders = Counter(self.riders)
        other.budgets = dict(self.budgets)
        other.sink.monitor = self.sink.monitor.copy()
        return other

    # -- moves ------------------------------------------------------------------
    def moves(self) -> list[Action]:
        out: list[Action] = []
        for rider in sorted(self.riders, key=repr):
            out.append(("deliver", *rider))
        if self.budgets["loss"]:
            out.extend(("drop", *rider) for rider in sorted(self.riders, key=repr))
        if self.budgets["duplicate"]:
            out.extend(("duplicate", *rider) for rider in sorted(self.riders, key=repr))
        for node in self.timers:
            for name in sorted(self.timers[node]):
                budget = _TIMER_BUDGET.get(name)
                if budget is None or self.budgets[budget] > 0:
                    out.append(("timer", node, name))
        if self.budgets["crashes"]:
            out.extend(("crash", n) for n in self.names if self.caravans[n] is not None)
        out.extend(("recover", n) for n in self.names if self.caravans[n] is None)
        return out

    def _own(self, node: str) -> None:
        """Copy ``node`` for this world before a move changes it (a move changes one node)."""
        self.snaps.pop(node, None)
        if node in self.owned:
            return
        self.owned.add(node)
        if node in self.travellers:
            self.travellers[node] = Traveller.restore(self.travellers[node].snapshot(), self.names)
            return
        caravan = self.caravans.get(node)
        if caravan is not None:
            self.caravans[node] = JOURNEY.restore(self.config, node, caravan.snapshot())

    def play(self, action: Action, t: int = 0) -> None:
        """Make one move (``t``: its tick in a trace)."""
        self.sink.now = t
        kind = action[0]
        if kind in ("deliver", "timer", "crash", "recover"):
            self._own(action[2] if kind == "deliver" else action[1])
        if kind in ("deliver", "drop", "duplicate"):
            rider: Rider = (action[1], action[2], action[3])
            if kind == "duplicate":
                self.budgets["duplicate"] -= 1
                self._send(rider, copy=True)
                return
            self.riders[rider] -= 1
            if not self.riders[rider]:
                del self.riders[rider]
            msg_id = self._take_id(rider)
            if kind == "drop":
                self.budgets["loss"] -= 1
                self._event("drop", msg_id, rider, reason="lost")
                return
            self._event("deliver", msg_id, rider)
            self._deliver(*rider)
        elif kind == "timer":
            node, name = action[1], action[2]
            budget = _TIMER_BUDGET.get(name)
            if budget is not None:
                self.budgets[budget] -= 1
            self.timers[node].discard(name)
            self._emit({"kind": "timer", "node": node, "name": name})
            target = self.caravans.get(node) or self.travellers.get(node)
            assert target is not None
            self._apply(node, target.on_timer(name))
        elif kind == "crash":
            node = action[1]
            self.budgets["crashes"] -= 1
            caravan = self.caravans[node]
            assert caravan is not None
            self.records[node] = caravan.record
            self.caravans[node] = None
            self.timers[node] = set()
            self._emit({"kind": "crash", "node": node})
        elif kind == "recover":
            node = action[1]
            record = self.records.pop(node)
            caravan = JOURNEY.caravan(self.config, node, record)
            self.caravans[node] = caravan
            self._emit({"kind": "recover", "node": node, **JOURNEY.record_fields(record)})
            self._apply(node, caravan.on_start())
        else:  # pragma: no cover
            raise ValueError(f"unknown move {action!r}")

    # -- effects ------------------------------------------------------------------
    def _deliver(self, src: str, dst: str, msg: Any) -> None:
        if dst in self.travellers:
            self._apply(dst, self.travellers[dst].on_message(src, msg))
            return
        caravan = self.caravans.get(dst)
        if caravan is None:
            return  # a collapsed caravan hears nothing
        effects = caravan.on_message(src, msg)
        if isinstance(msg, (Prepare, Accept)):
            self._check(self.sink.monitor.on_promise(self.sink.now, dst, caravan.promised))
        self._apply(dst, effects)

    def _apply(self, node: str, effects: list[Any]) -> None:
        own: list[Rider] = []
        for effect in effects:
            if isinstance(effect, Send):
                rider = (node, effect.dst, effect.msg)
                if effect.dst == node:
                    own.append(rider)
                else:
                    self._send(rider)
            elif isinstance(effect, SetTimer):
                self.timers[node].add(effect.name)
                self._emit({"kind": "timer_set", "node": node, "name": effect.name, "fire": None})
            elif isinstance(effect, CancelTimer):
                self.timers[node].discard(effect.name)
                self._emit({"kind": "timer_cancel", "node": node, "name": effect.name})
            elif isinstance(effect, Persist):
                self._emit(
                    {"kind": "persist", "node": node, **JOURNEY.record_fields(effect.record)}
                )
                self._check(self.sink.monitor.on_persist(self.sink.now, node, effect.record))  # type: ignore[arg-type]
            else:
                JOURNEY.apply(self.sink, node, effect)  # type: ignore[arg-type]
                if self.sink.violation is not None:
                    self._check(self.sink.violation)
                if isinstance(effect, Complete):
                    self._check_linearizable()
        for rider in own:
            self._deliver(*rider)

    def _send(self, rider: Rider, copy: bool = False) -> None:
        self.riders[rider] += 1
        if self.sink.events is not None:
            msg_id = self.next_id
            self.next_id += 1
            original = self.ids.get(rider, [None])[0] if copy else None
            self.ids.setdefault(rider, []).append(msg_id)
            event = JOURNEY.event(0, (msg_id, rider[0], rider[1], rider[2], None, original))
            self._emit({**event, "arrive": None})

    def _take_id(self, rider: Rider) -> int:
        ids = self.ids.get(rider)
        return ids.pop(0) if ids else 0

    def _event(self, kind: str, msg_id: int, rider: Rider, **more: Any) -> None:
        if self.sink.events is not None:
            self._emit(
                {
                    "kind": kind,
                    "id": msg_id,
                    "src": rider[0],
                    "dst": rider[1],
                    "msg": JOURNEY.message_to_json(rider[2]),
                    **more,
                }
            )

    def _emit(self, event: dict[str, Any]) -> None:
        self.sink._emit(event)

    def _check(self, problem: Any) -> None:
        if problem is not None and self.violation is None:
            self.violation = problem
            self._emit(
                {
                    "kind": "violation",
                    "invariant": problem.invariant,
                    "rule": problem.rule,
                    "message": problem.message,
                }
            )

    def _check_linearizable(self) -> None:
        from ..check._linearizable import check_events

        monitor = self.sink.monitor
        result = check_events(history_events(monitor_trace(monitor)), max_states=100_000)
        if result.linearizable is False:
            op = result.first_unplaceable
            what = "" if op is None else f": {op.process}'s {op.f} of {op.key!r} cannot be placed"
            self._check(
                JourneyViolation(
                    "linearizable",
                    self.sink.now,
                    f"the travellers' history is not linearizable{what}",
                )
            )

    def leading_round(self) -> int:
        rounds = [
            c.leader.ballot.round
            for c in self.caravans.values()
            if c is not None and isinstance(c.leader.ballot, Ballot)
        ]
        return max(rounds, default=0)


@dataclass(slots=True)
class JourneyExploreResult:
    states: int
    transitions: int
    depth: int
    seconds: float
    stopped: str | None  # None: complete; "max-states": cut short
    violation: JourneyViolation | None = None
    path: list[Action] = field(default_factory=list)


def explore_journey(
    options: JourneyOptions,
    *,
    max_states: int,
    progress: Callable[[int, int, int, float], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> JourneyExploreResult:
    """Breadth-first over every state of the journey; the shortest path to a violation."""
    start = clock()
    root = JourneyWorld.initial(options)
    root_key = root.key()
    parent: dict[Hashable, tuple[Hashable, Action] | None] = {root_key: None}
    frontier: deque[tuple[JourneyWorld, Hashable, int]] = deque([(root, root_key, 0)])
    transitions = depth = 0
    stopped: str | None = None
    while frontier:
        world, key, level = frontier.popleft()
        depth = max(depth, level)
        for action in world.moves():
            nxt = world.copy()
            nxt.play(action)
            transitions += 1
            nkey = nxt.key()
            if nkey in parent:
                continue
            parent[nkey] = (key, action)
            if nxt.violation is not None:
                path = _path(parent, nkey)
                return JourneyExploreResult(
                    len(parent), transitions, level + 1, clock() - start, None, nxt.violation, path
                )
            if len(parent) >= max_states:
                stopped = "max-states"
                frontier.clear()
                break
            frontier.append((nxt, nkey, level + 1))
        if progress is not None and len(parent) % 1024 == 0:
            progress(len(parent), transitions, depth, clock() - start)
    return JourneyExploreResult(len(parent), transitions, depth, clock() - start, stopped)


def _path(parent: dict[Hashable, tuple[Hashable, Action] | None], key: Hashable) -> list[Action]:
    path: list[Action] = []
    step = parent[key]
    while step is not None:
        key, action = step
        path.append(action)
        step = parent[key]
    path.reverse()
    return path


def replay_journey(
    options: JourneyOptions, path: list[Action]
) -> tuple[JourneyWorld, list[dict[str, Any]]]:
    """Play ``path`` again with every event recorded (one move per tick from 1)."""
    events: list[dict[str, Any]] = []
    world = JourneyWorld.initial(options, events)
    for t, action in enumerate(path, start=1):
        world.play(action, t)
    return world, events
