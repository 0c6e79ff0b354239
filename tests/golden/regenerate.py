"""Write the golden traces: every scenario in ``scenarios/`` with seeds 1, 2 and 3.

Theory of operation
-------------------
The golden traces pin the simulator's behaviour byte for byte. They were first
written by the simulator as it stood *before* its hot loop was optimised, and
``tests/test_sim_golden.py`` compares every optimisation against them. Run this
script again only for a deliberate change of behaviour (a protocol fix, a new
trace field), never to make a speed-up pass: a speed-up must not change a byte.

    .venv/bin/python tests/golden/regenerate.py
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from desert_paxos.scenario import load_scenario_file
from desert_paxos.sim import Simulation
from desert_paxos.trace import TraceWriter

GOLDEN = Path(__file__).parent
SEEDS = (1, 2, 3)


def golden_cases() -> list[tuple[Path, int, Path]]:
    """(scenario file, seed, golden trace file) for every pinned run."""
    return [
        (scenario, seed, GOLDEN / f"{scenario.stem}-seed{seed}.jsonl")
        for scenario in sorted((GOLDEN / "scenarios").glob("*.json"))
        for seed in SEEDS
    ]


def trace_text(
    scenario_path: Path,
    seed: int,
    writer: Callable[[IO[str]], Callable[[dict[str, Any]], None]] = TraceWriter,
    others: tuple[Callable[[dict[str, Any]], None], ...] = (),
) -> str:
    """The trace ``writer`` writes for one scenario and seed (beside ``others``), as one string."""
    out = io.StringIO()
    observers = [writer(out), *others]
    Simulation(load_scenario_file(scenario_path), seed=seed, observers=observers).run()
    return out.getvalue()


def main() -> None:
    for scenario, seed, target in golden_cases():
        target.write_text(trace_text(scenario, seed), encoding="utf-8", newline="\n")
        print(f"wrote {target.relative_to(GOLDEN.parent.parent)}")


if __name__ == "__main__":
    main()
