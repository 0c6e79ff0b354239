"""Machine instructions per round of the standard workload: a measure noise cannot move.

Theory of operation
-------------------
Timings on a shared two-core machine swing by 30% from one minute to the next.
The number of machine instructions a run executes does not: this script runs
each model under valgrind's cachegrind (``--cache-sim=no``, so it only counts)
twice, with 0 rounds and with N rounds, and reports the difference divided by
N: the cost of one round with the interpreter's start-up taken out. That is
how every optimisation in ``docs/performance.md`` was judged before it was
timed. Instructions are not time (cache misses and branch mispredictions are
not counted), so the timed figures of ``run.py`` remain the ones that count;
this is the steady ruler beside them.

Models: ``sim`` (tracing off), ``traced`` (trace written to a file through
``SimTraceWriter``), ``lean`` and ``idiomatic`` (the SimPy models), and
``protocol``: only the calls the simulator makes into the protocol core,
recorded from the simulator's own rounds and replayed into fresh caravans,
which is the floor no interpreter of this core can go below.

    .venv/bin/python benchmarks/instructions.py [--rounds 200] [--models sim,lean]

Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workload import round_scenario, run_simulator

MODELS = ("sim", "traced", "lean", "idiomatic", "protocol")


def child(model: str, rounds: int) -> None:
    """Run one model for ``rounds`` rounds (inside valgrind)."""
    scenario = round_scenario()
    match model:
        case "sim":
            run_simulator(rounds)
        case "traced":
            with tempfile.TemporaryFile("w", encoding="utf-8", newline="\n") as stream:
                run_simulator(rounds, stream)
        case "lean" | "idiomatic":
            from simpy_models import run_idiomatic, run_lean

            (run_lean if model == "lean" else run_idiomatic)(scenario, rounds)
        case "protocol-record" | "protocol":
            calls = _record_protocol_calls(rounds)
            if model == "protocol":
                _replay(calls)


def _record_protocol_calls(rounds: int) -> list[tuple[Any, ...]]:
    """Run the simulator and write down every call it makes into a caravan."""
    from desert_paxos.protocol import Caravan

    calls: list[tuple[Any, ...]] = []
    originals = {name: getattr(Caravan, name) for name in ("__init__", "on_start", "on_message")}
    originals |= {name: getattr(Caravan, name) for name in ("on_timer", "propose")}

    def make(name: str) -> Any:
        original = originals[name]

        def recorded(self: Caravan, *args: Any) -> Any:
            calls.append((name, id(self), args))
            return original(self, *args)

        return recorded

    for name in originals:
        setattr(Caravan, name, make(name))
    try:
        run_simulator(rounds)
    finally:
        for name, original in originals.items():
            setattr(Caravan, name, original)
    return calls


def _replay(calls: list[tuple[Any, ...]]) -> None:
    from desert_paxos.protocol import Caravan

    live: dict[int, Caravan] = {}
    for name, key, args in calls:
        if name == "__init__":
            live[key] = Caravan(*args)  # a later caravan may reuse an id: it is re-created first
        else:
            getattr(live[key], name)(*args)


def count(model: str, rounds: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={Path(tmp) / 'out'}",
                sys.executable,
                __file__,
                "--child",
                model,
                str(rounds),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_round(model: str, rounds: int) -> int:
    # The protocol floor is (record + replay) - record, both with the same rounds.
    base = count("protocol-record", rounds) if model == "protocol" else count(model, 0)
    return (count(model, rounds) - base) // rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="instructions per round, under valgrind")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "ROUNDS"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="merge the figures into this results.json")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in MODELS]
    if unknown or args.rounds < 1:
        parser.error(f"models are {', '.join(MODELS)}; --rounds at least 1")
    figures = {}
    for model in models:
        figures[model] = per_round(model, args.rounds)
        print(f"{model:<10} {figures[model]:>12,} instructions per round", flush=True)
    if "sim" in figures and "lean" in figures:
        print(f"lean / sim:    {figures['lean'] / figures['sim']:.3f}")
    if "traced" in figures and "lean" in figures:
        print(f"lean / traced: {figures['lean'] / figures['traced']:.3f}")
    if args.out is not None:
        results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        results["instructions_per_round"] = {"rounds": args.rounds, "measured_at": stamp, **figures}
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
