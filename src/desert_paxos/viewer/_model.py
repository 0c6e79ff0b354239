"""The run as a picture needs it: riders, storms, outages and states, read from trace events.

Theory of operation
-------------------
Both pictures of a run, the HTML page and the GIF, are drawn from this one
reading of the trace, never from the simulator. :func:`build_model` walks the
events once, in order:

* every ``send`` opens a :class:`Rider` (one per message copy); the matching
  ``deliver`` or ``drop`` (same ``id``) closes it. A rider with neither is still
  on the sand when the trace stops (a run cut short, a REPL session), and is
  drawn up to its ``arrive`` time.
* ``sandstorm``/``calm`` become :class:`Storm` periods, ``crash``/``recover``
  become :class:`Outage` periods of one caravan.
* :class:`StateFold` keeps what each caravan knows (alive, promised, accepted,
  decided) and the model records a snapshot at every event that changes it, so
  "the state at event k" is a binary search, not a replay.
* The lessons the pictures point at: every :class:`Majority` (a proposer's
  phase-1 quorum, read from the promise riders it had received when it sent
  its first accept rider for that banner, and which of its members were also
  in an earlier phase-2 quorum, told by a ``chosen`` event), every
  :class:`Chosen` moment, and every teacher's note.

The walk is :class:`ModelBuilder`, which reads one event at a time and can
draw the model of what it has read so far at any moment: ``desert-paxos serve``
feeds it a live session's newest events instead of re-reading the whole trace
at every step, and cuts it back (:meth:`ModelBuilder.truncate`) when the session
forks, undoing the discarded events rather than reading the kept ones again.

Unknown kinds and fields are ignored, so a newer trace still opens.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from typing import Any

from ..narrate import fmt_ballot

__all__ = [
    "CaravanState",
    "Chosen",
    "Majority",
    "ModelBuilder",
    "Outage",
    "Rider",
    "RunModel",
    "StateFold",
    "Storm",
    "build_model",
    "is_teacher_note",
    "promise_text",
    "vote_text",
]

# Event kinds drawn as a glyph on a caravan's lane in the space-time diagram.
LANE_MARKS = ("propose", "adopt", "decide", "crash", "recover", "timer", "note")


@dataclass(frozen=True, slots=True)
class Rider:
    """One copy of one message, from its ``send`` to its ``deliver`` or ``drop``."""

    id: int
    src: str
    dst: str
    type: str
    sent_at: int
    end_at: int
    fate: str  # "delivered" | "dropped" | "riding"
    reason: str | None  # why a dropped rider was lost
    copy_of: int | None
    send_index: int
    fate_index: int | None

    def position(self, t: float) -> float:
        """How far along its path (0..1) the rider is at time ``t``."""
        span = self.end_at - self.sent_at
        if span <= 0:
            return 1.0
        return min(1.0, max(0.0, (t - self.sent_at) / span))


@dataclass(frozen=True, slots=True)
class Storm:
    start: int
    end: int
    groups: tuple[tuple[str, ...], ...]
    raging: bool = False  # still raging when the trace stops (``end`` is its last event's time)


@dataclass(frozen=True, slots=True)
class Outage:
    caravan: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CaravanState:
    alive: bool = True
    promised: Any = None  # a ballot as in the trace: [round, "Name"] or None
    accepted: Any = None  # {"ballot", "value"} or None
    decided: str | None = None
    decided_ballot: Any = None


def promise_text(promised: Any) -> str:
    """A caravan's promise in the glossary's words: ``banner (2, Taziri)``."""
    return f"banner {fmt_ballot(promised)}" if promised is not None else "none yet"


def vote_text(accepted: Any) -> str:
    """A caravan's vote in the glossary's words: ``Oasis of Siwa under (1, Aghilas)``."""
    if isinstance(accepted, dict):
        return f"{accepted.get('value')} under {fmt_ballot(accepted.get('ballot'))}"
    return "none yet"


def is_teacher_note(event: dict[str, Any]) -> bool:
    """A note from the scenario's author (the simulator's own notes name a caravan)."""
    return event.get("kind") == "note" and "node" not in event


@dataclass(frozen=True, slots=True)
class Chosen:
    """The moment a campsite is chosen: a majority has written its vote under one banner."""

    index: int
    value: str
    ballot: Any
    by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Majority:
    """A proposer's phase-1 quorum: the promises it held when it began phase 2.

    ``index`` is the delivery of the last of those promises; the pictures keep
    the majority highlighted until ``until``, the event that ends the ride of
    the first accept riders it sent. ``overlap`` names the members that were
    also voters of the latest earlier ``chosen`` moment under a lower banner
    (``chosen``, its event index): their promises carry that vote, the warning
    that makes the proposer carry the campsite forward.
    """

    proposer: str
    ballot: Any
    index: int
    until: int
    members: tuple[str, ...]
    riders: tuple[int, ...]
    chosen: int | None
    overlap: tuple[str, ...]


def _ballot_key(ballot: Any) -> tuple[int, str] | None:
    if isinstance(ballot, list) and len(ballot) == 2 and isinstance(ballot[0], int):
        return (ballot[0], str(ballot[1]))
    return None


class StateFold:
    """What every caravan knows, updated one trace event at a time."""

    def __init__(self, caravans: list[str]) -> None:
        self.states: dict[str, CaravanState] = {name: CaravanState() for name in caravans}

    def apply(self, event: dict[str, Any]) -> str | None:
        """Fold in ``event``; return the caravan whose state changed, if one did."""
        node = event.get("node")
        if not isinstance(node, str) or node not in self.states:
            return None
        before = self.states[node]
        match event.get("kind"):
            case "persist":
                after = replace(
                    before, promised=event.get("promised"), accepted=event.get("accepted")
                )
            case "decide":
                after = replace(
                    before, decided=str(event.get("value")), decided_ballot=event.get("ballot")
                )
            case "crash":
                after = replace(before, alive=False)
            case "recover":
                # A caravan back on its feet keeps only its logbook: what it learned is gone.
                after = CaravanState(
                    alive=True, promised=event.get("promised"), accepted=event.get("accepted")
                )
            case _:
                return None
        if after == before:
            return None
        self.states[node] = after
        return node


@dataclass
class RunModel:
    header: dict[str, Any]
    events: list[dict[str, Any]]
    caravans: list[str]
    times: list[int]
    end_time: int
    riders: list[Rider]
    storms: list[Storm]
    outages: list[Outage]
    # Per caravan: event indexes where its state changed, and the state after each.
    state_marks: dict[str, list[int]] = field(default_factory=dict)
    state_values: dict[str, list[CaravanState]] = field(default_factory=dict)
    violations: list[int] = field(default_factory=list)
    majorities: list[Majority] = field(default_factory=list)
    chosen: list[Chosen] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)  # teacher's notes, by event index

    def cursor_at(self, t: float) -> int:
        """The index of the last event at or before time ``t`` (-1 before the first)."""
        return bisect.bisect_right(self.times, t) - 1

    def state_after(self, index: int) -> dict[str, CaravanState]:
        """Every caravan's state once events ``0..index`` have happened."""
        out: dict[str, CaravanState] = {}
        for name in self.caravans:
            marks = self.state_marks.get(name, [])
            at = bisect.bisect_right(marks, index) - 1
            out[name] = self.state_values[name][at] if at >= 0 else CaravanState()
        return out

    def storm_at(self, t: float) -> Storm | None:
        for storm in self.storms:
            # A storm still raging when the trace stops covers its last tick too.
            if storm.start <= t < storm.end or storm.start <= t == storm.end == self.end_time:
                return storm
        return None

    def riding_at(self, t: float) -> list[Rider]:
        """Riders on the sand at time ``t`` (sent, not yet arrived or lost)."""
        return [r for r in self.riders if r.src != r.dst and r.sent_at <= t < r.end_at]


def build_model(header: dict[str, Any], events: list[dict[str, Any]]) -> RunModel:
    """Read a trace (its header and events) into the pieces both pictures draw."""
    builder = ModelBuilder(header)
    builder.extend(events)
    return builder.model()


class ModelBuilder:
    """:func:`build_model`, one event at a time: a growing trace is read once, not per look.

    ``extend`` reads more events (a live session's newest); ``model`` is the
    picture of everything read so far, as :func:`build_model` would draw it from
    the same events (riders still on the sand, an open storm or outage are
    closed at the last event's time, without disturbing what is read next).
    """

    def __init__(self, header: dict[str, Any]) -> None:
        self.header = header
        self._start()

    def _start(self) -> None:
        header = self.header
        self.events: list[dict[str, Any]] = []
        self.caravans = [str(c) for c in header.get("caravans") or []]
        self._open_riders: dict[int, tuple[dict[str, Any], int]] = {}
        self._closed: dict[int, Rider] = {}
        self._storms: list[Storm] = []
        self._storm_open: tuple[int, tuple[tuple[str, ...], ...]] | None = None
        self._outages: list[Outage] = []
        self._down_since: dict[str, int] = {}
        self._fold = StateFold(self.caravans)
        self._state_marks: dict[str, list[int]] = {name: [] for name in self.caravans}
        self._state_values: dict[str, list[CaravanState]] = {name: [] for name in self.caravans}
        self._violations: list[int] = []
        self._lessons = _Lessons()
        self._times: list[int] = []
        # For truncate: where each name was first met, and the events storms and outages come from.
        self._named_at: list[int] = []
        self._storm_events: list[int] = []
        self._outage_events: list[int] = []

    def _name(self, name: str) -> None:
        # A trace without a caravan list still names its caravans, in order of appearance.
        self._named_at.append(len(self.events))
        self.caravans.append(name)
        self._fold.states[name] = CaravanState()
        self._state_marks[name] = []
        self._state_values[name] = []

    def extend(self, events: list[dict[str, Any]]) -> None:
        known = self._state_marks
        for event in events:
            for key in ("node", "src", "dst"):
                name = event.get(key)
                if isinstance(name, str) and name not in known:
                    self._name(name)
            self._read(len(self.events), event)
            self.events.append(event)

    def truncate(self, count: int) -> None:
        """Forget every event after the first ``count`` (a live session's future, discarded).

        Undone piece by piece, not read again from the start: what each piece holds
        carries the index of the event it came from (riders close in order, a state
        snapshot, a promise, a chosen moment...), and the few events storms and
        outages come from are read again. The model is then the one
        :func:`build_model` draws from the first ``count`` events.
        """
        count = max(0, count)
        if count >= len(self.events):
            return
        events = self.events
        del events[count:]
        del self._times[count:]
        # Names first met in the discarded events.
        while self._named_at and self._named_at[-1] >= count:
            self._named_at.pop()
            name = self.caravans.pop()
            del self._fold.states[name], self._state_marks[name], self._state_values[name]
        # Riders: those sent since are gone; those that arrived or were lost since ride again.
        for msg_id, (_send, send_index) in list(self._open_riders.items()):
            if send_index >= count:
                del self._open_riders[msg_id]
        for msg_id, rider in list(self._closed.items()):
            if rider.fate_index is not None and rider.fate_index >= count:
                del self._closed[msg_id]
                if rider.send_index < count:
                    self._open_riders[msg_id] = (events[rider.send_index], rider.send_index)
        # Each caravan's state: its last snapshot before the cut (or where it started).
        for name, marks in self._state_marks.items():
            keep = bisect.bisect_left(marks, count)
            del marks[keep:]
            values = self._state_values[name]
            del values[keep:]
            self._fold.states[name] = values[-1] if values else CaravanState()
        del self._violations[bisect.bisect_left(self._violations, count) :]
        self._lessons.truncate(count)
        # Storms and outages: their few events read again.
        storm_events = self._storm_events[: bisect.bisect_left(self._storm_events, count)]
        outage_events = self._outage_events[: bisect.bisect_left(self._outage_events, count)]
        self._storm_events, self._outage_events = [], []
        self._storms, self._storm_open = [], None
        self._outages, self._down_since = [], {}
        for index in storm_events:
            self._read_storm(index, events[index])
        for index in outage_events:
            self._read_outage(index, events[index])

    def _read(self, index: int, event: dict[str, Any]) -> None:
        t = int(event["t"])
        self._times.append(t)
        self._lessons.read(index, event)
        match event.get("kind"):
            case "send":
                msg_id = event.get("id")
                if isinstance(msg_id, int):
                    self._open_riders[msg_id] = (event, index)
            case "deliver" | "drop":
                msg_id = event.get("id")
                opened = self._open_riders.pop(msg_id, None) if isinstance(msg_id, int) else None
                if opened is not None and isinstance(msg_id, int):
                    send, send_index = opened
                    dropped = event.get("kind") == "drop"
                    self._closed[msg_id] = _rider(
                        send,
                        send_index,
                        end_at=t,
                        fate="dropped" if dropped else "delivered",
                        reason=str(event.get("reason")) if dropped else None,
                        fate_index=index,
                    )
            case "sandstorm" | "calm":
                self._read_storm(index, event)
            case "crash" | "recover":
                self._read_outage(index, event)
            case "violation":
                self._violations.append(index)
        changed = self._fold.apply(event)
        if changed is not None:
            self._state_marks[changed].append(index)
            self._state_values[changed].append(self._fold.states[changed])

    def _read_storm(self, index: int, event: dict[str, Any]) -> None:
        self._storm_events.append(index)
        t = int(event["t"])
        if self._storm_open is not None:
            self._storms.append(Storm(self._storm_open[0], t, self._storm_open[1]))
            self._storm_open = None
        if event.get("kind") == "sandstorm":
            groups = tuple(tuple(str(n) for n in g) for g in event.get("groups") or [])
            self._storm_open = (t, groups)

    def _read_outage(self, index: int, event: dict[str, Any]) -> None:
        self._outage_events.append(index)
        node = str(event.get("node"))
        if event.get("kind") == "crash":
            self._down_since.setdefault(node, int(event["t"]))
        elif node in self._down_since:
            self._outages.append(Outage(node, self._down_since.pop(node), int(event["t"])))

    def model(self) -> RunModel:
        """The picture of every event read so far."""
        events = self.events
        end_time = int(events[-1]["t"]) if events else 0
        storms = list(self._storms)
        if self._storm_open is not None:
            storms.append(Storm(self._storm_open[0], end_time, self._storm_open[1], raging=True))
        outages = list(self._outages)
        for node, since in sorted(self._down_since.items()):
            outages.append(Outage(node, since, end_time))
        closed = dict(self._closed)
        for msg_id, (send, send_index) in self._open_riders.items():
            arrive = send.get("arrive")
            end_at = arrive if isinstance(arrive, int) else end_time
            closed[msg_id] = _rider(
                send, send_index, end_at=end_at, fate="riding", reason=None, fate_index=None
            )
        return RunModel(
            header=self.header,
            events=events,
            caravans=list(self.caravans),
            times=list(self._times),
            end_time=end_time,
            riders=sorted(closed.values(), key=lambda r: r.send_index),
            storms=storms,
            outages=sorted(outages, key=lambda o: (o.start, o.caravan)),
            state_marks={name: list(marks) for name, marks in self._state_marks.items()},
            state_values={name: list(values) for name, values in self._state_values.items()},
            violations=list(self._violations),
            majorities=self._lessons.majorities(closed, len(events) - 1),
            chosen=list(self._lessons.chosen),
            notes=list(self._lessons.notes),
        )


class _Lessons:
    """Majorities, chosen moments and teacher's notes, read in the same single pass."""

    def __init__(self) -> None:
        # (proposer, banner) -> the promises it has received for it: sender -> (rider, index).
        self.promises: dict[tuple[str, tuple[int, str]], dict[str, tuple[int, int]]] = {}
        self.started: dict[tuple[str, tuple[int, str]], tuple[int, list[int]]] = {}
        self.order: list[tuple[str, tuple[int, str], Any]] = []
        self.chosen: list[Chosen] = []
        self.notes: list[int] = []
        # Each accept read: (its index, its key, whether it began its key's phase 2, its rider's
        # id when added to the first broadcast or None), so truncate can take it back.
        self.accepts: list[tuple[int, tuple[str, tuple[int, str]], bool, int | None]] = []

    def truncate(self, count: int) -> None:
        """Forget what events ``count`` and after told (see ``ModelBuilder.truncate``)."""
        del self.notes[bisect.bisect_left(self.notes, count) :]
        while self.chosen and self.chosen[-1].index >= count:
            self.chosen.pop()
        for key, got in list(self.promises.items()):
            for src in [src for src, (_rid, index) in got.items() if index >= count]:
                del got[src]
            if not got:
                del self.promises[key]
        while self.accepts and self.accepts[-1][0] >= count:
            _index, key, began, added = self.accepts.pop()
            if added is not None:
                self.started[key][1].pop()
            if began:
                del self.started[key]
                self.order.pop()

    def read(self, index: int, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "note":
            if is_teacher_note(event):
                self.notes.append(index)
            return
        if kind == "chosen":
            by = event.get("by")
            self.chosen.append(
                Chosen(
                    index,
                    str(event.get("value")),
                    event.get("ballot"),
                    tuple(str(n) for n in by) if isinstance(by, list) else (),
                )
            )
            return
        if kind not in ("deliver", "send"):
            return
        msg = event.get("msg")
        if not isinstance(msg, dict):
            return
        ballot = msg.get("ballot")
        key = _ballot_key(ballot)
        if key is None:
            return
        if kind == "deliver" and msg.get("type") == "promise":
            got = self.promises.setdefault((str(event.get("dst")), key), {})
            src, msg_id = str(event.get("src")), event.get("id")
            if src not in got and isinstance(msg_id, int):
                got[src] = (msg_id, index)
        elif kind == "send" and msg.get("type") == "accept":
            proposer = str(event.get("src"))
            started = self.started.get((proposer, key))
            msg_id = event.get("id")
            began = started is None
            if started is None:
                self.started[(proposer, key)] = (int(event["t"]), [])
                self.order.append((proposer, key, ballot))
                started = self.started[(proposer, key)]
            # The first broadcast of phase 2 (a retry later re-sends; it is not the same ride).
            added = None
            if started[0] == int(event["t"]) and isinstance(msg_id, int):
                started[1].append(msg_id)
                added = msg_id
            if began or added is not None:
                self.accepts.append((index, (proposer, key), began, added))

    def majorities(self, riders: dict[int, Rider], last: int) -> list[Majority]:
        found: list[Majority] = []
        for proposer, key, ballot in self.order:
            got = self.promises.get((proposer, key), {})
            accepts = [riders[i] for i in self.started[(proposer, key)][1] if i in riders]
            if not accepts:
                continue
            first_accept = min(r.send_index for r in accepts)
            held = sorted((i, src, rid) for src, (rid, i) in got.items() if i < first_accept)
            if not held:
                continue
            index = held[-1][0]
            members = tuple(src for _, src, _ in held)
            ends = [last if r.fate_index is None else r.fate_index for r in accepts]
            # The latest chosen moment before it, under a lower banner: the vote it must keep.
            earlier = [
                (ck, c.index, c)
                for c in self.chosen
                if c.index < index and (ck := _ballot_key(c.ballot)) is not None and ck < key
            ]
            chosen = max(earlier, key=lambda e: (e[0], e[1]))[2] if earlier else None
            found.append(
                Majority(
                    proposer=proposer,
                    ballot=ballot,
                    index=index,
                    until=max([index, *ends]),
                    members=members,
                    riders=tuple(rid for _, _, rid in held),
                    chosen=chosen.index if chosen is not None else None,
                    overlap=tuple(m for m in members if chosen is not None and m in chosen.by),
                )
            )
        return sorted(found, key=lambda m: m.index)


def _rider(
    send: dict[str, Any],
    send_index: int,
    *,
    end_at: int,
    fate: str,
    reason: str | None,
    fate_index: int | None,
) -> Rider:
    msg = send.get("msg") if isinstance(send.get("msg"), dict) else {}
    copy_of = send.get("copy_of")
    return Rider(
        id=int(send["id"]),
        src=str(send.get("src")),
        dst=str(send.get("dst")),
        type=str((msg or {}).get("type", "?")),
        sent_at=int(send["t"]),
        end_at=max(end_at, int(send["t"])),
        fate=fate,
        reason=reason,
        copy_of=copy_of if isinstance(copy_of, int) else None,
        send_index=send_index,
        fate_index=fate_index,
    )
