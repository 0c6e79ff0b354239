"""The standard workload written the way a SimPy user would write it, twice.

Theory of operation
-------------------
Both models drive the real protocol core (``desert_paxos.protocol.Caravan``) and
apply its effects with the simulator's rules: the same delay, loss and
duplicate draws in the same order from one ``random.Random(seed)``, a caravan's
word to itself delivered at once and never lost, messages judged at arrival
(collapsed receiver, sandstorm between the two), timers with generation
numbers, the acceptor's record on a "disk" that survives a crash, and the same
:class:`~desert_paxos.check.SafetyMonitor` calls. Only the event engine differs:

* :class:`LeanSimPyDesert`: one ``Timeout`` per message, timer and script item,
  delivered by a callback, the fastest idiomatic SimPy style. SimPy orders
  events by (time, priority, insertion), like our heap's (time, seq), so this
  model processes events in exactly our order and must produce exactly our
  counts for every seed.
* :class:`IdiomaticSimPyDesert`: a process and a ``Store`` inbox per caravan, a
  process per rider carrying a message and per timer, and a desert process
  walking the script. Handing an item through a ``Store`` adds a scheduling hop,
  so when two items reach the same caravan in the same tick the second one is
  handled after other same-tick events that ours handles later; the random
  draws then come in another order and single rounds differ. Its totals are
  statistically the same (the benchmark reports both), not equal.

The models stop a round as ours does: when nothing is in flight, the script is
done and every living caravan knows the decision (or no quorum is alive), when
an invariant breaks, or after ``until``.

The work that does not depend on the event engine is written as carefully as
in our simulator, so the comparison measures the engines: effects dispatched by
exact type, ``expovariate`` spelled out, and the link table built once per
scenario (as our simulator caches it), not once per round.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from math import log
from typing import Any

import simpy
from simpy.core import StopSimulation

from desert_paxos.check import SafetyMonitor, Violation
from desert_paxos.protocol import (
    EMPTY_RECORD,
    Accept,
    AcceptorRecord,
    CancelTimer,
    Caravan,
    Decide,
    Effect,
    Message,
    Persist,
    Prepare,
    Send,
    SetTimer,
)
from desert_paxos.scenario import Scenario
from workload import Tally

__all__ = ["IdiomaticSimPyDesert", "LeanSimPyDesert", "run_idiomatic", "run_lean"]

# Per (src, dst): exponential?, low, span, rate, loss, duplicate.
Links = dict[tuple[str, str], tuple[bool, int, int, float, float, float]]


class _Desert:
    """What both models share: the caravans, the rules of the sand, the bookkeeping."""

    def __init__(self, scenario: Scenario, seed: int, links: Links | None = None) -> None:
        self.env = simpy.Environment()
        self.rng = random.Random(seed)
        self.config = scenario.config()
        self.until = scenario.until
        self.links = _links(scenario) if links is None else links
        self.caravans: dict[str, Caravan | None] = {}
        self.disk: dict[str, AcceptorRecord] = {}
        self.timer_gen: dict[tuple[str, str], int] = {}
        self.armed: set[tuple[str, str]] = set()
        self.groups: dict[str, int] | None = None
        self.in_flight = 0
        self.script_pending = 0
        self.monitor = SafetyMonitor(self.config.phase2_quorum)
        self.violation: Violation | None = None
        self.delivered = self.sent = self.lost = 0
        self.script: list[tuple[int, str, Any]] = _script(scenario)

    # -- what the engine calls ------------------------------------------------

    def arrive(self, src: str, dst: str, msg: Message, lost: bool) -> None:
        self.in_flight -= 1
        caravan = self.caravans[dst]
        groups = self.groups
        if lost or caravan is None or (groups and src != dst and groups[src] != groups[dst]):
            self.lost += 1
            return
        self.delivered += 1
        effects = caravan.on_message(src, msg)
        if isinstance(msg, Prepare | Accept):
            self._check(self.monitor.on_promise(self.env.now, dst, caravan.acceptor.promised))
        self.apply(dst, effects)

    def fire(self, node: str, name: str, gen: int) -> bool:
        """A timer rings; False when it was stale (then it is no event at all)."""
        caravan = self.caravans[node]
        if self.timer_gen[(node, name)] != gen or caravan is None:
            return False
        self.armed.discard((node, name))
        self.apply(node, caravan.on_timer(name))
        return True

    def act(self, kind: str, payload: Any) -> None:
        self.script_pending -= 1
        match kind:
            case "propose":
                node, value = payload
                caravan = self.caravans[node]
                if caravan is not None:
                    self.monitor.on_propose(value)
                    self.apply(node, caravan.propose(value))
            case "sandstorm":
                self.groups = _groups(self.config.caravans, payload)
            case "calm":
                self.groups = None
            case "crash":
                self.caravans[payload] = None
                for key in [k for k in self.armed if k[0] == payload]:
                    self.timer_gen[key] += 1
                    self.armed.discard(key)
            case "recover":
                if self.caravans[payload] is not None:
                    return  # already on its feet: nothing happens
                caravan = Caravan(self.config, payload, self.disk[payload])
                self.caravans[payload] = caravan
                self._check(
                    self.monitor.on_promise(self.env.now, payload, caravan.acceptor.promised)
                )
                self.apply(payload, caravan.on_start())

    def finished(self) -> bool:
        """After an event: has the round ended (violation, or nothing left to change)?"""
        if self.violation is not None:
            return True
        if self.in_flight or self.script_pending:
            return False
        live = [c for c in self.caravans.values() if c is not None]
        knowing = sum(1 for c in live if c.learner.decided is not None)
        needed = max(self.config.phase1_quorum, self.config.phase2_quorum)
        return knowing == len(live) or (knowing == 0 and len(live) < needed)

    # -- effects ----------------------------------------------------------------

    def apply(self, node: str, effects: list[Effect]) -> None:
        for effect in effects:
            if type(effect) is Send:
                self.send(node, effect.dst, effect.msg, True)
            elif type(effect) is SetTimer:
                low, high = effect.low, effect.high
                delay = low if high <= low else low + int(self.rng.random() * (high - low + 1))
                key = (node, effect.name)
                gen = self.timer_gen.get(key, 0) + 1
                self.timer_gen[key] = gen
                self.armed.add(key)
                self.schedule_timer(delay, node, effect.name, gen)
            elif type(effect) is CancelTimer:
                key = (node, effect.name)
                if key in self.armed:
                    self.armed.discard(key)
                    self.timer_gen[key] += 1
            elif type(effect) is Persist:
                self.disk[node] = effect.record
                self._check(self.monitor.on_persist(self.env.now, node, effect.record))
            elif type(effect) is Decide:
                self._check(self.monitor.on_decide(self.env.now, node, effect.value))

    def send(self, src: str, dst: str, msg: Message, may_duplicate: bool) -> None:
        self.sent += 1
        self.in_flight += 1
        if src == dst:
            self.schedule_message(0, src, dst, msg, False)
            return
        rng = self.rng
        exponential, low, span, rate, loss, duplicate = self.links[(src, dst)]
        if exponential:
            delay = 1 + int(-log(1.0 - rng.random()) / rate)  # rng.expovariate(rate)
        else:
            delay = low + int(rng.random() * span)
        lost = loss > 0.0 and rng.random() < loss
        twice = may_duplicate and duplicate > 0.0 and rng.random() < duplicate
        self.schedule_message(delay, src, dst, msg, lost)
        if twice:
            self.send(src, dst, msg, False)

    def _check(self, problem: Violation | None) -> None:
        if problem is not None and self.violation is None:
            self.violation = problem

    # -- the engine ---------------------------------------------------------------

    def schedule_message(self, delay: int, src: str, dst: str, msg: Message, lost: bool) -> None:
        raise NotImplementedError

    def schedule_timer(self, delay: int, node: str, name: str, gen: int) -> None:
        raise NotImplementedError

    def start(self) -> None:
        for name in self.config.caravans:
            self.disk[name] = EMPTY_RECORD
            caravan = Caravan(self.config, name)
            self.caravans[name] = caravan
            self.apply(name, caravan.on_start())

    def run(self) -> bool:
        """Run the round; True when a value was decided."""
        raise NotImplementedError

    def decided(self) -> bool:
        return bool(self.monitor.decisions)


class LeanSimPyDesert(_Desert):
    """One ``Timeout`` per message, timer and script item, handled by a callback."""

    def schedule_message(self, delay: int, src: str, dst: str, msg: Message, lost: bool) -> None:
        self.env.timeout(delay, (src, dst, msg, lost)).callbacks.append(self._on_arrival)

    def schedule_timer(self, delay: int, node: str, name: str, gen: int) -> None:
        self.env.timeout(delay, (node, name, gen)).callbacks.append(self._on_timer)

    def _on_arrival(self, event: simpy.Event) -> None:
        self.arrive(*event.value)
        if self.finished():
            raise StopSimulation(None)

    def _on_timer(self, event: simpy.Event) -> None:
        if self.fire(*event.value) and self.finished():
            raise StopSimulation(None)

    def _on_script(self, event: simpy.Event) -> None:
        self.act(*event.value)
        if self.finished():
            raise StopSimulation(None)

    def run(self) -> bool:
        env = self.env
        for at, kind, payload in self.script:
            self.script_pending += 1
            env.timeout(at, (kind, payload)).callbacks.append(self._on_script)
        self.start()
        env.run(until=self.until + 1)
        return self.decided()


class IdiomaticSimPyDesert(_Desert):
    """A process and a ``Store`` inbox per caravan; riders, timers and the desert are processes."""

    def __init__(self, scenario: Scenario, seed: int, links: Links | None = None) -> None:
        super().__init__(scenario, seed, links)
        self.done = self.env.event()
        self.inboxes = {name: simpy.Store(self.env) for name in self.config.caravans}

    def schedule_message(self, delay: int, src: str, dst: str, msg: Message, lost: bool) -> None:
        self.env.process(self._rider(delay, dst, ("message", src, dst, msg, lost)))

    def schedule_timer(self, delay: int, node: str, name: str, gen: int) -> None:
        self.env.process(self._rider(delay, node, ("timer", node, name, gen)))

    def _rider(self, delay: int, dst: str, item: tuple[Any, ...]) -> Generator[simpy.Event]:
        yield self.env.timeout(delay)
        self.inboxes[dst].put(item)

    def _caravan(self, name: str) -> Generator[simpy.Event, Any]:
        inbox = self.inboxes[name]
        while True:
            item = yield inbox.get()
            if item[0] == "message":
                self.arrive(item[1], item[2], item[3], item[4])
            elif not self.fire(item[1], item[2], item[3]):
                continue
            self._maybe_done()

    def _desert(self) -> Generator[simpy.Event]:
        for at, kind, payload in self.script:
            yield self.env.timeout(at - self.env.now)
            self.act(kind, payload)
            self._maybe_done()
        yield self.env.timeout(self.until + 1 - self.env.now)
        self._maybe_done(force=True)

    def _maybe_done(self, force: bool = False) -> None:
        if not self.done.triggered and (force or self.finished()):
            self.done.succeed()

    def run(self) -> bool:
        self.script_pending = len(self.script)
        for name in self.config.caravans:
            self.env.process(self._caravan(name))
        self.start()
        self.env.process(self._desert())
        self.env.run(until=self.done)
        return self.decided()


def _links(scenario: Scenario) -> Links:
    """Per (src, dst): exponential?, low, span, rate, loss, duplicate (as the simulator reads them)."""
    net = scenario.network
    out: Links = {}
    for src in scenario.caravans:
        for dst in scenario.caravans:
            delay, loss, dup = net.delay, net.loss, net.duplicate
            for link in net.links:
                if link.src == src and link.dst == dst:
                    delay = link.delay or delay
                    loss = net.loss if link.loss is None else link.loss
                    dup = net.duplicate if link.duplicate is None else link.duplicate
            exponential = delay.kind == "exponential"
            rate = 1.0 / delay.mean if exponential else 0.0
            out[(src, dst)] = (exponential, delay.low, delay.high - delay.low + 1, rate, loss, dup)
    return out


def _script(scenario: Scenario) -> list[tuple[int, str, Any]]:
    """Timeline first, then proposals, stably sorted by time: the simulator's order."""
    items: list[tuple[int, str, Any]] = []
    for event in scenario.timeline:
        payload = event.groups if event.kind == "sandstorm" else event.caravan
        items.append((event.at, event.kind, payload))
    items.extend((p.at, "propose", (p.caravan, p.campsite)) for p in scenario.proposals)
    items.sort(key=lambda item: item[0])
    return items


def _groups(names: tuple[str, ...], groups: tuple[tuple[str, ...], ...]) -> dict[str, int]:
    named = {name for group in groups for name in group}
    full = [tuple(g) for g in groups if g]
    rest = tuple(name for name in names if name not in named)
    if rest:
        full.append(rest)
    return {name: i for i, group in enumerate(full) for name in group}


def _run(model: type[_Desert], scenario: Scenario, rounds: int) -> Tally:
    deliveries = decided = sent = lost = 0
    links = _links(scenario)
    for seed in range(rounds):
        desert = model(scenario, seed, links)
        decided += desert.run()
        deliveries += desert.delivered
        sent += desert.sent
        lost += desert.lost
    return Tally(rounds, deliveries, decided, sent, lost)


def run_lean(scenario: Scenario, rounds: int) -> Tally:
    return _run(LeanSimPyDesert, scenario, rounds)


def run_idiomatic(scenario: Scenario, rounds: int) -> Tally:
    return _run(IdiomaticSimPyDesert, scenario, rounds)
