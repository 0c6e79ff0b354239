"""How fast ``desert-paxos explore`` visits states, and how much memory a state costs.

Theory of operation
-------------------
Rates are unique states per second of CPU time of this process (``time.process_time``:
the machine is shared, and CPU time leaves out the moments another process had
the core), as ``{median, min, max}`` over ``REPEAT`` fresh searches. Every count
is read from the runs.

* ``explore_3x2``: the complete default search (3 caravans, 2 proposers, one
  ballot round each). Target: 200,000 states/s.
* ``explore_5x2_symmetry``: 5 caravans, 2 proposers, ``--symmetry``, the first
  ``SYM_STATES`` states. Target: 80,000 states/s.
* ``explore_5x2_symmetry_bytes_per_state``: memory per stored state, in a fresh
  process (``_memory.py``) searching ``MEMORY_STATES`` states: the growth of its
  resident set from before the search to after it (the states still stored,
  with the bounded caches' share) over the states, and its peak over the states
  (the last level's list and a dictionary's resizing come and go). Target: 120
  bytes. The whole-space run below reports its own peak per state, at scale.
* ``explore_5x2_canonical_share``: the share of a profile (cProfile, ``SYM_PROFILE``
  states) spent renaming states to their canonical form (and sizing their
  orbits), with the engine calling ``Model.canonical_pair`` instead of its inlined
  copy. Target: under 25%.
* ``explore_por``: partial-order reduction (``--por``) on complete searches: the
  moves tried without and with it (the reduction factor), and the time.
* ``explore_workers``: the 3x2 search on 1 and on 2 processes, wall clock (the
  only clock that sees several processes): the speed-up, and the unique-state
  counts, which must be equal.
* ``explore_5x2_full``: the whole 5x2 symmetric space, searched once by
  ``explore_full.py`` (hours, not part of ``make bench``), copied from
  ``explore_full.json`` when it exists.

The figures of issue 3 are kept (``explore_states_per_s`` is the 3x2 median,
``explore_symmetry_*`` the 5-caravan, 1-proposer comparison). About three
minutes on the shared machine.

    .venv/bin/python benchmarks/bench_explore.py
"""

from __future__ import annotations

import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from desert_paxos.explore import ExploreOptions, Model, _breadth, search
from figures import spread

HERE = Path(__file__).resolve().parent
REPEAT = 5
SYM_STATES = 300_000
SYM_PROFILE = 150_000
MEMORY_STATES = 3_000_000
TARGET_3X2 = 200_000
TARGET_5X2 = 80_000
TARGET_BYTES = 120
TARGET_SHARE = 0.25
SYM = {"caravans": 5, "proposers": 2, "symmetry": True}
# Canonicalisation, as a profile names it with _breadth.INLINE off: renaming a next state's
# low part to its least (with the renamings that give it) and its riders after it, with the
# orbit; canonical_pair and orbit_of_canonical are the unpacked search's and the start's.
CANONICAL = ("canonical_pair", "orbit_of_canonical", "canonical_riders", "_sorting_renamings")


def _cpu_rate(options: dict[str, Any], max_states: int | None = None, **kw: Any) -> Any:
    model = Model(ExploreOptions(**options))
    started = time.process_time()
    result = search(model, max_states=max_states, **kw)
    seconds = time.process_time() - started
    return result, result.states / seconds, seconds


def canonical_share() -> float:
    """Share of a profiled 5x2 symmetric search spent in canonicalisation (and orbits)."""
    _breadth.INLINE = False
    try:
        profile = cProfile.Profile()
        model = Model(ExploreOptions(**SYM))
        profile.enable()
        search(model, max_states=SYM_PROFILE)
        profile.disable()
    finally:
        _breadth.INLINE = True
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    spent = sum(entry[3] for (_, _, name), entry in stats.items() if name in CANONICAL)
    return spent / total


def memory() -> dict[str, Any]:
    """Bytes per stored state, in a fresh process (see ``_memory.py``)."""
    done = subprocess.run(
        [sys.executable, str(HERE / "_memory.py"), json.dumps(SYM), str(MEMORY_STATES)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main() -> dict[str, Any]:
    out: dict[str, Any] = {}
    # 3 caravans, 2 proposers: complete searches.
    rates, states = [], 0
    for _ in range(REPEAT):
        result, rate, _ = _cpu_rate({"caravans": 3, "proposers": 2})
        rates.append(rate)
        states = result.states
    out["explore_3x2_states_per_s"] = spread(rates)
    out["explore_3x2_states"] = states
    out["explore_3x2_transitions"] = result.transitions
    out["explore_3x2_target_states_per_s"] = TARGET_3X2
    # 5 caravans, 2 proposers, symmetry: the first SYM_STATES states.
    rates = []
    for _ in range(REPEAT):
        result, rate, _ = _cpu_rate(SYM, SYM_STATES)
        rates.append(rate)
    out["explore_5x2_symmetry_states_per_s"] = spread(rates)
    out["explore_5x2_symmetry_states"] = result.states
    out["explore_5x2_symmetry_target_states_per_s"] = TARGET_5X2
    mem = [memory() for _ in range(2)]
    out["explore_5x2_symmetry_bytes_per_state"] = spread([m["bytes_per_state"] for m in mem])
    out["explore_5x2_symmetry_peak_bytes_per_state"] = spread(
        [m["peak_bytes_per_state"] for m in mem]
    )
    out["explore_5x2_symmetry_memory_states"] = mem[0]["states"]
    out["explore_5x2_symmetry_target_bytes_per_state"] = TARGET_BYTES
    out["explore_5x2_canonical_share"] = round(canonical_share(), 3)
    out["explore_5x2_canonical_share_target"] = TARGET_SHARE
    # Partial-order reduction on complete searches.
    for name, options in (
        ("3x2", {"caravans": 3, "proposers": 2}),
        ("5x1_symmetry", {"caravans": 5, "proposers": 1, "symmetry": True}),
        ("3x1_loss_dup_crash", {"proposers": 1, "loss": True, "duplicate": True, "crashes": 1}),
    ):
        plain, _, plain_s = _cpu_rate(options)
        reduced, _, por_s = _cpu_rate(options, por=True)
        assert reduced.states == plain.states and reduced.complete
        out[f"explore_por_{name}"] = {
            "states": plain.states,
            "moves": plain.transitions,
            "moves_tried_with_por": reduced.transitions,
            "moves_asleep": reduced.pruned,
            "reduction_factor": round(plain.transitions / reduced.transitions, 3),
            "cpu_seconds": round(plain_s, 2),
            "cpu_seconds_with_por": round(por_s, 2),
        }
    # Workers: wall clock, 1 and 2 processes, the 3x2 search.
    walls: dict[int, list[float]] = {1: [], 2: []}
    counts: dict[int, int] = {}
    for _ in range(3):
        for workers in (1, 2):
            model = Model(ExploreOptions(caravans=3, proposers=2))
            started = time.perf_counter()
            result = search(model, workers=workers)
            walls[workers].append(time.perf_counter() - started)
            counts[workers] = result.states
    assert counts[1] == counts[2]
    out["explore_workers"] = {
        "config": "3 caravans, 2 proposers",
        "states_1_process": counts[1],
        "states_2_processes": counts[2],
        "wall_seconds_1": spread(walls[1], 2),
        "wall_seconds_2": spread(walls[2], 2),
        "speedup": round(statistics.median(walls[1]) / statistics.median(walls[2]), 2),
    }
    # Issue 3's figures, kept.
    out["explore_states_per_s"] = out["explore_3x2_states_per_s"]["median"]
    out["explore_states"] = states
    plain, _, plain_s = _cpu_rate({"caravans": 5, "proposers": 1})
    sym, _, sym_s = _cpu_rate({"caravans": 5, "proposers": 1, "symmetry": True})
    out["explore_symmetry_states"] = sym.states
    out["explore_symmetry_plain_states"] = plain.states
    out["explore_symmetry_fewer"] = round(plain.states / sym.states, 1)
    out["explore_symmetry_cpu_seconds"] = round(sym_s, 2)
    out["explore_symmetry_plain_cpu_seconds"] = round(plain_s, 2)
    full = HERE / "explore_full.json"
    if full.exists():
        out["explore_5x2_full"] = json.loads(full.read_text(encoding="utf-8"))
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
