"""One engine, any sans-I/O core: what the simulator needs to know about a protocol.

Theory of operation
-------------------
The simulator moves riders, fires timers, writes logbooks, collapses and
raises caravans, and tells every event; none of that depends on which Paxos
the caravans speak. What does is gathered in one small interface,
:class:`Engine`, which the simulator holds as ``sim.engine``:

* how to build the caravans of a scenario (``configure``, ``caravan``,
  ``empty_record``; ``restore`` one from its ``snapshot()`` for time travel) and any other nodes that take part (``others``: the
  journey's travellers, who send and receive riders but never collapse);
* which messages may move a promise (``promise_movers``: the simulator checks
  promises after delivering one of them) and the safety monitor to check
  (``monitor``: the single-decree ``SafetyMonitor`` or the journey's monitor,
  both with the hooks ``on_promise``, ``on_persist``, ``on_decide``,
  ``on_propose``, ``just_chosen``);
* its own timeline events (``script``: the journey's ``request``) and the
  effects only this protocol emits (``apply``: everything but ``Send``,
  ``SetTimer``, ``CancelTimer``, ``Persist`` and single-decree ``Decide``/``Adopt``);
* the JSON of its messages and logbook in the trace (``message_to_json``,
  ``record_fields``, ``event`` for the commonest kinds, ``chosen_event``) and
  its header and end fields; ``fast_trace`` says whether
  the simulator's hand-written lines (``_events``) apply, which they do for
  single-decree Paxos only (the journey's lines go through the JSON encoder);
* when a run is over (``settled``), what it decided (``decisions``) and what
  is judged once at its end (``finish``: the journey's linearizability).

:data:`PAXOS` is the single-decree engine; the journey's is
``desert_paxos.sim._journey.JOURNEY``. :func:`engine_for` picks one from the
scenario's ``protocol``. The simulator's hot loop reads only
``promise_movers`` (into a local); everything else is on rarer paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..check import SafetyMonitor
from ..protocol import (
    EMPTY_RECORD,
    Accept,
    Caravan,
    Config,
    Effect,
    Prepare,
    message_to_json,
)
from ..scenario import Scenario, TimelineEvent
from ._events import BUILDERS, chosen_event, header_event, record_fields

if TYPE_CHECKING:
    from ._simulator import Simulation

__all__ = ["PAXOS", "Engine", "PaxosEngine", "engine_for"]


class Engine(Protocol):
    name: str
    promise_movers: tuple[type, ...]
    fast_trace: bool

    def configure(self, scenario: Scenario) -> Any: ...

    def travellers(self, scenario: Scenario) -> tuple[str, ...]: ...

    def empty_record(self) -> Any: ...

    def caravan(self, config: Any, name: str, record: Any) -> Any: ...

    def restore(self, config: Any, name: str, state: Any) -> Any: ...

    def monitor(self, config: Any, names: tuple[str, ...]) -> Any: ...

    def others(self, sim: Simulation) -> dict[str, Any]: ...

    def apply(self, sim: Simulation, node: str, effect: Effect | Any) -> None: ...

    def message_to_json(self, msg: Any) -> dict[str, Any]: ...

    def record_fields(self, record: Any) -> dict[str, Any]: ...

    def event(self, kind: int, fields: tuple[Any, ...]) -> dict[str, Any]: ...

    def chosen_event(self, just_chosen: Any) -> dict[str, Any]: ...

    def header(self, sim: Simulation) -> dict[str, Any]: ...

    def settled(self, sim: Simulation) -> bool: ...

    def decisions(self, sim: Simulation) -> dict[str, str]: ...

    def end_fields(self, sim: Simulation) -> dict[str, Any]: ...

    def finish(self, sim: Simulation) -> None: ...

    def script(self, sim: Simulation, event: TimelineEvent) -> None: ...


class PaxosEngine:
    """Single-decree Paxos: one campsite, decided once (``desert_paxos.protocol``)."""

    name = "paxos"
    promise_movers: tuple[type, ...] = (Prepare, Accept)
    fast_trace = True

    def configure(self, scenario: Scenario) -> Config:
        return scenario.config()

    def travellers(self, scenario: Scenario) -> tuple[str, ...]:
        return ()

    def empty_record(self) -> Any:
        return EMPTY_RECORD

    def caravan(self, config: Config, name: str, record: Any) -> Caravan:
        return Caravan(config, name, record)

    def restore(self, config: Config, name: str, state: Any) -> Caravan:
        """The caravan a ``snapshot()`` was taken of (the REPL's time travel)."""
        return Caravan.restore(config, name, state)

    def monitor(self, config: Config, names: tuple[str, ...]) -> SafetyMonitor:
        return SafetyMonitor(config.phase2_quorum, names)

    def others(self, sim: Simulation) -> dict[str, Any]:
        return {}

    def apply(self, sim: Simulation, node: str, effect: Effect | Any) -> None:
        raise TypeError(f"not a single-decree effect: {effect!r}")

    def message_to_json(self, msg: Any) -> dict[str, Any]:
        return message_to_json(msg)

    def record_fields(self, record: Any) -> dict[str, Any]:
        return record_fields(record)

    def event(self, kind: int, fields: tuple[Any, ...]) -> dict[str, Any]:
        return BUILDERS[kind](*fields)

    def chosen_event(self, just_chosen: Any) -> dict[str, Any]:
        return chosen_event(*just_chosen)

    def header(self, sim: Simulation) -> dict[str, Any]:
        return header_event(sim.scenario, sim.seed, sim.until, sim.config)

    def settled(self, sim: Simulation) -> bool:
        """Nothing can change any more: everyone alive knows, or no quorum is alive to decide."""
        live = [c for c in sim.caravans.values() if c is not None]
        knowing = sum(1 for c in live if c.learner.decided is not None)
        if knowing == len(live):
            return True
        needed = max(sim.config.phase1_quorum, sim.config.phase2_quorum)
        return knowing == 0 and len(live) < needed

    def decisions(self, sim: Simulation) -> dict[str, str]:
        return {
            name: c.learner.decided.value
            for name, c in sim.caravans.items()
            if c is not None and c.learner.decided is not None
        }

    def end_fields(self, sim: Simulation) -> dict[str, Any]:
        return {}

    def finish(self, sim: Simulation) -> None:
        return None

    def script(self, sim: Simulation, event: TimelineEvent) -> None:
        raise ValueError(f"a single-decree day has no {event.kind!r} events")


PAXOS = PaxosEngine()


def engine_for(scenario: Scenario) -> Engine:
    """The engine of the scenario's protocol (the journey's is imported only when used)."""
    if scenario.protocol == "multi-paxos":
        from ._journey import JOURNEY

        return JOURNEY
    return PAXOS
