"""The time machine: one run of one scenario, walkable backwards and forwards.

Theory of operation
-------------------
A *position* counts the simulator steps taken since the start (one step is one
rider arriving, one timer firing or one act of the desert, with everything the
caravans do about it; the last step may only close the run). Everything
computed so far is kept up to the *frontier*: the trace lines of every event,
and for every position the trace seq, the clock and the time of the last real
event. The simulation itself is captured every ``SNAPSHOT_EVERY`` positions.

Going to a position behind the frontier restores the nearest snapshot at or
before it and re-executes the few steps in between: the simulator is
deterministic (one seeded generator, integer time), so the replayed steps are
exactly the recorded ones and nothing needs storing per step but four
integers. Going past the frontier runs the simulation live and records. The
known future is kept when travelling back, so ``/back`` then ``/step`` shows
the same events again; a new act of the desert starts a new machine (see the
session), which is how the old future is discarded.

Recording costs little, in time and in memory. The simulator tells its
commonest events straight into the record as their fields (``_record_into``:
no event dictionary, no JSON, not even a line: :class:`TraceLines` packs them
as numbers and makes the lines when they are read); the other events reach a
:class:`~desert_paxos.sim.SimTraceWriter` that writes their lines into the same
record. The per-position integers live in lists, and when each rider set out
is read from them (every rider named in a step set out at that step's tick).
A replayed step is told to nobody (the simulator then builds no line at all)
and its trace seq is set from the record; with ``verify`` on, the replayed
lines are written and compared with the record.
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_right, insort
from collections.abc import Callable, Sequence
from typing import IO, Any, cast, overload

from ..scenario import Scenario
from ..sim import SimTraceWriter, Simulation
from ..sim._events import header_event
from ..sim._simulator import SCRIPT
from ._lines import TraceLines
from ._snapshot import SimSnapshot, capture, next_event_time, rescripted, restore

__all__ = ["SNAPSHOT_EVERY", "ReplayMismatch", "SentTimes", "TimeMachine", "encode_event"]

SNAPSHOT_EVERY = 256

# Byte for byte what the trace writer writes, without building an encoder per event.
encode_event = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


class ReplayMismatch(AssertionError):
    """A replayed event differs from the recorded one: the machine cannot be trusted."""


class TimeMachine:
    """A recorded, replayable run of ``scenario`` (its own seed and until)."""

    verify = False  # check every replayed event against the record (tests turn it on)

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.lines = TraceLines()  # trace line of event seq i+1, up to the frontier
        self.sent_at = SentTimes(self)  # when rider id i+1 set out
        # Arrays, not lists: the garbage collector walks every item of a list it tracks, and
        # at a million events four lists of positions made each full collection (and the
        # young collection after a fork's copies) take hundreds of milliseconds of a /goto.
        self.seq_after = array("q")  # per position: trace seq of the last event told
        self.t_after = array("q")  # per position: the simulator's clock
        self.last_event_t = array("q")  # per position: tick of the last real event (-1: none)
        self.ids_after = array("q")  # per position: riders named so far
        self.snapshots: dict[int, SimSnapshot] = {}
        self._snapshot_positions: list[int] = []
        self.position = 0
        self._writer = _writer_into(self.lines.append)  # writes other lines into the record
        self.sim = Simulation(scenario, observers=[self._writer])
        self._recording = _record_into(self.sim, self.lines)
        self.header: dict[str, Any] = header_event(
            scenario, self.sim.seed, self.sim.until, self.sim.config
        )
        self.sim.start()
        self.lines.drop_first()  # the header line: kept as ``header``, not as a line
        self._note_position()
        self._snapshot(0)

    # -- recording ------------------------------------------------------------

    def _replay_observers(self, position: int) -> list[Any]:
        """Nobody, or with ``verify`` a writer comparing each replayed line with the record."""
        if not self.verify:
            return []
        told = [self.seq_after[position]]
        lines = self.lines

        def check(text: str) -> None:
            told[0] = seq = told[0] + 1
            recorded = lines[seq - 1] if seq <= len(lines) else None
            if recorded != text[:-1]:
                raise ReplayMismatch(f"replay differs at seq {seq}: {recorded}")

        return [_writer_into(check)]

    def _note_position(self, processed: bool = False) -> None:
        sim = self.sim
        self.seq_after.append(sim.event_seq)
        self.t_after.append(sim.now)
        last = self.last_event_t[-1] if self.last_event_t else -1
        self.last_event_t.append(sim.now if processed else last)
        self.ids_after.append(sim.next_msg_id)
        self.lines.seal()

    def _snapshot(self, position: int) -> None:
        self.snapshots[position] = capture(self.sim)
        insort(self._snapshot_positions, position)

    # -- a scenario with one more act ---------------------------------------------

    def forked(self, scenario: Scenario, shared: int) -> TimeMachine:
        """The machine of ``scenario`` at position ``shared``, reusing this one's past.

        ``scenario`` differs from this machine's only in script items (hand-made
        acts) that happen after position ``shared``. The recorded past is kept and
        the snapshots are given the new script (see ``rescripted``), so acting by
        hand costs no replay from t=0. The few steps from the last snapshot to
        ``shared`` are replayed with every event checked against the record;
        :class:`ReplayMismatch` means the caller should rebuild from scratch.
        """
        headers: list[dict[str, Any]] = []
        fresh = Simulation(scenario, observers=[headers.append])
        fresh.start()  # the new header, and the new script as the simulator lays it out
        fork = TimeMachine.__new__(TimeMachine)
        script = list(fresh.script)
        pending = {e[3]: (e[0], e[1]) for e in fresh.heap if e[2] == SCRIPT}
        fork.scenario = scenario
        fork.header = headers[0]
        fork.lines = self.lines.prefix(self.seq_after[shared])
        fork.sent_at = SentTimes(fork)
        fork.seq_after = self.seq_after[: shared + 1]
        fork.t_after = self.t_after[: shared + 1]
        fork.last_event_t = self.last_event_t[: shared + 1]
        fork.ids_after = self.ids_after[: shared + 1]
        fork._snapshot_positions = [p for p in self._snapshot_positions if p <= shared]
        fork.snapshots = {}
        for p in fork._snapshot_positions:
            patched = rescripted(self.snapshots[p], script, pending)
            if patched is None:
                raise ReplayMismatch(f"the script already run differs at position {p}")
            fork.snapshots[p] = patched
        fork._writer = _writer_into(fork.lines.append)
        fork._recording = None
        nearest = fork._snapshot_positions[-1]
        fork.sim = restore(fork.snapshots[nearest], scenario, [])
        fork.position = nearest
        fork.verify = True
        try:
            fork.goto(shared)
        finally:
            del fork.verify  # back to the class default
        fork.sim.observers = [fork._writer]
        fork._recording = _record_into(fork.sim, fork.lines)
        return fork

    # -- where we are ---------------------------------------------------------

    @property
    def frontier(self) -> int:
        return len(self.seq_after) - 1

    @property
    def ended(self) -> bool:
        return self.sim.end_reason is not None

    @property
    def now(self) -> int:
        return self.t_after[self.position]

    @property
    def seq(self) -> int:
        return self.seq_after[self.position]

    def last_event_time(self) -> int:
        return self.last_event_t[self.position]

    def next_event_time(self) -> int | None:
        return next_event_time(self.sim)

    def position_at_time(self, t: int) -> int:
        """The last known position whose clock is at most ``t``."""
        return max(0, bisect_right(self.t_after, t) - 1)

    # -- moving ---------------------------------------------------------------

    def step(self) -> bool:
        """One step forward; False when the run is over and nothing happened."""
        sim = self.sim
        if sim.end_reason is not None:
            return False
        position = self.position
        if position < len(self.seq_after) - 1:  # the known future: replay it, told to nobody
            sim.observers = self._replay_observers(position)
            recording = self._recording if sim.observers else None
            if recording is not None:  # a verified replay is told to the checking writer
                del sim._tell
            try:
                sim.step()
            finally:
                sim.observers = [self._writer]
                if recording is not None:
                    sim._tell = recording  # type: ignore[method-assign]
            self.position = position = position + 1
            sim.event_seq = self.seq_after[position]
            if position % SNAPSHOT_EVERY == 0 and position not in self.snapshots:
                self._snapshot(position)
            return True
        before = sim.events_processed
        sim.step()
        self.position = position = position + 1
        # _note_position, inlined: this is the recording's hot path.
        self.seq_after.append(sim.event_seq)
        now = sim.now
        self.t_after.append(now)
        last_event_t = self.last_event_t
        last_event_t.append(now if sim.events_processed != before else last_event_t[-1])
        self.ids_after.append(sim.next_msg_id)
        self.lines.seal()
        if position % SNAPSHOT_EVERY == 0:
            self._snapshot(position)
        return True

    def repair(self) -> None:
        """Forget whatever a step that failed half-way recorded, and rebuild the simulation.

        A step that raised may have told some of its events: they are cut from
        the record, and the simulation is restored from a snapshot at the
        current position, so the machine is exactly as it was after the last
        whole step.
        """
        frontier = self.frontier
        self.lines.truncate(self.seq_after[frontier])
        self.goto(min(self.position, frontier), reload=True)

    def goto(self, position: int, *, reload: bool = False) -> None:
        """Be at ``position`` (clamped at 0; past the frontier the run goes on live).

        ``reload`` rebuilds the simulation from a snapshot even when already
        there: the way back to a known-good state after an unexpected error.
        """
        position = max(0, position)
        if position > self.frontier:
            self.goto(self.frontier, reload=reload)
            while self.position < position and self.step():
                pass
            return
        if position == self.position and not reload:
            return
        index = bisect_right(self._snapshot_positions, position) - 1
        nearest = self._snapshot_positions[index]
        if reload or position < self.position or nearest > self.position:
            self.sim = restore(self.snapshots[nearest], self.scenario, [self._writer])
            self._recording = _record_into(self.sim, self.lines)
            self.position = nearest
        while self.position < position:
            self.step()

    def run_until(
        self,
        t: int,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Take every step whose event happens at tick ``t`` or before; returns the steps taken.

        ``should_stop`` is asked before every step (Ctrl-C pauses cleanly between
        steps, never inside one); ``max_steps`` bounds the work of one call.
        """
        until = self.sim.until
        taken = 0
        while not self.ended:
            if (should_stop is not None and should_stop()) or (
                max_steps is not None and taken >= max_steps
            ):
                break
            upcoming = self.next_event_time()
            if upcoming is None or upcoming > until:
                if upcoming is None or t >= until:
                    self.step()  # closes the run, as the simulator would
                    taken += 1
                break
            if upcoming > t:
                break
            self.step()
            taken += 1
        return taken

    def goto_time(
        self,
        t: int,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> bool:
        """The state once every event up to tick ``t`` has happened, and none after.

        Within the known past and future this replays at most ``SNAPSHOT_EVERY``
        steps; beyond the frontier the run goes on live, for at most ``max_steps``
        steps and while ``should_stop`` says nothing. False when it stopped short of ``t``.
        """
        position = self.position_at_time(t)
        if position < self.frontier or self.sim_ended_at_frontier():
            self.goto(position)
            return True
        self.goto(self.frontier)
        self.run_until(t, should_stop=should_stop, max_steps=max_steps)
        upcoming = self.next_event_time()
        return self.ended or upcoming is None or upcoming > min(t, self.sim.until)

    def sim_ended_at_frontier(self) -> bool:
        if self.position == self.frontier:
            return self.ended
        snapshot_position = self._snapshot_positions[-1]
        if snapshot_position == self.frontier:
            return self.snapshots[snapshot_position].end_reason is not None
        return False

    # -- reading the record ---------------------------------------------------

    def lines_between(self, first_seq: int, last_seq: int) -> Sequence[str]:
        """Trace lines of the events with ``first_seq < seq <= last_seq`` (read lazily)."""
        return self.lines[first_seq:last_seq]

    def count_between(self, first_seq: int, last_seq: int, without: tuple[str, ...]) -> int:
        """How many events with ``first_seq < seq <= last_seq`` have lines holding none of
        ``without`` (texts such as ``'"kind": "timer_set"'``, one per line at most)."""
        return self.lines.count_without(first_seq, last_seq, without)


class _Into:
    """A stream whose ``write`` is any function of one line (a list's ``append``: no Python call)."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write


def _writer_into(write: Callable[[str], object]) -> SimTraceWriter:
    """The simulator's fast trace writer, writing each line (with its newline) to ``write``."""
    return SimTraceWriter(cast(IO[str], _Into(write)))


def _record_into(sim: Simulation, lines: TraceLines) -> Callable[..., None] | None:
    """Have ``sim`` tell its commonest events straight into ``lines``, as their fields.

    ``Simulation._tell`` would hand them to the trace writer, which formats a line
    at once; here the fields wait in the record's tail (and become numbers when
    it is sealed, lines when read: see ``TraceLines``). The other events still
    reach the writer as dictionaries, and its lines go to the same tail, in
    order. An engine without the fast trace path tells every event as a dictionary
    (nothing is installed: None); otherwise the ``_tell`` installed is returned.
    """
    if not sim.engine.fast_trace:
        return None
    add = lines.append

    def tell(kind: int, *fields: Any) -> None:
        sim.event_seq = seq = sim.event_seq + 1
        add((kind, seq, sim.now, fields))

    sim._tell = tell  # type: ignore[method-assign]
    return tell


class SentTimes(Sequence[int]):
    """When each rider set out (``sent_at[i]`` for rider id ``i + 1``), read from the record.

    Every rider named during a step set out at that step's tick, so the first
    position whose count of named riders passes ``i`` tells the tick.
    """

    __slots__ = ("_tm",)

    def __init__(self, tm: TimeMachine) -> None:
        self._tm = tm

    def __len__(self) -> int:
        ids = self._tm.ids_after
        return ids[-1] if ids else 0

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("no rider with that id was sent yet")
        tm = self._tm
        return tm.t_after[bisect_right(tm.ids_after, index)]
