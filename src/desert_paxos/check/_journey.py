"""The long journey's invariants, checked after every event, and its client history.

Theory of operation
-------------------
Multi-Paxos is single-decree Paxos once per night, plus a replicated state
machine, so its safety is:

* **one command per night** (``slot-agreement``): no two caravans hold
  different commands for the same night, judged when a caravan learns one;
* **one choice per night** (``slot-choice``): at most one command gathers a
  phase-2 quorum of votes (logbook writes) in a night, under any banners;
* **the same executed prefix** (``executed-prefix``): the command a caravan
  executes as night ``k`` is the one every other caravan executed as night ``k``;
* **each request once** (``once``): no request of a traveller is executed in
  two different nights (a caravan that skips a retried request says so);
* **promises never go down** (``promise-monotonic``), across collapses too;
* and, at the end, the travellers' history is **linearizable**: checked by the
  linearizability module (Wing & Gong with Lowe's memoisation) on the history
  :func:`history_events` builds from the run.

The monitor is fed by the simulator at exactly the events that can change each
property (the single-decree monitor's hooks ``on_promise`` and ``on_persist``,
plus ``on_learn``, ``on_executed`` and the travellers' ``on_invoke`` and
``on_complete``), which is the same as re-checking after every event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..protocol import Ballot, format_ballot
from ..protocol.multi import Command, Logbook, Result, describe
from ._invariants import Violation

__all__ = [
    "JOURNEY_INVARIANTS",
    "JourneyMonitor",
    "JourneyViolation",
    "history_events",
]

JOURNEY_INVARIANTS: dict[str, str] = {
    "slot-agreement": "no two caravans hold different commands for the same night",
    "slot-choice": "at most one command is chosen by a quorum of votes in each night",
    "executed-prefix": "every caravan executes the same command as the same night",
    "once": "each traveller's request is executed in at most one night",
    "promise-monotonic": "an acceptor's promise never goes down, across crashes too",
    "linearizable": "the travellers' answers could come from one copy of the supplies",
}


@dataclass(frozen=True, slots=True)
class JourneyViolation(Violation):
    @property
    def rule(self) -> str:
        return JOURNEY_INVARIANTS[self.invariant]


def _what(command: Command) -> str:
    """``Ines's put water 40`` (a rest day is just that)."""
    return describe(command) if command.is_rest else f"{command.traveller}'s {describe(command)}"


class JourneyMonitor:
    __slots__ = (
        "caravans",
        "chosen",
        "decisions",
        "executed",
        "history",
        "just_chosen",
        "learned",
        "phase2_quorum",
        "promises",
        "requests",
        "verdict",
        "votes",
    )

    def __init__(self, phase2_quorum: int, caravans: tuple[str, ...]) -> None:
        self.phase2_quorum = phase2_quorum
        self.caravans = caravans
        self.promises: dict[str, Ballot] = {}
        # night -> (banner, command) -> voters, ever: a vote once written may have been counted
        self.votes: dict[int, dict[tuple[Ballot, Command], list[str]]] = {}
        self.chosen: dict[int, Command] = {}
        self.just_chosen: tuple[int, Ballot, Command, tuple[str, ...]] | None = None
        self.learned: dict[int, tuple[str, Command]] = {}  # night -> first caravan and command
        self.executed: dict[int, tuple[str, Command]] = {}
        self.requests: dict[tuple[str, int], int] = {}  # request -> night it was executed in
        self.decisions: dict[str, str] = {}  # the single-decree hook, unused on a journey
        # The client history, in order: (kind, command, result or None).
        self.history: list[tuple[str, Command, Result | None]] = []
        self.verdict: str | None = None  # linearizability of the history, judged at the end

    def _fail(self, invariant: str, t: int, message: str) -> JourneyViolation:
        return JourneyViolation(invariant, t, message)

    def on_promise(self, t: int, node: str, promised: Ballot | None) -> Violation | None:
        if promised is None:
            before = self.promises.get(node)
            if before is not None:
                return self._fail(
                    "promise-monotonic",
                    t,
                    f"{node} promised {format_ballot(before)} and now promises nothing",
                )
            return None
        before = self.promises.get(node)
        if before is not None and promised < before:
            return self._fail(
                "promise-monotonic",
                t,
                f"{node} promised {format_ballot(before)}, now only {format_ballot(promised)}",
            )
        if before is None or promised > before:
            self.promises[node] = promised
        return None

    def on_persist(self, t: int, node: str, record: Logbook) -> Violation | None:
        self.just_chosen = None
        problem = self.on_promise(t, node, record.promised)
        for slot, ballot, command in record.votes:
            tally = self.votes.setdefault(slot, {})
            voters = tally.setdefault((ballot, command), [])
            if node in voters:
                continue
            voters.append(node)
            if len(voters) != self.phase2_quorum:
                continue
            order = tuple(c for c in self.caravans if c in voters)
            self.just_chosen = (slot, ballot, command, order)
            before = self.chosen.get(slot)
            if before is None:
                self.chosen[slot] = command
            elif before != command and problem is None:
                problem = self._fail(
                    "slot-choice",
                    t,
                    f"night {slot}: {_what(command)} chosen under {format_ballot(ballot)}, "
                    f"but {_what(before)} was chosen before",
                )
        return problem

    def on_learn(self, t: int, node: str, slot: int, command: Command) -> Violation | None:
        known = self.learned.get(slot)
        if known is None:
            self.learned[slot] = (node, command)
            return None
        if known[1] != command:
            return self._fail(
                "slot-agreement",
                t,
                f"night {slot}: {node} holds {_what(command)}, {known[0]} holds {_what(known[1])}",
            )
        return None

    def on_executed(
        self, t: int, node: str, slot: int, command: Command, again: bool
    ) -> Violation | None:
        known = self.executed.get(slot)
        if known is None:
            self.executed[slot] = (node, command)
        elif known[1] != command:
            return self._fail(
                "executed-prefix",
                t,
                f"night {slot}: {node} executed {_what(command)}, {known[0]} executed "
                f"{_what(known[1])}",
            )
        if command.is_rest or again:
            return None
        key = (command.traveller, command.request)
        first = self.requests.get(key)
        if first is None:
            self.requests[key] = slot
        elif first != slot:
            return self._fail(
                "once",
                t,
                f"{command.traveller}'s request {command.request} ({describe(command)}) was "
                f"executed in night {first} and again in night {slot}",
            )
        return None

    def on_invoke(self, command: Command) -> None:
        self.history.append(("invoke", command, None))

    def on_complete(self, command: Command, result: Result) -> None:
        self.history.append(("complete", command, result))

    def on_decide(self, t: int, node: str, value: str) -> Violation | None:  # single-decree hook
        return None

    def on_propose(self, value: str) -> None:  # single-decree hook
        return None

    def copy(self) -> JourneyMonitor:
        other = JourneyMonitor(self.phase2_quorum, self.caravans)
        other.promises = dict(self.promises)
        other.votes = {s: {k: list(v) for k, v in tally.items()} for s, tally in self.votes.items()}
        other.chosen = dict(self.chosen)
        other.learned = dict(self.learned)
        other.executed = dict(self.executed)
        other.requests = dict(self.requests)
        other.history = list(self.history)
        return other


_F = {"get": "read", "put": "write", "cas": "cas"}


def history_events(trace: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The client history of a journey trace, in the linearizability checker's format.

    One ``invoke`` per request (its first ``request`` event; retries repeat it and
    are left out) and one ``ok``/``fail`` per answered request (its ``response``
    event); a request never answered stays without a completion (outcome unknown).
    """
    out: list[dict[str, Any]] = []
    invoked: dict[tuple[str, int], Any] = {}  # request -> its invocation's value
    for event in trace:
        kind = event.get("kind")
        if kind not in ("request", "response"):
            continue
        key = (event["traveller"], event["request"])
        op = event["op"]
        if kind == "request":
            if key in invoked:
                continue  # a retry: the same operation, asked again
            value: Any = None
            if op == "put":
                value = event.get("value")
            elif op == "cas":
                value = [event.get("expected"), event.get("value")]
            invoked[key] = value
            out.append(_history_event(event, "invoke", value))
        elif key in invoked:
            ok = event["ok"]
            value = event.get("result") if op == "get" else invoked[key]
            out.append(_history_event(event, "ok" if ok else "fail", value))
    return out


def _history_event(event: Mapping[str, Any], kind: str, value: Any) -> dict[str, Any]:
    return {
        "process": event["traveller"],
        "type": kind,
        "f": _F[event["op"]],
        "key": event["key"],
        "value": value,
    }
