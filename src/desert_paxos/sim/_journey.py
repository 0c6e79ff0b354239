"""The journey's engine: how the one simulator runs Multi-Paxos.

Theory of operation
-------------------
The simulator is the same for both protocols (see ``_engine``); this module
says what is particular to the journey:

* the caravans are :class:`~desert_paxos.protocol.multi.JourneyCaravan`, built
  with a :class:`~desert_paxos.protocol.multi.JourneyConfig` from the scenario;
  the travellers are extra nodes (riders travel to and from them over the same
  network, a sandstorm that does not name them leaves them with the rest) whose
  operations are drawn, for a workload, from the run's one random generator
  when the run starts;
* the monitor is :class:`~desert_paxos.check.JourneyMonitor`;
* the journey's own effects become trace events and monitor checks:
  ``elected``, ``learn`` (a caravan knows what a night holds), ``execute``,
  and the travellers' ``request`` and ``response`` (the client history);
* a journey is over (``quiet``) when every traveller has its last answer, no
  rider is on the sand, and every caravan on its feet has executed as many
  nights as any; at the end the travellers' history is checked for
  linearizability (``end`` gains ``linearizable``, and a history that is not
  is a violation of the ``linearizable`` invariant).

Trace lines of the journey go through the JSON encoder (the hand-written lines
of ``_events`` are single-decree's); the kinds and fields are in README's
trace contract and ``trace/_contract.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..check._journey import JourneyMonitor, JourneyViolation, history_events
from ..protocol import Ballot, ballot_to_json
from ..protocol.multi import (
    EMPTY_LOGBOOK,
    JOURNEY_VARIANTS,
    Accept,
    Command,
    Complete,
    Elected,
    Executed,
    Invoke,
    JourneyCaravan,
    JourneyConfig,
    Learn,
    Logbook,
    Prepare,
    Traveller,
    TravellerPlan,
    command_to_json,
    describe,
    message_to_json,
)
from ..scenario import Scenario, TimelineEvent
from ._events import DECIDE, DELIVERY, DROP, PERSIST, SEND, TIMER_CANCEL, TIMER_FIRE, TIMER_SET

if TYPE_CHECKING:
    from ..scenario._journey import TravellerSpec
    from ._simulator import Simulation

__all__ = ["JOURNEY", "JourneyEngine", "logbook_fields"]

# The end-of-run linearizability check is bounded by states searched, never by the wall clock:
# a verdict written into the trace must be the same on every machine, however loaded.
LINEARIZABILITY_MAX_STATES = 2_000_000


def logbook_fields(record: Logbook) -> dict[str, Any]:
    """The logbook in persist and recover events: promise, votes per night, floor, round."""
    return {
        "promised": ballot_to_json(record.promised),
        "votes": [
            {"slot": s, "ballot": ballot_to_json(b), "command": command_to_json(c)}
            for s, b, c in record.votes
        ],
        "floor": record.floor,
        "tried_round": record.tried_round,
    }


def _command_fields(command: Command) -> dict[str, Any]:
    out = command_to_json(command)
    out.pop("traveller", None)
    out.pop("request", None)
    return out


def _plan(
    spec: TravellerSpec, index: int, caravans: tuple[str, ...], sim: Simulation
) -> TravellerPlan:
    if spec.requests:
        ops = tuple(
            Command(traveller=spec.name, request=0, op=op, key=key, value=value, expected=expected)
            for op, key, value, expected in spec.requests
        )
    else:
        rng = sim.rng
        choices = [op for op, weight in spec.mix for _ in range(weight)]
        drawn = []
        for _ in range(spec.count):
            op = choices[int(rng.random() * len(choices))]
            key = spec.keys[int(rng.random() * len(spec.keys))]
            value = expected = None
            if op != "get":
                value = int(rng.random() * 10)
            if op == "cas":
                expected = int(rng.random() * 10)
            drawn.append(
                Command(
                    traveller=spec.name, request=0, op=op, key=key, value=value, expected=expected
                )
            )
        ops = tuple(drawn)
    first = caravans.index(spec.first) if spec.first is not None else index
    return TravellerPlan(
        name=spec.name,
        operations=ops,
        think_low=spec.think[0],
        think_high=spec.think[1],
        patience=spec.patience,
        first=first,
    )


def _standing(sim: Simulation) -> dict[str, JourneyCaravan]:
    """The caravans on their feet, by name."""
    out: dict[str, JourneyCaravan] = {}
    for name in sim.names:
        caravan = sim.caravans.get(name)
        if isinstance(caravan, JourneyCaravan):
            out[name] = caravan
    return out


class JourneyEngine:
    """Multi-Paxos: a command for every night (``desert_paxos.protocol.multi``)."""

    name = "multi-paxos"
    promise_movers: tuple[type, ...] = (Prepare, Accept)
    fast_trace = False

    def configure(self, scenario: Scenario) -> JourneyConfig:
        return JourneyConfig(base=scenario.config(), variant=JOURNEY_VARIANTS[scenario.variant])

    def travellers(self, scenario: Scenario) -> tuple[str, ...]:
        journey = scenario.journey
        return () if journey is None else tuple(t.name for t in journey.travellers)

    def empty_record(self) -> Any:
        return EMPTY_LOGBOOK

    def caravan(self, config: JourneyConfig, name: str, record: Any) -> JourneyCaravan:
        return JourneyCaravan(config, name, record)

    def restore(self, config: JourneyConfig, name: str, state: Any) -> Any:
        """A caravan or a traveller from its ``snapshot()`` (the REPL's time travel)."""
        if name in config.caravans:
            return JourneyCaravan.restore(config, name, state)
        return Traveller.restore(state, config.caravans)

    def script(self, sim: Simulation, event: TimelineEvent) -> None:
        """A timeline ``request``: the traveller asks one more (told as a note if it cannot)."""
        assert event.request is not None
        traveller, op, key, value, expected = event.request
        operation = Command(
            traveller=traveller, request=0, op=op, key=key, value=value, expected=expected
        )
        if not self.request(sim, traveller, operation) and sim.observers:
            sim._emit({"kind": "note", "node": traveller, "text": f"{traveller} is no traveller"})

    def request(self, sim: Simulation, traveller: str, operation: Command) -> bool:
        """Give ``traveller`` one more operation now (the REPL's /request); False if unknown."""
        node = sim.caravans.get(traveller)
        if not isinstance(node, Traveller):
            return False
        effects = node.ask(operation)
        if effects:
            sim._apply(traveller, effects)
        return True

    def leader(self, sim: Simulation) -> tuple[str, Ballot] | None:
        """The caravan on its feet that leads under the highest banner, if any."""
        best: tuple[str, Ballot] | None = None
        for name, caravan in _standing(sim).items():
            ballot = caravan.leader.ballot
            if caravan.leader.leading and ballot is not None and (best is None or ballot > best[1]):
                best = (name, ballot)
        return best

    def monitor(self, config: JourneyConfig, names: tuple[str, ...]) -> JourneyMonitor:
        return JourneyMonitor(config.phase2_quorum, names)

    def others(self, sim: Simulation) -> dict[str, Any]:
        journey = sim.scenario.journey
        if journey is None:
            return {}
        return {
            spec.name: Traveller(_plan(spec, i, sim.names, sim), sim.names)
            for i, spec in enumerate(journey.travellers)
        }

    def apply(self, sim: Simulation, node: str, effect: Any) -> None:
        monitor: JourneyMonitor = sim.monitor  # type: ignore[assignment]
        now = sim.now
        match effect:
            case Learn(slot=slot, command=command):
                if sim.decided_at is None:
                    sim.decided_at = now
                if sim.observers:
                    sim._emit(
                        {
                            "kind": "learn",
                            "node": node,
                            "slot": slot,
                            "value": describe(command),
                            "command": command_to_json(command),
                        }
                    )
                problem = monitor.on_learn(now, node, slot, command)
            case Executed(slot=slot, command=command, result=result, again=again):
                if sim.observers:
                    sim._emit(
                        {
                            "kind": "execute",
                            "node": node,
                            "slot": slot,
                            "value": describe(command),
                            "command": command_to_json(command),
                            "ok": result.ok,
                            "result": result.value,
                            "again": again,
                        }
                    )
                problem = monitor.on_executed(now, node, slot, command, again)
            case Elected(ballot=ballot, first=first, filled=filled):
                if sim.observers:
                    sim._emit(
                        {
                            "kind": "elected",
                            "node": node,
                            "ballot": ballot_to_json(ballot),
                            "first": first,
                            "filled": list(filled),
                        }
                    )
                return
            case Invoke(command=command, caravan=caravan, retry=retry):
                monitor.on_invoke(command)
                if sim.observers:
                    sim._emit(
                        {
                            "kind": "request",
                            "traveller": command.traveller,
                            "request": command.request,
                            **_command_fields(command),
                            "caravan": caravan,
                            "retry": retry,
                        }
                    )
                return
            case Complete(command=command, result=result):
                monitor.on_complete(command, result)
                if sim.observers:
                    sim._emit(
                        {
                            "kind": "response",
                            "traveller": command.traveller,
                            "request": command.request,
                            **_command_fields(command),
                            "ok": result.ok,
                            "result": result.value,
                        }
                    )
                return
            case _:
                raise TypeError(f"not a journey effect: {effect!r}")
        if problem is not None and sim.violation is None:
            sim._violate(problem)

    def message_to_json(self, msg: Any) -> dict[str, Any]:
        return message_to_json(msg)

    def record_fields(self, record: Any) -> dict[str, Any]:
        return logbook_fields(record)

    def event(self, kind: int, fields: tuple[Any, ...]) -> dict[str, Any]:
        if kind in (SEND, DELIVERY, DROP):
            msg_id, src, dst, msg = fields[:4]
            event: dict[str, Any] = {
                "kind": ("send", "deliver", "drop")[(SEND, DELIVERY, DROP).index(kind)],
                "id": msg_id,
                "src": src,
                "dst": dst,
                "msg": message_to_json(msg),
            }
            if kind == SEND:
                event["arrive"] = fields[4]
                if fields[5] is not None:
                    event["copy_of"] = fields[5]
            elif kind == DROP:
                event["reason"] = fields[4]
            return event
        if kind == PERSIST:
            return {"kind": "persist", "node": fields[0], **logbook_fields(fields[1])}
        if kind == TIMER_SET:
            return {"kind": "timer_set", "node": fields[0], "name": fields[1], "fire": fields[2]}
        if kind == TIMER_CANCEL:
            return {"kind": "timer_cancel", "node": fields[0], "name": fields[1]}
        if kind == TIMER_FIRE:
            return {"kind": "timer", "node": fields[0], "name": fields[1]}
        assert kind != DECIDE, "the journey decides nights with Learn, not Decide"
        raise ValueError(f"unknown event kind {kind}")

    def chosen_event(self, just_chosen: Any) -> dict[str, Any]:
        slot, ballot, command, by = just_chosen
        assert isinstance(ballot, Ballot)
        return {
            "kind": "chosen",
            "slot": slot,
            "value": describe(command),
            "command": command_to_json(command),
            "ballot": ballot_to_json(ballot),
            "by": list(by),
        }

    def header(self, sim: Simulation) -> dict[str, Any]:
        from ._events import header_event

        return header_event(sim.scenario, sim.seed, sim.until, sim.config)  # names the protocol

    def settled(self, sim: Simulation) -> bool:
        executed = [c.replica.executed for c in _standing(sim).values()]
        if not executed or min(executed) != max(executed):
            return False
        return all(
            isinstance(t, Traveller) and t.done and t.current is None
            for n in sim.nodes[len(sim.names) :]
            if (t := sim.caravans.get(n)) is not None
        )

    def decisions(self, sim: Simulation) -> dict[str, str]:
        return {}

    def end_fields(self, sim: Simulation) -> dict[str, Any]:
        """The journey's end: nights executed per caravan, requests answered, and the
        linearizability verdict on the travellers' history (judged by ``finish``)."""
        monitor: JourneyMonitor = sim.monitor  # type: ignore[assignment]
        executed = {n: c.replica.executed for n, c in _standing(sim).items()}
        answered = sum(1 for kind, _, _ in monitor.history if kind == "complete")
        return {
            "executed": executed,
            "nights": max(executed.values(), default=0),
            "answered": answered,
            "linearizable": monitor.verdict,
        }

    def finish(self, sim: Simulation) -> None:
        """At the end of a run: is the travellers' history linearizable? One that is not is
        a violation (told before the end); one the checker cannot judge in time is "unknown"."""
        from ..check._linearizable import check_events

        monitor: JourneyMonitor = sim.monitor  # type: ignore[assignment]
        if monitor.verdict is not None:
            return
        result = check_events(
            history_events(monitor_trace(monitor)), max_states=LINEARIZABILITY_MAX_STATES
        )
        monitor.verdict = str(result.verdict)
        if result.linearizable is False and sim.violation is None:
            op = result.first_unplaceable
            what = "" if op is None else f": {op.process}'s {op.f} of {op.key!r} cannot be placed"
            sim.violation = violation = JourneyViolation(
                "linearizable", sim.now, f"the travellers' history is not linearizable{what}"
            )
            if sim.observers:
                sim._emit(
                    {
                        "kind": "violation",
                        "invariant": violation.invariant,
                        "rule": violation.rule,
                        "message": violation.message,
                    }
                )


def monitor_trace(monitor: JourneyMonitor) -> list[dict[str, Any]]:
    """The monitor's client history as trace-like request/response events."""
    out: list[dict[str, Any]] = []
    for kind, command, result in monitor.history:
        event: dict[str, Any] = {
            "kind": "request" if kind == "invoke" else "response",
            "traveller": command.traveller,
            "request": command.request,
            **_command_fields(command),
        }
        if result is not None:
            event["ok"] = result.ok
            event["result"] = result.value
        out.append(event)
    return out


JOURNEY = JourneyEngine()
