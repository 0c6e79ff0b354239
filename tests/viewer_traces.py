"""Traces for the viewer tests (made by the simulator in-process), and how Chromium is started."""

from __future__ import annotations

from typing import Any

from desert_paxos.scenario import load_builtin, scenario_from_data
from desert_paxos.sim import Simulation

Event = dict[str, Any]

# Debian's Chromium, headless and quiet: no sandbox (root in CI), no GPU, no background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A long, busy day: storms without a majority, losses, duplicates, a collapse and five
# proposers, so the trace passes 10,000 events before the calm lets the caravans agree.
LONG_DAY: dict[str, Any] = {
    "name": "long-storm",
    "description": "Storms without a majority, lossy riders, a collapse: a trace over 10,000 events.",
    "seed": 5,
    "caravans": ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"],
    "network": {"delay": {"mean": 20}, "loss": 0.25, "duplicate": 0.1},
    "proposals": [
        {"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"},
        {"at": 5, "caravan": "Itri", "campsite": "Ghadames Springs"},
        {"at": 10, "caravan": "Tassadit", "campsite": "Tamanrasset Well"},
        {"at": 15, "caravan": "Taziri", "campsite": "Djanet Palms"},
        {"at": 20, "caravan": "Amastan", "campsite": "Timimoun Red Oasis"},
    ],
    "timeline": [
        {"at": 0, "sandstorm": [["Aghilas", "Taziri"], ["Amastan", "Itri"], ["Tassadit"]]},
        {"at": 3000, "crash": "Itri"},
        {"at": 5000, "recover": "Itri"},
        {"at": 6000, "sandstorm": [["Aghilas", "Amastan"], ["Taziri", "Itri"], ["Tassadit"]]},
        {"at": 58000, "calm": True},
    ],
    "until": 80000,
}


def trace_of_data(data: dict[str, Any], seed: int | None = None) -> tuple[Event, list[Event]]:
    return _trace(Simulation(scenario_from_data(data, "<test>"), seed=seed, observers=[]))


def trace_of(name: str, seed: int | None = None) -> tuple[Event, list[Event]]:
    """The header and events of a built-in scenario's run."""
    return _trace(Simulation(load_builtin(name), seed=seed, observers=[]))


def _trace(sim: Simulation) -> tuple[Event, list[Event]]:
    seen: list[Event] = []
    sim.observers.append(seen.append)
    sim.run()
    return seen[0], seen[1:]
