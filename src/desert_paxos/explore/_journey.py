"""The journey's model checker: every interleaving of a small Multi-Paxos journey.

Theory of operation
-------------------
The explorer drives the real :class:`~desert_paxos.protocol.multi.JourneyCaravan`
and :class:`~desert_paxos.protocol.multi.Traveller` through their own handlers
(``on_start``, ``on_message``, ``on_timer``, ``snapshot``/``restore``, the
simulator's engine interface ``desert_paxos.sim._journey.JOURNEY``); there is
no second Multi-Paxos here. It is searched by the explorer's one search engine
(``_search.search``, the plain walk: breadth-first gives the shortest
counterexample) through :class:`JourneyModel`, as the single-decree
:class:`~desert_paxos.explore.Model` is.

*States.* A state is a flat tuple of small integers: the ghost's number, the
budgets left (bit fields), one *local code* per node (a caravan's
``snapshot()`` with its armed timers, or its logbook while it lies collapsed;
a traveller's snapshot and timers), then the riders on the sand as a sorted
tuple of rider numbers (a multiset). The ghost is the journey monitor's state
(promises, every vote ever written, chosen, learned and executed nights,
requests executed, the client history), numbered like the codes.

*Moves.* Deliver any rider; send a second copy (with ``duplicate``); fire an
armed timer; collapse a caravan and raise it from its logbook (with
``crashes``). A caravan's word to itself is delivered at once. A node's step
depends on its local code and the input alone, so it is computed once, by
restoring the real object and calling its handler, and memoised: its new code,
the riders it sends and the monitor's calls (votes written, nights learned and
executed, requests and answers); the ghost's step is memoised per (ghost,
calls). After every move the invariants are checked (one command per night, one
choice per night, the same executed prefix, each request once, promises never
go down) and, whenever a traveller's answer arrives, the linearizability of the
travellers' history so far.

*Covered moves.* A state S covers a state T when they agree on every code, the
ghost and the budgets (S's at least T's) and S has every rider T has (and maybe
more): every move from T is a move from S to a state that covers T's, with the
same verdict. A move that changes nothing but taking its rider or timer away
(the node's snapshot unchanged, no timer armed that was not, nothing sent,
nothing for the monitor) leads to a state its own state covers, one level
higher, so it is not taken: the verdict and the length of the shortest
counterexample are those of the full search, with far fewer states (the late
promise, the vote counted already, the answer heard already). A lost rider is
one never delivered, so loss is covered the same way and adds no state.

*Bounds.* Time is left out, so every armed timer may fire at any moment; what
keeps the space finite is a budget per kind of timer (``elections``,
``heartbeats``, ``retries`` and a traveller's ``patience``: firings in all, one
election by default) and per fault (``duplicate``, ``crashes``); a traveller's
think timer needs none, its list of requests being finite, and nights are
bounded by the requests (a night holds a request or closes a hole). The search
may also stop at ``max_states`` or ``max_depth`` (every interleaving of at most
that many moves, no further) and says so (never "safety holds").

:class:`JourneyWorld` plays a path again move by move with every event
recorded, for the counterexample's story and trace.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
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
    Executed,
    Invoke,
    JourneyCaravan,
    JourneyConfig,
    Learn,
    Prepare,
    Traveller,
    TravellerPlan,
)
from ..sim._journey import JOURNEY, monitor_trace
from ._search import search

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
    elections: int = 1  # election-timer firings in all (so banners up to round 1)
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
        faults = [_count(getattr(self, b), b) for b in BUDGETS if getattr(self, b)]
        return (
            f"a journey of {self.caravans} caravans (the nights its requests fill), "
            f"variant {self.variant}, travellers: {ops}; bounded: "
            + ", ".join(faults or ["no faults"])
        )


_WORDS = {
    "elections": "election",
    "heartbeats": "heartbeat",
    "retries": "leader's retry",
    "patience": "traveller's patience running out",
    "loss": "lost rider",
    "duplicate": "duplicated rider",
    "crashes": "collapse",
}


def _count(n: int, budget: str) -> str:
    """``2 elections``, ``1 collapse``: a budget as the story says it."""
    word = _WORDS[budget]
    if n == 1:
        return f"1 {word}"
    if budget == "patience":
        return f"{n} times a traveller's patience running out"
    return f"{n} {word}s" if not word.endswith("y") else f"{n} {word[:-1]}ies"


# What each broken variant needs to go wrong, given by default (and said so).
VARIANT_NEEDS: dict[str, dict[str, Any]] = {
    # a second election, unheard of by the first leader; the reader asks the first
    # caravan (the old leader), the writer the second, and reads after the write answered
    "stale-read": {
        "elections": 2,
        "operations": (("Ines", "get", "water", None), ("Omar", "put", "water", 1)),
    },
    "twice-executed": {"patience": 1},  # patience runs out: it asks again
    "skip-phase1": {"elections": 2},  # a second leader that skips phase 1
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
    stopped: str | None  # None: complete; "max-states" or "interrupted": cut short
    violation: JourneyViolation | None = None
    path: list[Action] = field(default_factory=list)


def explore_journey(
    options: JourneyOptions,
    *,
    max_states: int,
    max_depth: int | None = None,
    strategy: str = "bfs",
    progress: Callable[[int, int, int, float], None] | None = None,
    clock: Callable[[], float] = time.process_time,
) -> JourneyExploreResult:
    """Breadth-first over every state of the journey (the explorer's one search engine,
    ``explore._search``); the shortest path to a violation, played again in a
    :class:`JourneyWorld` for the violation's words."""
    start = clock()
    model = JourneyModel(options)
    result = search(
        model, strategy=strategy, max_states=max_states, max_depth=max_depth, progress=progress
    )
    seconds = clock() - start
    out = JourneyExploreResult(
        result.states, result.transitions, result.depth, seconds, result.stopped
    )
    if result.violation is not None:
        out.path = model.actions(result.path)
        world, _events = replay_journey(options, out.path)
        out.violation = world.violation
        assert out.violation is not None and out.violation.invariant == result.violation
    return out


def replay_journey(
    options: JourneyOptions, path: list[Action]
) -> tuple[JourneyWorld, list[dict[str, Any]]]:
    """Play ``path`` again with every event recorded (one move per tick from 1)."""
    events: list[dict[str, Any]] = []
    world = JourneyWorld.initial(options, events)
    for t, action in enumerate(path, start=1):
        world.play(action, t)
    return world, events


# -- the search's model: small integer states over memoised steps of the real caravans ---------

# A model action: ("deliver" | "drop" | "duplicate", rider number) or
# ("timer", node index, timer name) or ("crash" | "recover", caravan index).
ModelAction = tuple[Any, ...]
_Step = tuple[int, tuple[int, ...], int, bool]  # new code, riders sent, ops, covered
_OFF = 2  # a state is (ghost, budgets, code of each node..., rider numbers, sorted...)
_BUDGET_BITS = 6


def _unit(budget: str) -> int:
    return 1 << (_BUDGET_BITS * BUDGETS.index(budget))


class JourneyModel:
    """A small journey as the explorer's search engine sees it (``explore._search``).

    A state is a flat tuple of small integers: the ghost's number, the budgets left
    (bit fields), each node's *local code* (a caravan's ``snapshot()`` or its logbook
    while it lies collapsed, or a traveller's, with its armed timers), then the riders
    on the sand as a sorted tuple of rider numbers (a multiset). A node's step (a rider
    delivered, a timer fired, a collapse, a getting up) depends on its local code and
    the input alone, so it is computed once by driving the real object and memoised:
    its new code, the riders it sends and the monitor calls it makes (``ops``). The
    ghost (the monitor's state) is numbered too and its step memoised per (ghost, ops).
    """

    symmetric = False

    def __init__(self, options: JourneyOptions) -> None:
        self.options = options
        base = Config(caravans=options.names)
        self.config = JourneyConfig(base=base, variant=JOURNEY_VARIANTS[options.variant])
        self.names = options.names
        self.n = len(self.names)
        plans: dict[str, list[Command]] = {}
        for who, op, key, value in options.operations:
            plans.setdefault(who, []).append(
                Command(traveller=who, request=0, op=op, key=key, value=value)
            )
        self.plans = [
            TravellerPlan(name=who, operations=tuple(ops), first=index)
            for index, (who, ops) in enumerate(plans.items())
        ]
        self.nodes: tuple[str, ...] = (*self.names, *(p.name for p in self.plans))
        self.index = {name: i for i, name in enumerate(self.nodes)}
        self.codes: dict[Hashable, int] = {}
        self.locals: list[tuple[Hashable, tuple[str, ...]]] = []  # code -> (snapshot, timers)
        self.rider_ids: dict[Rider, int] = {}
        self.riders: list[Rider] = []
        self.rider_dst: list[int] = []
        self.ops_ids: dict[tuple[Any, ...], int] = {}
        self.ops: list[tuple[Any, ...]] = []
        self.ghost_ids: dict[Hashable, int] = {}
        self.ghosts: list[JourneyMonitor] = []
        self._steps: dict[tuple[int, int, Any], _Step] = {}
        self._ghost_steps: dict[tuple[int, int], tuple[int, str | None]] = {}
        self._timer_moves: dict[tuple[int, int], tuple[tuple[str, int], ...]] = {}
        self.initial = self._initial()

    # -- numbering ----------------------------------------------------------------

    def _code(self, snap: Hashable, timers: set[str] | tuple[str, ...]) -> int:
        key = (snap, tuple(sorted(timers)))
        code = self.codes.get(key)
        if code is None:
            code = self.codes[key] = len(self.locals)
            self.locals.append(key)
        return code

    def _rider(self, rider: Rider) -> int:
        rid = self.rider_ids.get(rider)
        if rid is None:
            rid = self.rider_ids[rider] = len(self.riders)
            self.riders.append(rider)
            self.rider_dst.append(self.index[rider[1]])
        return rid

    def _ops(self, ops: list[tuple[Any, ...]]) -> int:
        if not ops:
            return -1
        key = tuple(ops)
        oid = self.ops_ids.get(key)
        if oid is None:
            oid = self.ops_ids[key] = len(self.ops)
            self.ops.append(key)
        return oid

    def _ghost(self, monitor: JourneyMonitor) -> int:
        key = _monitor_key(monitor)
        gid = self.ghost_ids.get(key)
        if gid is None:
            gid = self.ghost_ids[key] = len(self.ghosts)
            self.ghosts.append(monitor)
        return gid

    def _initial(self) -> tuple[int, ...]:
        options = self.options
        budgets = sum(getattr(options, b) << (_BUDGET_BITS * i) for i, b in enumerate(BUDGETS))
        for b in BUDGETS:
            if getattr(options, b) >= 1 << _BUDGET_BITS:
                raise ValueError(f"at most {(1 << _BUDGET_BITS) - 1} {b}")
        monitor = JOURNEY.monitor(self.config, self.names)
        codes: list[int] = []
        sends: list[int] = []
        ops: list[tuple[Any, ...]] = []
        for name in self.names:
            caravan = JOURNEY.caravan(self.config, name, JOURNEY.empty_record())
            timers: set[str] = set()
            self._run(name, caravan, caravan.on_start(), timers, sends, ops)
            codes.append(self._code(caravan.snapshot(), timers))
        for plan in self.plans:
            traveller = Traveller(plan, self.names)
            timers = set()
            self._run(plan.name, traveller, traveller.on_start(), timers, sends, ops)
            codes.append(self._code(traveller.snapshot(), timers))
        ghost = self._ghost(monitor)
        if ops:
            ghost, _broken = self._ghost_step(ghost, self._ops(ops))
        return (ghost, budgets, *codes, *sorted(sends))

    # -- one node's step, through the real objects ----------------------------------

    def _run(
        self,
        name: str,
        node: Any,
        effects: list[Any],
        timers: set[str],
        sends: list[int],
        ops: list[tuple[Any, ...]],
    ) -> None:
        """Play ``effects`` of ``node`` as ``JourneyWorld._apply`` does, recording sends and
        the monitor's calls; a caravan's word to itself is delivered at once."""
        own: list[Any] = []
        for effect in effects:
            if isinstance(effect, Send):
                if effect.dst == name:
                    own.append(effect.msg)
                else:
                    sends.append(self._rider((name, effect.dst, effect.msg)))
            elif isinstance(effect, SetTimer):
                timers.add(effect.name)
            elif isinstance(effect, CancelTimer):
                timers.discard(effect.name)
            elif isinstance(effect, Persist):
                ops.append(("persist", name, effect.record))
            elif isinstance(effect, Learn):
                ops.append(("learn", name, effect.slot, effect.command))
            elif isinstance(effect, Executed):
                ops.append(("executed", name, effect.slot, effect.command, effect.again))
            elif isinstance(effect, Invoke):
                ops.append(("invoke", effect.command))
            elif isinstance(effect, Complete):
                ops.append(("complete", effect.command, effect.result))
        for msg in own:
            more = node.on_message(name, msg)
            if isinstance(msg, (Prepare, Accept)):
                ops.append(("promise", name, node.promised))
            self._run(name, node, more, timers, sends, ops)

    def _step(self, i: int, code: int, event: Any) -> _Step:
        """Node ``i`` in local ``code`` meets ``event``: (new code, riders sent, ops, covered).

        ``covered``: the step changes nothing but taking the rider or the timer away (the
        same snapshot, no timer armed that was not, nothing sent, nothing for the monitor),
        so the state it leads to is covered by the state it came from."""
        new, sends, oid = self._raw_step(i, code, event)
        before, after = self.locals[code], self.locals[new]
        covered = (
            not sends and oid < 0 and before[0] == after[0] and set(after[1]) <= set(before[1])
        )
        return new, sends, oid, covered

    def _raw_step(self, i: int, code: int, event: Any) -> tuple[int, tuple[int, ...], int]:
        name = self.nodes[i]
        snap, armed = self.locals[code]
        timers = set(armed)
        sends: list[int] = []
        ops: list[tuple[Any, ...]] = []
        down = i < self.n and isinstance(snap, tuple) and snap[0] == "down"
        if event == "crash":
            caravan = JOURNEY.restore(self.config, name, snap)
            new = self._code(("down", caravan.record), ())
            return new, (), -1
        if event == "recover":
            assert isinstance(snap, tuple)
            caravan = JOURNEY.caravan(self.config, name, snap[1])
            timers = set()
            self._run(name, caravan, caravan.on_start(), timers, sends, ops)
            return self._code(caravan.snapshot(), timers), tuple(sends), self._ops(ops)
        if down:  # a collapsed caravan hears nothing
            return code, (), -1
        node: Any
        if i < self.n:
            node = JOURNEY.restore(self.config, name, snap)
        else:
            node = Traveller.restore(snap, self.names)
        if isinstance(event, str):  # a timer
            timers.discard(event)
            effects = node.on_timer(event)
        else:
            src, _dst, msg = self.riders[event]
            effects = node.on_message(src, msg)
            if i < self.n and isinstance(msg, (Prepare, Accept)):
                ops.append(("promise", name, node.promised))
        self._run(name, node, effects, timers, sends, ops)
        return self._code(node.snapshot(), timers), tuple(sends), self._ops(ops)

    def _ghost_step(self, ghost: int, oid: int) -> tuple[int, str | None]:
        """The monitor's state ``ghost`` after the calls ``oid``: (new ghost, broken)."""
        key = (ghost, oid)
        done = self._ghost_steps.get(key)
        if done is not None:
            return done
        monitor = self.ghosts[ghost].copy()
        broken: str | None = None
        for op in self.ops[oid]:
            problem: Any = None
            kind = op[0]
            if kind == "promise":
                problem = monitor.on_promise(0, op[1], op[2])
            elif kind == "persist":
                problem = monitor.on_persist(0, op[1], op[2])
            elif kind == "learn":
                problem = monitor.on_learn(0, op[1], op[2], op[3])
            elif kind == "executed":
                problem = monitor.on_executed(0, op[1], op[2], op[3], op[4])
            elif kind == "invoke":
                monitor.on_invoke(op[1])
            else:
                monitor.on_complete(op[1], op[2])
                problem = _linearizability(monitor)
            if problem is not None and broken is None:
                broken = problem.invariant
        done = self._ghost_steps[key] = (self._ghost(monitor), broken)
        return done

    # -- the interface the search drives ---------------------------------------------

    def _timers_of(self, i: int, code: int) -> tuple[tuple[str, int], ...]:
        """The timers node ``i`` has armed in ``code``, each with the budget unit it spends."""
        key = (i, code)
        found = self._timer_moves.get(key)
        if found is None:
            found = tuple(
                (name, _unit(_TIMER_BUDGET[name]) if name in _TIMER_BUDGET else 0)
                for name in self.locals[code][1]
            )
            self._timer_moves[key] = found
        return found

    def successors(self, state: tuple[int, ...]) -> list[tuple[ModelAction, Any, str | None]]:
        out: list[tuple[ModelAction, Any, str | None]] = []
        ghost, budgets = state[0], state[1]
        end = _OFF + len(self.nodes)
        codes = state[_OFF:end]
        riders = state[end:]
        steps = self._steps
        ghost_step = self._ghost_step
        mask = (1 << _BUDGET_BITS) - 1
        duplicate = (budgets >> (_BUDGET_BITS * _DUPLICATE)) & mask
        previous = -1
        for j, rid in enumerate(riders):
            if rid == previous:
                continue
            previous = rid
            rest = riders[:j] + riders[j + 1 :]
            i = self.rider_dst[rid]
            code = codes[i]
            step = steps.get((i, code, rid))
            if step is None:
                step = steps[(i, code, rid)] = self._step(i, code, rid)
            new, sends, oid, covered = step
            if not covered:
                g, broken = (ghost, None) if oid < 0 else ghost_step(ghost, oid)
                flight = tuple(sorted(rest + sends)) if sends else rest
                out.append(
                    (
                        ("deliver", rid),
                        (g, budgets, *codes[:i], new, *codes[i + 1 :], *flight),
                        broken,
                    )
                )
            if duplicate:
                out.append(
                    (
                        ("duplicate", rid),
                        (ghost, budgets - _unit("duplicate"), *codes, *sorted((*riders, rid))),
                        None,
                    )
                )
        for i, code in enumerate(codes):
            for name, unit in self._timers_of(i, code):
                if unit and not budgets & (mask * unit):
                    continue
                key = (i, code, name)
                step = steps.get(key)
                if step is None:
                    step = steps[key] = self._step(i, code, name)
                new, sends, oid, covered = step
                if covered:
                    continue
                g, broken = (ghost, None) if oid < 0 else ghost_step(ghost, oid)
                flight = tuple(sorted(riders + sends)) if sends else riders
                out.append(
                    (
                        ("timer", i, name),
                        (g, budgets - unit, *codes[:i], new, *codes[i + 1 :], *flight),
                        broken,
                    )
                )
        crashes = (budgets >> (_BUDGET_BITS * _CRASHES)) & mask
        for i in range(self.n):
            code = codes[i]
            snap = self.locals[code][0]
            down = isinstance(snap, tuple) and snap[0] == "down"
            if down or crashes:
                event = "recover" if down else "crash"
                key = (i, code, event)
                step = steps.get(key)
                if step is None:
                    step = steps[key] = self._step(i, code, event)
                new, sends, oid, _covered = step
                g, broken = (ghost, None) if oid < 0 else ghost_step(ghost, oid)
                flight = tuple(sorted(riders + sends)) if sends else riders
                spent = 0 if down else _unit("crashes")
                out.append(
                    (
                        (event, i),
                        (g, budgets - spent, *codes[:i], new, *codes[i + 1 :], *flight),
                        broken,
                    )
                )
        return out

    def canonical(self, state: Any) -> tuple[Any, None]:
        return state, None

    def orbit_size(self, state: Any) -> int:
        return 1

    def world_action(self, action: ModelAction) -> Action:
        """A model action as :meth:`JourneyWorld.play` takes it (names, the rider itself)."""
        kind = action[0]
        if kind in ("deliver", "drop", "duplicate"):
            return (kind, *self.riders[action[1]])
        if kind == "timer":
            return ("timer", self.nodes[action[1]], action[2])
        return (kind, self.nodes[action[1]])

    def actions(self, path: list[Any]) -> list[Action]:
        """The moves between consecutive states of ``path``, as the world plays them."""
        out: list[Action] = []
        for state, target in itertools.pairwise(path):
            for action, nxt, _broken in self.successors(state):
                if nxt == target:
                    out.append(self.world_action(action))
                    break
            else:  # pragma: no cover
                raise LookupError("no move leads to the next state of the path")
        return out


_DUPLICATE = BUDGETS.index("duplicate")
_CRASHES = BUDGETS.index("crashes")


def _linearizability(monitor: JourneyMonitor) -> JourneyViolation | None:
    from ..check._linearizable import check_events

    result = check_events(history_events(monitor_trace(monitor)), max_states=100_000)
    if result.linearizable is not False:
        return None
    op = result.first_unplaceable
    what = "" if op is None else f": {op.process}'s {op.f} of {op.key!r} cannot be placed"
    return JourneyViolation("linearizable", 0, f"the travellers' history is not linearizable{what}")
