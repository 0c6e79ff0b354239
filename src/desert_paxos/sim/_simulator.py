"""The deterministic desert: one event heap, one random generator, integer time.

Theory of operation
-------------------
The simulator is an interpreter for the protocol core. It keeps a heap of plain
tuples ``(time, seq, kind, a, b, c, d)``: ``seq`` is a counter that breaks ties,
so the heap never compares anything but two integers, and events at the same
tick happen in the order they were scheduled. Popping an entry advances time,
hands the message or timer to the caravan, and applies the effects the caravan
returns, in order:

* ``Send``: draws the rider's delay (and whether the rider is lost, and whether
  a second copy sets out) from the one ``random.Random(seed)`` of the run, and
  schedules the arrival. Reordering follows from the delays. A caravan's
  messages to itself are delivered at once and never lost.
* ``SetTimer``/``CancelTimer``: timers carry a generation number; re-arming or
  cancelling bumps it, so a stale heap entry is skipped when it pops.
* ``Persist``: writes the acceptor's record to this caravan's "disk", the one
  thing a crash does not wipe.
* ``Decide``/``Adopt``: recorded and checked.

The desert's own script (proposals, sandstorms, calm, crashes and recoveries)
is pushed onto the same heap at the start. A message is judged at *arrival*: a
sandstorm between sender and receiver, or a collapsed receiver, loses it.

Observers (the trace writer, the narrator, the REPL) receive one dictionary per
event; with no observer the hot loop builds none. Safety is checked by a
:class:`~desert_paxos.check.SafetyMonitor` at every event that can change it.

Speed (see docs/performance.md): ``run`` and ``step`` share one loop,
``_advance``, which keeps what it touches in locals and handles deliveries
inline; link rules are tuples cached per network; the commonest effects are
dispatched by exact type. The commonest events go out through ``_tell``, which
hands a :class:`SimTraceWriter` their fields (it writes the line directly) and
builds a dictionary only for other observers. None of this may change a trace:
``tests/test_sim_golden.py`` holds traces written before any of it.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from math import log
from typing import Any

from ..check import SafetyMonitor, Violation
from ..protocol import (
    AcceptorRecord,
    Adopt,
    CancelTimer,
    Caravan,
    Config,
    Decide,
    Effect,
    Message,
    Persist,
    Send,
    SetTimer,
)
from ..scenario import Delay, Network, NetworkChange, Scenario, TimelineEvent
from ._engine import Engine, engine_for
from ._events import (
    BUILDERS,
    DECIDE,
    DELIVERY,
    DROP,
    PERSIST,
    SEND,
    TIMER_CANCEL,
    TIMER_FIRE,
    TIMER_SET,
    SimTraceWriter,
    adopt_event,
)

__all__ = ["Observer", "RunResult", "Simulation", "Stats"]

Observer = Callable[[dict[str, Any]], None]

# Heap entry kinds.
DELIVER, LOSE, TIMER, SCRIPT = 0, 1, 2, 3


@dataclass(slots=True)
class Stats:
    sent: int = 0
    delivered: int = 0
    duplicated: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return sum(self.dropped.values())


@dataclass(frozen=True, slots=True)
class RunResult:
    scenario: str
    seed: int
    end_time: int
    end_reason: str  # "quiet" | "until" | "violation" | "exhausted" | "budget"
    decisions: dict[str, str]  # caravans that know the decision at the end
    decided_value: str | None
    decided_at: int | None
    violation: Violation | None
    stats: Stats
    events: int
    alive: dict[str, bool]  # which caravans are on their feet at the end


# How riders travel one link: (exponential?, low, span, rate, loss, duplicate).
# A plain tuple, so the hot loop unpacks a link in one step.
_Link = tuple[bool, int, int, float, float, float]


@lru_cache(maxsize=64)
def link_table(network: Network, names: tuple[str, ...]) -> dict[tuple[str, str], _Link]:
    """Every (src, dst) link's rules. Cached: a sweep of seeds shares one table.

    The table is never changed in place (a network change builds a new one), so
    sharing it between runs and with the REPL's snapshots is safe.
    """
    default = _link_rules(network.delay, network.loss, network.duplicate)
    links: dict[tuple[str, str], _Link] = {}
    for src in names:
        for dst in names:
            links[(src, dst)] = default
    # Overrides apply in order: a later one for the same link replaces loss and
    # duplication but keeps an earlier one's delay when it names none.
    delays: dict[tuple[str, str], Delay] = {}
    for link in network.links:
        key = (link.src, link.dst)
        if key in links:
            delays[key] = delay = link.delay or delays.get(key, network.delay)
            links[key] = _link_rules(
                delay,
                network.loss if link.loss is None else link.loss,
                network.duplicate if link.duplicate is None else link.duplicate,
            )
    return links


def _link_rules(delay: Delay, loss: float, duplicate: float) -> _Link:
    if delay.kind == "exponential":
        return (True, 0, 0, 1.0 / delay.mean, loss, duplicate)
    return (False, delay.low, delay.high - delay.low + 1, 0.0, loss, duplicate)


def _by_tick_then_order(item: tuple[int, int, str, Any]) -> tuple[int, int]:
    return item[0], item[1]


class Simulation:
    """One run of one scenario with one seed. Drive it with :meth:`run` or :meth:`step`."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        until: int | None = None,
        observers: list[Observer] | None = None,
        max_events: int | None = None,
    ) -> None:
        if max_events is not None and max_events < 1:
            raise ValueError(f"max_events must be 1 or more, got {max_events}")
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.until = scenario.until if until is None else until
        self.rng = random.Random(self.seed)
        # The protocol the caravans speak (see ``_engine``): single-decree Paxos or the journey.
        self.engine: Engine = engine_for(scenario)
        self.protocol_config: Any = self.engine.configure(scenario)
        # Single-decree Paxos configures with the scenario's Config itself: made once.
        config = self.protocol_config
        self.config: Config = config if type(config) is Config else scenario.config()
        self.names: tuple[str, ...] = self.config.caravans
        # Every node riders travel between: the caravans, then the journey's travellers.
        self.nodes: tuple[str, ...] = self.names + self.engine.travellers(scenario)
        self.observers: list[Observer] = list(observers or [])
        self.now = 0
        self.heap: list[tuple[int, int, int, Any, Any, Any, Any]] = []
        self._seq = 0  # heap tie-breaker
        self.event_seq = 0  # trace seq of the last event told
        self.next_msg_id = 0
        # The caravans (None: collapsed), then any other nodes the engine adds (travellers).
        self.caravans: dict[str, Caravan | None] = {}
        self.disk: dict[str, AcceptorRecord] = {}
        self.timer_gen: dict[tuple[str, str], int] = {}
        self.armed: dict[tuple[str, str], int] = {}  # live timers -> when they fire
        self.groups: dict[str, int] | None = None
        self.in_flight = 0
        self.script: list[tuple[str, TimelineEvent | tuple[str, str]]] = []
        self.script_pending = 0
        self.stats = Stats()
        self.monitor: SafetyMonitor = self.engine.monitor(self.protocol_config, self.names)
        self.violation: Violation | None = None
        self.end_reason: str | None = None
        self.decided_at: int | None = None
        self.events_processed = 0
        self.max_events = max_events  # the budget: past it the run ends with reason "budget"
        self.network: Network = scenario.network  # changed mid-run by "network" events
        self._links = self._build_links()
        self._started = False
        if not self.engine.fast_trace:  # the hand-written trace lines are single-decree's
            self._tell = self._tell_dicts  # type: ignore[method-assign]

    # -- setup ----------------------------------------------------------------

    def _build_links(self) -> dict[tuple[str, str], _Link]:
        return link_table(self.network, self.nodes)

    def start(self) -> None:
        """Wake every caravan and lay the desert's script on the heap (idempotent)."""
        if self._started:
            return
        self._started = True
        if self.observers:
            self._emit_header()
        items: list[tuple[int, int, str, TimelineEvent | tuple[str, str]]] = [
            (event.at, i, "desert", event) for i, event in enumerate(self.scenario.timeline)
        ]
        offset = len(items)
        for i, p in enumerate(self.scenario.proposals):
            items.append((p.at, offset + i, "propose", (p.caravan, p.campsite)))
        items.sort(key=_by_tick_then_order)
        # schedule_script for each, inlined (a swarm lays out a script per seed)
        script, heap, seq = self.script, self.heap, self._seq
        for at, _, kind, payload in items:
            script.append((kind, payload))
            seq += 1
            heapq.heappush(heap, (at, seq, SCRIPT, len(script) - 1, None, None, None))
        self._seq = seq
        self.script_pending += len(items)
        engine = self.engine
        for name in self.names:
            self.disk[name] = record = engine.empty_record()
            caravan = engine.caravan(self.protocol_config, name, record)
            self.caravans[name] = caravan
            self._apply(name, caravan.on_start())
        for name, node in engine.others(self).items():
            self.caravans[name] = node
            self._apply(name, node.on_start())

    def schedule_script(self, at: int, kind: str, payload: TimelineEvent | tuple[str, str]) -> None:
        """Queue a desert event or proposal; same-tick items run in the order queued."""
        self.script.append((kind, payload))
        self.script_pending += 1
        self._push(at, SCRIPT, len(self.script) - 1, None, None, None)

    def _push(self, t: int, kind: int, a: Any, b: Any, c: Any, d: Any) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (t, self._seq, kind, a, b, c, d))

    # -- observation ------------------------------------------------------------

    def _emit(self, event: dict[str, Any]) -> None:
        self.event_seq += 1
        event["seq"] = self.event_seq
        event["t"] = self.now
        for observer in self.observers:
            observer(event)

    def _tell(self, kind: int, *fields: Any) -> None:
        """Tell one of the commonest events (see ``_events``) to every observer.

        A :class:`SimTraceWriter` gets the fields and writes its line; the
        dictionary is built only if another observer wants it.
        """
        self.event_seq = seq = self.event_seq + 1
        t = self.now
        event: dict[str, Any] | None = None
        for observer in self.observers:
            if type(observer) is SimTraceWriter:
                observer.writers[kind](seq, t, *fields)
                continue
            if event is None:
                event = BUILDERS[kind](*fields)
                event["seq"] = seq
                event["t"] = t
            observer(event)

    def _tell_dicts(self, kind: int, *fields: Any) -> None:
        """``_tell`` for an engine without hand-written lines: one dictionary for everyone."""
        self._emit(self.engine.event(kind, fields))

    def _emit_header(self) -> None:
        header: dict[str, Any] | None = None
        for observer in self.observers:
            if type(observer) is SimTraceWriter and self.engine.fast_trace:
                observer.header(self.scenario, self.seed, self.until, self.config)
                continue
            if header is None:
                header = self.engine.header(self)
            observer(header)

    # -- running ----------------------------------------------------------------

    def run(self) -> RunResult:
        """Run until the desert is quiet, ``until`` passes, an invariant breaks, or
        ``max_events`` events have happened (the budget: end reason "budget")."""
        if self.end_reason is None:
            self.start()
            if self.max_events is None:
                self._advance(-1)
            elif self._within_budget() and self._advance(self.max_events - self.events_processed):
                self._finish("budget")  # the budget was spent and the run had not ended
        return self.result()

    def step(self) -> bool:
        """Process one heap entry. Returns False once the run has ended."""
        if self.end_reason is not None:
            return False
        if not self._started:
            self.start()
        if not self._within_budget():
            return False
        return self._advance(1)

    def _within_budget(self) -> bool:
        """True while events may still happen; at the budget, the run ends ("budget")."""
        if self.max_events is not None and self.events_processed >= self.max_events:
            self._finish("budget")
            return False
        return True

    def _advance(self, budget: int) -> bool:
        """The hot loop: process events until ``budget`` of them happened (-1: no limit).

        Returns False once the run has ended. ``run`` and ``step`` share this one
        loop, so stepping and running can never disagree; everything it touches
        per event is held in a local, since a local costs less than an attribute.
        """
        heap = self.heap
        pop = heapq.heappop
        movers = self.engine.promise_movers  # messages after which a promise may have moved
        until = self.until
        caravans = self.caravans
        stats = self.stats
        monitor = self.monitor
        apply = self._apply
        while heap:
            entry = pop(heap)
            t, _, kind, a, b, c, d = entry
            if t > until:
                heapq.heappush(heap, entry)
                self._finish("until")
                return False
            self.now = t
            if kind == DELIVER:
                # A rider arrives: the commonest event, so its handling is inlined.
                self.in_flight -= 1
                msg_id, src, dst, msg = a, b, c, d
                caravan = caravans.get(dst)
                groups = self.groups
                if caravan is None:
                    self._drop(msg_id, src, dst, msg, "crashed")
                elif groups is not None and src != dst and groups[src] != groups[dst]:
                    self._drop(msg_id, src, dst, msg, "sandstorm")
                else:
                    stats.delivered += 1
                    if self.observers:
                        self._tell(DELIVERY, msg_id, src, dst, msg)
                    effects = caravan.on_message(src, msg)
                    if isinstance(msg, movers):
                        problem = monitor.on_promise(t, dst, caravan.acceptor.promised)
                        if problem is not None and self.violation is None:
                            self._violate(problem)
                    if effects:
                        apply(dst, effects)
            elif kind == LOSE:
                self.in_flight -= 1
                self._drop(a, b, c, d, "loss")
            elif kind == TIMER:
                if not self._fire(a, b, c):
                    continue  # a stale timer is not an event
            else:
                self.script_pending -= 1
                self._run_script(a)
            self.events_processed += 1
            if self.violation is not None:
                if self.observers:
                    v = self.violation
                    self._emit(
                        {
                            "kind": "violation",
                            "invariant": v.invariant,
                            "rule": v.rule,
                            "message": v.message,
                        }
                    )
                self._finish("violation")
                return False
            if self.in_flight == 0 and self._script_done() and self._settled():
                self._finish("quiet")
                return False
            budget -= 1
            if budget == 0:
                return True
        self._finish("exhausted")
        return False

    def _script_done(self) -> bool:
        """Nothing but teacher's notes is left in the script: a note never holds a run open.

        The script runs in its own order (``start`` lays it out sorted by tick), so
        the items still due are the last ``script_pending`` ones.
        """
        pending = self.script_pending
        if pending == 0:
            return True
        return all(
            isinstance(item, TimelineEvent) and item.kind == "note"
            for _, item in self.script[len(self.script) - pending :]
        )

    def _settled(self) -> bool:
        """Nothing can change any more (the engine says when: see ``_engine``)."""
        return self.engine.settled(self)

    def _finish(self, reason: str) -> None:
        if self.end_reason is not None:
            return
        self.end_reason = reason
        if reason == "until":
            self.now = self.until
        self.engine.finish(self)
        if self.observers:
            self._emit(self.end_summary())

    def end_summary(self) -> dict[str, Any]:
        """The fields of the closing ``end`` event (also used when nothing observes the run)."""
        result = self.result()
        return {
            "kind": "end",
            "t": self.now,
            "reason": self.end_reason or "running",
            "decided": result.decided_value,
            "decided_at": result.decided_at,
            "knowing": sorted(result.decisions),
            "sent": self.stats.sent,
            "delivered": self.stats.delivered,
            "dropped": dict(sorted(self.stats.dropped.items())),
            "duplicated": self.stats.duplicated,
            **self.engine.end_fields(self),
        }

    def result(self) -> RunResult:
        decisions = self.engine.decisions(self)
        values = list(self.monitor.decisions.values())
        return RunResult(
            scenario=self.scenario.name,
            seed=self.seed,
            end_time=self.now,
            end_reason=self.end_reason or "running",
            decisions=decisions,
            decided_value=values[0] if values else None,
            decided_at=self.decided_at,
            violation=self.violation,
            stats=self.stats,
            events=self.events_processed,
            alive={name: self.caravans.get(name) is not None for name in self.names},
        )

    # -- events -----------------------------------------------------------------

    def _drop(self, msg_id: int, src: str, dst: str, msg: Message, reason: str) -> None:
        dropped = self.stats.dropped
        dropped[reason] = dropped.get(reason, 0) + 1
        if self.observers:
            self._tell(DROP, msg_id, src, dst, msg, reason)

    def _fire(self, node: str, name: str, gen: int) -> bool:
        if self.timer_gen.get((node, name)) != gen:
            return False
        caravan = self.caravans.get(node)
        if caravan is None:
            return False
        del self.armed[(node, name)]
        if self.observers:
            self._tell(TIMER_FIRE, node, name)
        effects = caravan.on_timer(name)
        if effects:
            self._apply(node, effects)
        return True

    def _run_script(self, index: int) -> None:
        kind, payload = self.script[index]
        if kind == "propose":
            assert isinstance(payload, tuple)
            self.propose(payload[0], payload[1])
            return
        assert isinstance(payload, TimelineEvent)
        match payload.kind:
            case "sandstorm":
                self.sandstorm(payload.groups)
            case "calm":
                self.calm()
            case "crash":
                assert payload.caravan is not None
                self.crash(payload.caravan)
            case "recover":
                assert payload.caravan is not None
                self.recover(payload.caravan)
            case "network":
                assert payload.network is not None
                self.change_network(payload.network)
            case "drop":
                assert payload.rider is not None
                self.drop_rider(payload.rider)
            case "note":
                if self.observers:  # a teacher's note: told, and nothing else changes
                    self._emit({"kind": "note", "text": payload.text})
            case "request":  # a journey's traveller asks one more (see _journey)
                self.engine.script(self, payload)

    # -- the desert's actions (also used by the REPL) ---------------------------

    def propose(self, node: str, value: str) -> None:
        caravan = self.caravans.get(node)
        if caravan is None:
            self._note(node, f"{node} has collapsed and cannot propose {value}")
            return
        self.monitor.on_propose(value)
        if self.observers:
            self._emit({"kind": "propose", "node": node, "value": value})
        self._apply(node, caravan.propose(value))

    def sandstorm(self, groups: tuple[tuple[str, ...], ...]) -> None:
        named = {name for group in groups for name in group}
        rest = tuple(name for name in self.nodes if name not in named)
        full = [tuple(g) for g in groups if g]
        if rest:
            full.append(rest)
        self.groups = {name: i for i, group in enumerate(full) for name in group}
        if self.observers:
            self._emit({"kind": "sandstorm", "groups": [list(g) for g in full]})

    def calm(self) -> None:
        self.groups = None
        if self.observers:
            self._emit({"kind": "calm"})

    def crash(self, node: str) -> None:
        if self.caravans.get(node) is None:
            self._note(node, f"{node} has already collapsed")
            return
        self.caravans[node] = None
        for key in [k for k in self.armed if k[0] == node]:
            self.timer_gen[key] += 1
            del self.armed[key]
        if self.observers:
            self._emit({"kind": "crash", "node": node})

    def recover(self, node: str) -> None:
        if self.caravans.get(node) is not None:
            self._note(node, f"{node} is already on its feet")
            return
        caravan = self.engine.caravan(self.protocol_config, node, self.disk[node])
        self.caravans[node] = caravan
        if self.observers:
            record = self.disk[node]
            self._emit({"kind": "recover", "node": node, **self.engine.record_fields(record)})
        problem = self.monitor.on_promise(self.now, node, caravan.acceptor.promised)
        if problem is not None and self.violation is None:
            self._violate(problem)
        self._apply(node, caravan.on_start())

    def change_network(self, change: NetworkChange) -> None:
        """Riders sent from now on follow the changed delay, loss and duplication."""
        self.network = change.applied_to(self.network)
        self._links = self._build_links()  # a new dict: snapshots may share the old one
        if self.observers:
            event: dict[str, Any] = {"kind": "network", **self.network.to_json()}
            event.pop("links", None)
            self._emit(event)

    def drop_rider(self, msg_id: int) -> None:
        """Lose the rider ``msg_id`` now, if it is still on the sand (reason "hand")."""
        heap = self.heap
        for i, entry in enumerate(heap):
            if entry[2] in (DELIVER, LOSE) and entry[3] == msg_id:
                heap[i] = heap[-1]
                heap.pop()
                heapq.heapify(heap)
                self.in_flight -= 1
                self._drop(msg_id, entry[4], entry[5], entry[6], "hand")
                return
        self._note("", f"rider #{msg_id} is not on the sand any more")

    def _note(self, node: str, text: str) -> None:
        if self.observers:
            self._emit({"kind": "note", "node": node, "text": text})

    # -- effects ----------------------------------------------------------------

    def _apply(self, node: str, effects: list[Effect]) -> None:
        send = self._send
        for effect in effects:
            # The common effects by exact type first (cheaper than the match's
            # isinstance chain); everything else, subclasses included, below.
            if type(effect) is Send:
                send(node, effect.dst, effect.msg, None)
            elif type(effect) is SetTimer:
                self._set_timer(node, effect.name, effect.low, effect.high)
            elif type(effect) is Persist:
                self._persist(node, effect.record)
            else:
                self._apply_other(node, effect)

    def _apply_other(self, node: str, effect: Effect) -> None:
        match effect:
            case Send(dst=dst, msg=msg):
                self._send(node, dst, msg, None)
            case SetTimer(name=name, low=low, high=high):
                self._set_timer(node, name, low, high)
            case CancelTimer(name=name):
                key = (node, name)
                if key in self.armed:
                    del self.armed[key]
                    self.timer_gen[key] += 1
                    if self.observers:
                        self._tell(TIMER_CANCEL, node, name)
            case Persist(record=record):
                self._persist(node, record)
            case Decide(ballot=ballot, value=value):
                if self.decided_at is None:
                    self.decided_at = self.now
                if self.observers:
                    self._tell(DECIDE, node, value, ballot)
                problem = self.monitor.on_decide(self.now, node, value)
                if problem is not None and self.violation is None:
                    self._violate(problem)
            case Adopt():
                if self.observers:
                    self._emit(adopt_event(node, effect))
            case _:
                self.engine.apply(self, node, effect)

    def _persist(self, node: str, record: AcceptorRecord) -> None:
        self.disk[node] = record
        if self.observers:
            self._tell(PERSIST, node, record)
        monitor = self.monitor
        problem = monitor.on_persist(self.now, node, record)
        if monitor.just_chosen is not None and self.observers:
            self._emit(self.engine.chosen_event(monitor.just_chosen))
        if problem is not None and self.violation is None:
            self._violate(problem)

    def _send(self, src: str, dst: str, msg: Message, copy_of: int | None) -> None:
        self.next_msg_id = msg_id = self.next_msg_id + 1
        self.stats.sent += 1
        if src == dst:
            arrive, lost = self.now, False  # a caravan's word to itself needs no rider
            duplicate = False
        else:
            exponential, low, span, rate, loss, dup = self._links[(src, dst)]
            rng = self.rng
            if exponential:
                # rng.expovariate(rate), spelled out: the same draw and arithmetic
                # without a Python-level call, and independent of the stdlib's version.
                arrive = self.now + 1 + int(-log(1.0 - rng.random()) / rate)
            else:
                arrive = self.now + low + int(rng.random() * span)
            lost = loss > 0.0 and rng.random() < loss
            duplicate = copy_of is None and dup > 0.0 and rng.random() < dup
        if self.observers:
            self._tell(SEND, msg_id, src, dst, msg, arrive, copy_of)
        self.in_flight += 1
        self._seq = seq = self._seq + 1
        heapq.heappush(self.heap, (arrive, seq, LOSE if lost else DELIVER, msg_id, src, dst, msg))
        if duplicate:
            self.stats.duplicated += 1
            self._send(src, dst, msg, msg_id)

    def _set_timer(self, node: str, name: str, low: int, high: int) -> None:
        delay = low if high <= low else low + int(self.rng.random() * (high - low + 1))
        key = (node, name)
        gen = self.timer_gen.get(key, 0) + 1
        self.timer_gen[key] = gen
        fire = self.now + delay
        self.armed[key] = fire
        if self.observers:
            self._tell(TIMER_SET, node, name, fire)
        self._push(fire, TIMER, node, name, gen, None)

    def _violate(self, violation: Violation) -> None:
        # Told once the event's effects are all applied, so the trace reads in causal order.
        self.violation = violation
