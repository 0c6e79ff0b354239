"""Capturing and restoring a whole :class:`~desert_paxos.sim.Simulation`.

Theory of operation
-------------------
Time travel needs the simulator's complete state as a value: the clock, the
heap of pending arrivals, timers and desert acts, the counters that name
messages and number trace events, every caravan (through the protocol's own
``Caravan.snapshot``/``Caravan.restore`` pair), the disks, the timers'
generations, the sandstorm, the statistics, the safety monitor and the state
of the one random generator. :func:`capture` copies all of that out;
:func:`restore` builds a fresh ``Simulation`` for the same scenario and puts
the copy back, so stepping the restored simulation replays exactly the events
the original would have produced.

Heap entries are tuples of immutable values (messages are frozen), so copying
the heap list is enough; the links table is replaced, never mutated, when the
network changes, so it is shared. Nothing here changes the simulator: it reads
and writes the attributes the simulator documents.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from ..check import SafetyMonitor, Violation
from ..protocol import AcceptorRecord
from ..scenario import Network, Scenario
from ..sim import Observer, Simulation, Stats
from ..sim._simulator import SCRIPT, TIMER

__all__ = ["SimSnapshot", "capture", "next_event_time", "rescripted", "restore"]


@dataclass(frozen=True, slots=True)
class SimSnapshot:
    now: int
    heap: tuple[tuple[Any, ...], ...]
    heap_seq: int
    event_seq: int
    next_msg_id: int
    caravans: tuple[tuple[str, Hashable | None], ...]
    disk: tuple[tuple[str, AcceptorRecord], ...]
    timer_gen: tuple[tuple[tuple[str, str], int], ...]
    armed: tuple[tuple[tuple[str, str], int], ...]
    groups: tuple[tuple[str, int], ...] | None
    in_flight: int
    script: tuple[Any, ...]
    script_pending: int
    stats: tuple[int, int, int, tuple[tuple[str, int], ...]]
    monitor: SafetyMonitor  # a private copy: never handed out without copying again
    violation: Violation | None
    end_reason: str | None
    decided_at: int | None
    events_processed: int
    rng_state: tuple[Any, ...]  # (version, the Mersenne Twister's words as array("I"), gauss)
    network: Network
    links: Any


def capture(sim: Simulation) -> SimSnapshot:
    """Everything ``sim`` knows, as a value that later changes to ``sim`` cannot touch."""
    stats = sim.stats
    return SimSnapshot(
        now=sim.now,
        heap=tuple(sim.heap),
        heap_seq=sim._seq,
        event_seq=sim.event_seq,
        next_msg_id=sim.next_msg_id,
        caravans=tuple(
            (name, None if c is None else c.snapshot()) for name, c in sim.caravans.items()
        ),
        disk=tuple(sim.disk.items()),
        timer_gen=tuple(sim.timer_gen.items()),
        armed=tuple(sim.armed.items()),
        groups=None if sim.groups is None else tuple(sim.groups.items()),
        in_flight=sim.in_flight,
        script=tuple(sim.script),
        script_pending=sim.script_pending,
        stats=(stats.sent, stats.delivered, stats.duplicated, tuple(stats.dropped.items())),
        monitor=sim.monitor.copy(),
        violation=sim.violation,
        end_reason=sim.end_reason,
        decided_at=sim.decided_at,
        events_processed=sim.events_processed,
        rng_state=_compact_rng(sim.rng.getstate()),
        network=sim.network,
        links=sim._links,
    )


def _compact_rng(state: tuple[Any, ...]) -> tuple[Any, ...]:
    """The generator's state with its 625 words in an array (2.5 KB, not 25 KB of ints)."""
    version, words, gauss = state
    return (version, array("I", words), gauss)


def restore(
    snap: SimSnapshot, scenario: Scenario, observers: list[Observer] | None = None
) -> Simulation:
    """A new simulation of ``scenario`` in exactly the captured state."""
    sim = Simulation(scenario, observers=observers)
    sim._started = True  # the header and the caravans' first timers are in the past
    sim.now = snap.now
    sim.heap = list(snap.heap)  # already a valid heap: it was one when captured
    sim._seq = snap.heap_seq
    sim.event_seq = snap.event_seq
    sim.next_msg_id = snap.next_msg_id
    config, engine = sim.protocol_config, sim.engine  # either protocol (sim._engine)
    sim.caravans = {
        name: None if state is None else engine.restore(config, name, state)
        for name, state in snap.caravans
    }
    sim.disk = dict(snap.disk)
    sim.timer_gen = dict(snap.timer_gen)
    sim.armed = dict(snap.armed)
    sim.groups = None if snap.groups is None else dict(snap.groups)
    sim.in_flight = snap.in_flight
    sim.script = list(snap.script)
    sim.script_pending = snap.script_pending
    sent, delivered, duplicated, dropped = snap.stats
    sim.stats = Stats(sent=sent, delivered=delivered, duplicated=duplicated, dropped=dict(dropped))
    sim.monitor = snap.monitor.copy()
    sim.violation = snap.violation
    sim.end_reason = snap.end_reason
    sim.decided_at = snap.decided_at
    sim.events_processed = snap.events_processed
    version, words, gauss = snap.rng_state
    sim.rng.setstate((version, tuple(words), gauss))
    sim.network = snap.network
    sim._links = snap.links
    return sim


def rescripted(
    snap: SimSnapshot, script: list[Any], pending: dict[int, tuple[int, int]]
) -> SimSnapshot | None:
    """``snap`` as it would be had the run's script been ``script`` from the start.

    ``script`` and ``pending`` (script index -> (tick, heap seq)) come from a
    fresh simulation of the new scenario. The simulator lays the whole script on
    the heap first, so a longer or shorter script shifts the seq of every later
    push by the difference, and the script items already run are the same first
    ones. Valid only while every item that differs has not happened yet; None
    when the items already run differ.
    """
    done = len(snap.script) - snap.script_pending
    if tuple(script[:done]) != snap.script[:done]:
        return None
    offset = len(script) - len(snap.script)
    heap = [
        (t, seq + offset, kind, a, b, c, d)
        for t, seq, kind, a, b, c, d in snap.heap
        if kind != SCRIPT
    ]
    for index in range(done, len(script)):
        at, seq = pending[index]
        heap.append((at, seq, SCRIPT, index, None, None, None))
    heapq.heapify(heap)
    return replace(
        snap,
        heap=tuple(heap),
        heap_seq=snap.heap_seq + offset,
        script=tuple(script),
        script_pending=len(script) - done,
    )


def next_event_time(sim: Simulation) -> int | None:
    """When the next real event happens (None: nothing is pending).

    Timers that were cancelled or re-armed leave stale entries on the heap; the
    simulator skips them silently when they pop. They are discarded here first,
    which changes nothing the run will do, so the answer is the tick of the next
    entry that is an event.
    """
    heap = sim.heap
    while heap:
        entry = heap[0]
        # A stale entry past ``until`` still ends the run ("until", not "exhausted").
        if entry[2] == TIMER and entry[0] <= sim.until:
            node, name, gen = entry[3], entry[4], entry[5]
            if sim.timer_gen.get((node, name)) != gen or sim.caravans.get(node) is None:
                heapq.heappop(heap)
                continue
        t: int = entry[0]
        return t
    return None
