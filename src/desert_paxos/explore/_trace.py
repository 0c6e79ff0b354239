"""Counterexamples: a path through the model retold as a trace, with real caravans.

Theory of operation
-------------------
The search keeps only states. To tell a counterexample, the path is turned back
into moves (``first_move`` finds, from each concrete state, the move whose
result is the next state on the path, undoing symmetry on the way) and the
moves are played again by a small interpreter: real :class:`Caravan` objects,
a disk per caravan, the riders on the way and a
:class:`~desert_paxos.check.SafetyMonitor`, exactly as the simulator keeps
them. It writes events in the foundation's trace format (``header``, then
``send``/``deliver``/``drop``/``persist``/``decide``/... with ``seq`` and
``t``), so ``desert-paxos replay`` and every other viewer can open the file.

Time in the trace is the step number: step ``k`` happens at ``t = k``. A rider's
``arrive`` and a timer's ``fire`` are filled in afterwards with the step at
which it did arrive or fire (one past the end when it never did). Duplicates
are told as the simulator tells them: a second ``send`` with ``copy_of``, just
after the original.

Playing the path again is also a check of the explorer itself: the monitor must
see the broken invariant at the last step and nothing before it, or the two
disagree and :class:`AssertionError` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..check import SafetyMonitor
from ..protocol import (
    LEARN_TIMER,
    PROPOSER_TIMER,
    Accept,
    AcceptorRecord,
    Adopt,
    CancelTimer,
    Caravan,
    Decide,
    Effect,
    Message,
    Persist,
    Prepare,
    Send,
    SetTimer,
    message_to_json,
)
from ..scenario import Proposal, Scenario, TimelineEvent
from ..sim._events import (
    adopt_event,
    chosen_event,
    decide_event,
    deliver_event,
    drop_event,
    persist_event,
    record_fields,
)
from ..trace import TRACE_FORMAT
from ._departure import Departure, departure
from ._model import Action, Model, State
from ._search import first_move

__all__ = ["Counterexample", "Played", "Step", "counterexample", "play_moves"]


@dataclass(frozen=True, slots=True)
class Step:
    """One move of the counterexample and the events it caused."""

    t: int
    action: Action
    events: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Counterexample:
    invariant: str
    rule: str
    message: str
    header: dict[str, Any]
    steps: tuple[Step, ...]
    events: tuple[dict[str, Any], ...]  # every event after the header, as written to a trace
    # The step where the broken variant first does what real Paxos would not, and what real
    # Paxos would have done (also a note event at the end of that step, for every viewer).
    departure: tuple[int, Departure] | None = None

    @property
    def length(self) -> int:
        return len(self.steps)


def counterexample(model: Model, path: list[State], invariant: str) -> Counterexample:
    """Play ``path`` (canonical states, start to violation) with real caravans."""
    actions: list[Action] = []
    concrete = model.initial
    for target in path[1:]:
        action, concrete = first_move(model, concrete, target)
        actions.append(action)
    player = _Player(model)
    steps: list[Step] = []
    departs: tuple[int, Departure] | None = None
    for t, action in enumerate(actions, start=1):
        if player.violation is not None:
            raise AssertionError(
                f"the monitor saw {player.violation.invariant} before the path ended"
            )
        mark = len(player.events)
        here = (
            None if departs is not None else departure(model, player.caravans, player.disk, action)
        )
        player.play(t, action)
        if here is not None:
            departs = (t, here)
            at = len(player.events)  # the mark closes the step, before a violation it led to
            if player.events[-1]["kind"] == "violation":
                at -= 1
            player.events.insert(at, {"kind": "note", "node": here.node, "text": here.text, "t": t})
        steps.append(Step(t, action, tuple(player.events[mark:])))
    v = player.violation
    if v is None or v.invariant != invariant:
        seen = v.invariant if v is not None else "nothing"
        raise AssertionError(f"the explorer saw {invariant} but the monitor saw {seen}")
    events = player.finish(len(actions))
    header = player.header(len(actions), actions)
    return Counterexample(
        invariant=v.invariant,
        rule=v.rule,
        message=v.message,
        header=header,
        steps=tuple(steps),
        events=tuple(events),
        departure=departs,
    )


@dataclass(frozen=True, slots=True)
class Played:
    """A path of moves from the start, played with real caravans (``desert-paxos serve``'s
    explore mode): its trace, the riders still on the way and the invariant it broke, if any."""

    header: dict[str, Any]
    events: tuple[dict[str, Any], ...]
    riders: tuple[tuple[int, str, str, Message], ...]  # id, src, dst, message: on the way
    violation: str | None


def play_moves(model: Model, actions: list[Action]) -> Played:
    """Play ``actions`` (moves of ``model`` from its initial state) and tell them as a trace.

    Unlike :func:`counterexample`, the path may end anywhere; its ``end`` event's
    reason is ``violation`` when the last move broke an invariant, else ``explored``.
    """
    player = _Player(model)
    for t, action in enumerate(actions, start=1):
        if player.violation is not None:
            raise ValueError(f"the path goes on after {player.violation.invariant} broke")
        player.play(t, action)
    riders = tuple(player.flight)
    broken = player.violation.invariant if player.violation is not None else None
    events = player.finish(len(actions), "violation" if broken else "explored")
    return Played(player.header(len(actions), actions), tuple(events), riders, broken)


class _Player:
    """Plays moves on real caravans and writes what happens as trace events."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.config = model.config
        self.names = model.names
        self.monitor = SafetyMonitor(self.config.phase2_quorum, self.names)
        self.watched = model.watched
        self.violation: Any = None
        self.events: list[dict[str, Any]] = []
        self.t = 0
        self.next_id = 0
        self.caravans: dict[str, Caravan | None] = {}
        self.disk: dict[str, AcceptorRecord] = {}
        self.flight: list[tuple[int, str, str, Message]] = []  # id, src, dst, message
        self.send_events: dict[int, dict[str, Any]] = {}
        self.timer_events: dict[tuple[str, str], dict[str, Any]] = {}
        self.copies: list[tuple[int, dict[str, Any]]] = []  # original id, copy send event
        self.sent = self.delivered = self.duplicated = 0
        self.dropped: dict[str, int] = {}
        self.decided_at: int | None = None
        self.decided_value: str | None = None
        self.pending_self: list[tuple[int, str, Message]] = []
        for name in self.names:
            caravan = Caravan(self.config, name)
            self.caravans[name] = caravan
            self.disk[name] = caravan.record
            self._apply(name, caravan.on_start())

    # -- moves ------------------------------------------------------------------------

    def play(self, t: int, action: Action) -> None:
        self.t = t
        kind, arg = action
        match kind:
            case "deliver" | "duplicate" | "lose" | "drop":
                src, dst, msg = self.model.message(arg)
                entry = next(e for e in self.flight if e[1:] == (src, dst, msg))
                if kind == "duplicate":
                    self._deliver(self._copy(entry), src, dst, msg)
                elif kind == "deliver":
                    self.flight.remove(entry)
                    self._deliver(entry[0], src, dst, msg)
                else:
                    self.flight.remove(entry)
                    self._drop(entry[0], src, dst, msg, "loss" if kind == "lose" else "crashed")
            case "timer" | "learn":
                name = self.names[arg]
                timer = PROPOSER_TIMER if kind == "timer" else LEARN_TIMER
                self._fired(name, timer)
                self._emit({"kind": "timer", "node": name, "name": timer})
                caravan = self.caravans[name]
                assert caravan is not None
                self._apply(name, caravan.on_timer(timer))
            case "propose":
                name, value = self.names[arg], self.model.campsites[arg]
                self.monitor.on_propose(value)
                self._emit({"kind": "propose", "node": name, "value": value})
                caravan = self.caravans[name]
                assert caravan is not None
                self._apply(name, caravan.propose(value))
            case "crash":
                name = self.names[arg]
                self.caravans[name] = None
                for key in [k for k in self.timer_events if k[0] == name]:
                    del self.timer_events[key]  # a collapsed caravan's timers never fire
                self._emit({"kind": "crash", "node": name})
            case "recover":
                name = self.names[arg]
                caravan = Caravan(self.config, name, self.disk[name])
                self.caravans[name] = caravan
                self._emit({"kind": "recover", "node": name, **record_fields(self.disk[name])})
                self._check(self.monitor.on_promise(t, name, caravan.acceptor.promised))
                self._apply(name, caravan.on_start())
            case _:  # pragma: no cover - the model makes no other moves
                raise ValueError(f"unknown move {action!r}")
        self._run_self_deliveries()
        if self.violation is not None:
            v = self.violation
            self._emit(
                {
                    "kind": "violation",
                    "invariant": v.invariant,
                    "rule": v.rule,
                    "message": v.message,
                }
            )

    def _copy(self, entry: tuple[int, str, str, Message]) -> int:
        """A second rider with the same message, told right after the original's send."""
        original, src, dst, msg = entry
        self.next_id += 1
        self.sent += 1
        self.duplicated += 1
        event = {
            "kind": "send",
            "id": self.next_id,
            "src": src,
            "dst": dst,
            "msg": message_to_json(msg),
            "arrive": self.t,
            "copy_of": original,
            "t": self.send_events[original]["t"],
        }
        self.copies.append((original, event))
        return self.next_id

    def _deliver(self, msg_id: int, src: str, dst: str, msg: Message) -> None:
        caravan = self.caravans[dst]
        if caravan is None:  # pragma: no cover - the model drops these instead
            self._drop(msg_id, src, dst, msg, "crashed")
            return
        self.delivered += 1
        if msg_id in self.send_events:
            self.send_events[msg_id]["arrive"] = self.t
        self._emit(deliver_event(msg_id, src, dst, msg))
        effects = caravan.on_message(src, msg)
        if isinstance(msg, Prepare | Accept):
            self._check(self.monitor.on_promise(self.t, dst, caravan.acceptor.promised))
        self._apply(dst, effects)

    def _drop(self, msg_id: int, src: str, dst: str, msg: Message, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        self.send_events[msg_id]["arrive"] = self.t
        self._emit(drop_event(msg_id, src, dst, msg, reason))

    def _run_self_deliveries(self) -> None:
        # A caravan's word to itself arrives at once, after the rest of the step (as in the
        # simulator, where it is scheduled for the same tick).
        while self.pending_self:
            msg_id, name, msg = self.pending_self.pop(0)
            entry = (msg_id, name, name, msg)
            self.flight.remove(entry)
            self._deliver(msg_id, name, name, msg)

    # -- effects ----------------------------------------------------------------------

    def _apply(self, node: str, effects: list[Effect]) -> None:
        for effect in effects:
            match effect:
                case Send(dst=dst, msg=msg):
                    self.next_id += 1
                    self.sent += 1
                    event = {
                        "kind": "send",
                        "id": self.next_id,
                        "src": node,
                        "dst": dst,
                        "msg": message_to_json(msg),
                        "arrive": None,
                    }
                    self.send_events[self.next_id] = event
                    self._emit(event)
                    self.flight.append((self.next_id, node, dst, msg))
                    if dst == node and self.model.instant_self:
                        self.pending_self.append((self.next_id, node, msg))
                case SetTimer(name=name):
                    event = {"kind": "timer_set", "node": node, "name": name, "fire": None}
                    self.timer_events[(node, name)] = event
                    self._emit(event)
                case CancelTimer(name=name):
                    if self.timer_events.pop((node, name), None) is not None:
                        self._emit({"kind": "timer_cancel", "node": node, "name": name})
                case Persist(record=record):
                    self.disk[node] = record
                    self._emit(persist_event(node, record))
                    problem = self.monitor.on_persist(self.t, node, record)
                    if self.monitor.just_chosen is not None:
                        self._emit(chosen_event(*self.monitor.just_chosen))
                    self._check(problem)
                case Decide(ballot=ballot, value=value):
                    if self.decided_at is None:
                        self.decided_at, self.decided_value = self.t, value
                    self._emit(decide_event(node, value, ballot))
                    self._check(self.monitor.on_decide(self.t, node, value))
                case Adopt():
                    self._emit(adopt_event(node, effect))

    def _fired(self, node: str, timer: str) -> None:
        event = self.timer_events.pop((node, timer), None)
        if event is not None:
            event["fire"] = self.t

    def _check(self, problem: Any) -> None:
        if problem is not None and self.violation is None and problem.invariant in self.watched:
            self.violation = problem

    def _emit(self, event: dict[str, Any]) -> None:
        event.setdefault("t", self.t)
        self.events.append(event)

    # -- the end ----------------------------------------------------------------------

    def finish(self, last: int, reason: str = "violation") -> list[dict[str, Any]]:
        """All events in order, with arrivals, firings and seq filled in, and the ``end``."""
        never = last + 1
        for event in self.send_events.values():
            if event["arrive"] is None:
                event["arrive"] = never
        for event in self.events:
            if event["kind"] == "timer_set" and event["fire"] is None:
                event["fire"] = never
        events = list(self.events)
        for original, copy in self.copies:
            at = next(
                k for k, e in enumerate(events) if e.get("id") == original and e["kind"] == "send"
            )
            while at + 1 < len(events) and events[at + 1].get("copy_of") == original:
                at += 1
            events.insert(at + 1, copy)
        knowing = sorted(
            name for name, c in self.caravans.items() if c is not None and c.decided is not None
        )
        events.append(
            {
                "kind": "end",
                "t": last,
                "reason": reason,
                "decided": self.decided_value,
                "decided_at": self.decided_at,
                "knowing": knowing,
                "sent": self.sent,
                "delivered": self.delivered,
                "dropped": dict(sorted(self.dropped.items())),
                "duplicated": self.duplicated,
            }
        )
        for seq, event in enumerate(events, start=1):
            event["seq"] = seq
        return events

    def header(self, last: int, actions: list[Action]) -> dict[str, Any]:
        model = self.model
        options = model.options
        q1, q2 = options.quorums()
        proposals = tuple(
            Proposal(at=t, caravan=model.names[i], campsite=model.campsites[i])
            for t, (kind, i) in enumerate(actions, start=1)
            if kind == "propose"
        )
        timeline = tuple(
            TimelineEvent(at=t, kind=kind, caravan=model.names[i])
            for t, (kind, i) in enumerate(actions, start=1)
            if kind in ("crash", "recover")
        )
        description = (
            f"A counterexample found by desert-paxos explore ({options.describe()}): "
            f"{len(actions)} steps, one per tick."
        )
        scenario = Scenario(
            name=f"explore-{options.variant}",
            description=description,
            caravans=model.names,
            phase1_quorum=q1,
            phase2_quorum=q2,
            variant=options.variant,
            proposals=proposals,
            timeline=timeline,
            until=last + 1,
        )
        return {
            "kind": "header",
            "format": TRACE_FORMAT,
            "scenario": scenario.name,
            "description": description,
            "seed": 0,
            "caravans": list(model.names),
            "quorum": q2,
            "quorums": {"phase1": q1, "phase2": q2},
            "variant": options.variant,
            "until": last + 1,
            "spec": scenario.to_json(),
        }
