"""Traces for the viewer tests (made by the simulator in-process), and how Chromium is started."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
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


def trace_file_of(name: str, folder: Path) -> tuple[Event, list[Event]]:
    """A built-in scenario's trace as the command line writes it (``desert-paxos run NAME --trace``)."""
    path = folder / f"{name}.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "run", name, "--trace", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines[0], lines[1:]


def by_hand(
    header: Event, events: list[Event], notes: tuple[tuple[int, str], ...] = ()
) -> list[Event]:
    """The trace with its ``chosen`` and teacher's ``note`` events made here, by hand.

    Whatever ``chosen`` and ``note`` events the simulator wrote are taken out; a ``chosen``
    follows each ``persist`` that gives a phase-2 majority votes for one campsite under one
    banner (counted from the logbooks, independently of the simulator); each ``(t, text)``
    note comes before the first event at or after ``t``. Sequence numbers are renumbered.
    """
    quorums = header.get("quorums") or {}
    need = quorums.get("phase2") or len(header["caravans"]) // 2 + 1
    voters: dict[tuple[Any, ...], list[str]] = {}
    told: set[tuple[Any, ...]] = set()
    pending = sorted(notes)
    out: list[Event] = []
    for event in events:
        if event["kind"] in ("chosen", "note"):
            continue
        while pending and pending[0][0] <= event["t"]:
            _, text = pending.pop(0)
            out.append({"kind": "note", "t": event["t"], "text": text})
        out.append(event)
        accepted = event.get("accepted") if event["kind"] == "persist" else None
        if accepted:
            key = (tuple(accepted["ballot"]), accepted["value"])
            names = voters.setdefault(key, [])
            if event["node"] not in names:
                names.append(event["node"])
            if len(names) >= need and key not in told:
                told.add(key)
                out.append(
                    {
                        "kind": "chosen",
                        "t": event["t"],
                        "value": accepted["value"],
                        "ballot": list(accepted["ballot"]),
                        "by": list(names),
                    }
                )
    return [dict(e, seq=number) for number, e in enumerate(out, start=1)]
