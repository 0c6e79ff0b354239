"""``make bench``: how fast the desert runs, measured against SimPy in the same process.

Theory of operation
-------------------
Every figure is the median of several samples; the samples of the simulator
and of the two SimPy models are interleaved (ours, lean, idiomatic, traced, then
again), so a burst of load from another process on the machine hurts all of
them alike instead of one. The spread (min and max) is recorded next to each
median so noise can be judged.

The workload figures are deliveries per second of *CPU time* of this process
(``time.process_time``): the machine is shared, and CPU time leaves out the
moments another process had the core. Wall-clock rates are recorded beside
them (``wall``); on an idle machine the two agree within a few percent.

1. The standard workload (see ``workload.py``): the simulator with tracing off,
   the lean and the idiomatic SimPy models (see ``simpy_models.py``), and the
   simulator writing its trace to a file. Their tallies are compared: the lean
   model must match ours exactly; the idiomatic one is reported.
2. ``desert-paxos run calm-day --log-level quiet`` as a whole process, wall
   time, with the bytecode cache written once beforehand, as any installed
   program has it; and once more with an empty cache (every module compiled).
3. ``import desert_paxos.protocol`` in a fresh interpreter (``-X importtime``).
4. The figures of ``bench_explore.py``, ``bench_swarm.py``, ``bench_goto.py``,
   ``bench_journey.py`` (the journey's committed requests per second),
   ``bench_viewer.py``, ``bench_serve.py``, ``bench_linearizable.py`` (a 10,000-operation
   history checked) and ``bench_budget.py`` (events per CPU second however a run is
   watched) (each ``main()`` returns a dict), when they exist.

Everything lands in ``benchmarks/results.json`` with the machine and Python.

    .venv/bin/python benchmarks/run.py [--rounds 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workload import ROUNDS, Tally, round_scenario, run_simulator

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
EXTRA_BENCHES = (
    "bench_explore",
    "bench_swarm",
    "bench_goto",
    "bench_viewer",
    "bench_serve",  # the live page at 10,000 events: milliseconds per interaction (issue 10)
    "bench_journey",  # the long journey: committed requests per second
    "bench_linearizable",  # issue 13: a 10,000-operation history checked in under 2 s
    "bench_budget",  # run's default event budget: events per CPU second, however watched
)

# Issue 11's headline figures, copied to the top level of results.json from their sections.
TOP_LEVEL = (
    ("bench_explore", "explore_3x2_states_per_s"),
    ("bench_explore", "explore_5x2_symmetry_states_per_s"),
    ("bench_explore", "explore_5x2_symmetry_bytes_per_state"),
    ("bench_goto", "repl_record_us_per_step"),
    ("bench_goto", "repl_record_bytes_per_event"),
    ("bench_swarm", "swarm_seeds_per_s_per_core"),
)

TARGET_RATIO = 1.0
TARGET_TRACED_RATIO = 0.5
TARGET_CALM_DAY_MS = 150.0


def _median_spread(samples: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def _timed(work: Callable[[], Tally]) -> tuple[float, float, Tally]:
    """(CPU seconds, wall seconds, tally) of one run of ``work``."""
    cpu, wall = time.process_time(), time.perf_counter()
    tally = work()
    return time.process_time() - cpu, time.perf_counter() - wall, tally


def measure_workload(rounds: int, repeat: int) -> dict[str, Any]:
    from simpy_models import run_idiomatic, run_lean

    scenario = round_scenario()
    seconds: dict[str, list[float]] = {"sim": [], "lean": [], "idiomatic": [], "traced": []}
    wall: dict[str, list[float]] = {name: [] for name in seconds}
    tallies: dict[str, Tally] = {}
    trace_bytes = 0
    with tempfile.TemporaryDirectory(prefix="desert-bench-") as tmp:
        trace_path = Path(tmp) / "bench.trace.jsonl"

        def traced() -> Tally:
            with open(trace_path, "w", encoding="utf-8", newline="\n") as stream:
                return run_simulator(rounds, stream)

        runs: dict[str, Callable[[], Tally]] = {
            "sim": lambda: run_simulator(rounds),
            "lean": lambda: run_lean(scenario, rounds),
            "idiomatic": lambda: run_idiomatic(scenario, rounds),
            "traced": traced,
        }
        for sample in range(repeat):
            for name, work in runs.items():
                cpu, elapsed, tally = _timed(work)
                seconds[name].append(cpu)
                wall[name].append(elapsed)
                tallies[name] = tally
                print(
                    f"  sample {sample + 1}/{repeat}  {name:<10} {cpu:7.3f} s cpu "
                    f"{elapsed:7.3f} s wall  {tally.deliveries / cpu:>10,.0f} deliveries/s",
                    flush=True,
                )
        trace_bytes = trace_path.stat().st_size
    deliveries = tallies["sim"].deliveries
    rates = {name: deliveries / statistics.median(s) for name, s in seconds.items()}
    wall_rates = {name: deliveries / statistics.median(s) for name, s in wall.items()}
    return {
        "rounds": rounds,
        "repeat": repeat,
        "tally": {name: tally_dict(t) for name, t in tallies.items()},
        "lean_matches_sim": tallies["lean"] == tallies["sim"],
        "idiomatic_matches_sim": tallies["idiomatic"] == tallies["sim"],
        "traced_matches_sim": tallies["traced"] == tallies["sim"],
        "cpu_seconds": {name: _median_spread(s) for name, s in seconds.items()},
        "wall_seconds": {name: _median_spread(s) for name, s in wall.items()},
        "deliveries_per_s": rates,
        "wall_deliveries_per_s": wall_rates,
        "trace_bytes": trace_bytes,
    }


def tally_dict(tally: Tally) -> dict[str, int]:
    return {
        "rounds": tally.rounds,
        "deliveries": tally.deliveries,
        "decided_rounds": tally.decided_rounds,
        "sent": tally.sent,
        "lost": tally.lost,
    }


def _environment(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _wall_ms(
    command: list[str], env: dict[str, str], repeat: int, cpu: list[float] | None = None
) -> list[float]:
    """Wall milliseconds of ``repeat`` runs of ``command``; each run's CPU milliseconds
    (user + system, from the children's resource usage) appended to ``cpu`` if given."""
    samples = []
    for _ in range(repeat):
        used = _children_cpu()
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        samples.append((time.perf_counter() - start) * 1000.0)
        if cpu is not None:
            cpu.append((_children_cpu() - used) * 1000.0)
    return samples


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_calm_day(repeat: int) -> dict[str, Any]:
    """Wall time of the whole ``desert-paxos run calm-day --log-level quiet`` process."""
    command = [str(Path(sys.executable).parent / "desert-paxos"), "run", "calm-day"]
    command += ["--log-level", "quiet"]
    cached = _environment(PYTHONDONTWRITEBYTECODE=None)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=cached)  # writes the cache
    warm_cpu: list[float] = []
    warm = _wall_ms(command, cached, repeat, warm_cpu)
    with tempfile.TemporaryDirectory(prefix="desert-pycache-") as empty:
        cold_env = _environment(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=empty)
        cold = _wall_ms(command, cold_env, max(3, repeat // 2))
    bare = _wall_ms([sys.executable, "-c", "pass"], cached, repeat)
    return {
        "wall_ms": _median_spread(warm),
        # The process's own CPU time: what a loaded machine cannot inflate.
        "cpu_ms": _median_spread(warm_cpu),
        "no_bytecode_cache_wall_ms": _median_spread(cold),
        "bare_python_ms": _median_spread(bare),
    }


def measure_import(module: str, repeat: int) -> dict[str, Any]:
    """Cumulative import time of ``module`` in a fresh interpreter, from ``-X importtime``."""
    samples = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            check=True,
            capture_output=True,
            text=True,
            env=_environment(PYTHONDONTWRITEBYTECODE=None),
        )
        for line in done.stderr.splitlines():
            parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
            if len(parts) == 3 and parts[2] == module:
                samples.append(int(parts[1]) / 1000.0)
    return {"ms": _median_spread(samples)}


def run_extra_benches() -> dict[str, Any]:
    """Figures from the other benchmark modules that exist; a note for the absent ones."""
    figures: dict[str, Any] = {}
    for name in EXTRA_BENCHES:
        if not (HERE / f"{name}.py").exists():
            print(f"  {name}.py: not present yet, skipped")
            figures[name] = {"skipped": f"benchmarks/{name}.py does not exist yet"}
            continue
        print(f"  {name}.py ...", flush=True)
        try:
            figures[name] = importlib.import_module(name).main()
        except Exception as exc:  # one broken extra must not lose the other figures
            print(f"  {name}.py failed: {type(exc).__name__}: {exc}")
            figures[name] = {"failed": f"{type(exc).__name__}: {exc}"}
    return figures


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE.parent)
    return done.stdout.strip()


def provenance() -> dict[str, Any]:
    """The commit measured and the source files that differed from it."""
    changed = _git("status", "--porcelain", "--", "src", "benchmarks")
    return {
        "commit": _git("rev-parse", "--short", "HEAD") or "unknown",
        "uncommitted": sorted(line[3:] for line in changed.splitlines() if line.strip()),
    }


def headline(results: dict[str, Any]) -> None:
    """Copy ``TOP_LEVEL`` figures from their sections to the top of ``results``."""
    for section, key in TOP_LEVEL:
        figures = results.get(section)
        if isinstance(figures, dict) and key in figures:
            results[key] = figures[key]


def write_results(out: Path, results: dict[str, Any]) -> None:
    """Write ``results`` atomically, then the docs' tables from it."""
    partial = out.with_name(out.name + ".tmp")
    partial.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, out)
    if out.resolve() == RESULTS.resolve():
        from tables import main as write_tables

        write_tables([])


def update_full(out: Path) -> int:
    """Copy the whole-space run's figures (measured by explore_full.py) into ``out``."""
    try:
        results = json.loads(out.read_text(encoding="utf-8"))
        full = json.loads((HERE / "explore_full.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"benchmarks/run.py: {exc}", file=sys.stderr)
        return 2
    results.setdefault("bench_explore", {})["explore_5x2_full"] = full
    write_results(out, results)
    print(f"updated {out}")
    return 0


def update_extras(out: Path) -> int:
    """Re-run only the other benchmarks and merge their figures into ``out``."""
    try:
        results = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(
            f"benchmarks/run.py: cannot read {out} ({exc}); run make bench first", file=sys.stderr
        )
        return 2
    print("other benchmarks:")
    load = os.getloadavg()[0]
    results.update(run_extra_benches())
    results.update(provenance())
    results["load_average"] = {"start": load, "end": os.getloadavg()[0]}
    headline(results)
    write_results(out, results)
    print(f"updated {out}")
    return 0


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="rounds of the standard workload"
    )
    parser.add_argument("--repeat", type=int, default=5, help="samples per figure (median)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument(
        "--no-extras", action="store_true", help="skip bench_explore/swarm/goto/viewer"
    )
    parser.add_argument(
        "--full-only",
        action="store_true",
        help="copy benchmarks/explore_full.json (explore_full.py's figures) into --out, and the tables",
    )
    parser.add_argument(
        "--extras-only",
        action="store_true",
        help="run only bench_explore/swarm/goto/viewer and update their figures in --out",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.repeat < 1:
        parser.error("--rounds and --repeat must be at least 1")
    if args.extras_only:
        return update_extras(args.out)
    if args.full_only:
        return update_full(args.out)

    began, load = time.perf_counter(), os.getloadavg()[0]
    print(f"standard workload: {args.rounds} rounds, {args.repeat} samples each")
    work = measure_workload(args.rounds, args.repeat)
    print("desert-paxos run calm-day --log-level quiet ...", flush=True)
    calm = measure_calm_day(max(args.repeat, 7))
    imports = measure_import("desert_paxos.protocol", max(args.repeat, 7))
    print("other benchmarks:")
    extras = {} if args.no_extras else run_extra_benches()

    rates = work["deliveries_per_s"]
    ratio = rates["sim"] / rates["lean"]
    traced_ratio = rates["traced"] / rates["lean"]
    results: dict[str, Any] = {
        **provenance(),
        "sim_deliveries_per_s": round(rates["sim"]),
        "simpy_lean_deliveries_per_s": round(rates["lean"]),
        "simpy_idiomatic_deliveries_per_s": round(rates["idiomatic"]),
        "traced_deliveries_per_s": round(rates["traced"]),
        "wall_ratio_vs_simpy_lean": round(
            work["wall_deliveries_per_s"]["sim"] / work["wall_deliveries_per_s"]["lean"], 3
        ),
        "wall_traced_ratio_vs_simpy_lean": round(
            work["wall_deliveries_per_s"]["traced"] / work["wall_deliveries_per_s"]["lean"], 3
        ),
        "ratio_vs_simpy_lean": round(ratio, 3),
        "ratio_vs_simpy_idiomatic": round(rates["sim"] / rates["idiomatic"], 3),
        "traced_ratio_vs_simpy_lean": round(traced_ratio, 3),
        "run_calm_day_wall_ms": round(calm["wall_ms"]["median"], 1),
        "run_calm_day_cpu_ms": round(calm["cpu_ms"]["median"], 1),
        "run_calm_day_no_bytecode_cache_wall_ms": round(
            calm["no_bytecode_cache_wall_ms"]["median"], 1
        ),
        "import_protocol_ms": round(imports["ms"]["median"], 2),
        "targets": {
            "ratio_vs_simpy_lean": TARGET_RATIO,
            "traced_ratio_vs_simpy_lean": TARGET_TRACED_RATIO,
            "run_calm_day_wall_ms": TARGET_CALM_DAY_MS,
        },
        "workload": work,
        "run_calm_day": calm,
        "import_protocol": imports,
        **extras,
        "machine": machine(),
        "command": " ".join(
            ["make bench:", "benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)]
        ),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    results["load_average"] = {"start": load, "end": os.getloadavg()[0]}
    results["bench_seconds"] = round(time.perf_counter() - began)
    headline(results)
    write_results(args.out, results)

    tally = work["tally"]["sim"]
    print()
    print(
        f"workload: {tally['rounds']} rounds, {tally['deliveries']} deliveries, "
        f"{tally['decided_rounds']} decided"
    )
    print("deliveries per CPU second (median):")
    print(f"  simulator, tracing off   {rates['sim']:>12,.0f} deliveries/s")
    print(f"  SimPy lean               {rates['lean']:>12,.0f} deliveries/s")
    print(f"  SimPy idiomatic          {rates['idiomatic']:>12,.0f} deliveries/s")
    print(f"  simulator, trace to file {rates['traced']:>12,.0f} deliveries/s")
    print(
        f"ratio vs SimPy lean        {ratio:6.2f}x   (target >= {TARGET_RATIO}: {_verdict(ratio >= TARGET_RATIO)})"
    )
    print(
        f"traced ratio vs SimPy lean {traced_ratio:6.2f}x   "
        f"(target >= {TARGET_TRACED_RATIO}: {_verdict(traced_ratio >= TARGET_TRACED_RATIO)})"
    )
    print(f"ratio vs SimPy idiomatic   {rates['sim'] / rates['idiomatic']:6.2f}x")
    print(
        f"(by wall clock: {results['wall_ratio_vs_simpy_lean']:.2f}x untraced, "
        f"{results['wall_traced_ratio_vs_simpy_lean']:.2f}x traced)"
    )
    same = "same" if work["lean_matches_sim"] else "DIFFERENT"
    print(f"lean SimPy tally: {same} as ours")
    if not work["idiomatic_matches_sim"]:
        print(f"idiomatic SimPy tally differs (see simpy_models.py): {work['tally']['idiomatic']}")
    wall = calm["wall_ms"]["median"]
    print(
        f"run calm-day --log-level quiet: {wall:.0f} ms wall "
        f"(target < {TARGET_CALM_DAY_MS:.0f}: {_verdict(wall < TARGET_CALM_DAY_MS)}; "
        f"bare python {calm['bare_python_ms']['median']:.0f} ms; "
        f"{calm['no_bytecode_cache_wall_ms']['median']:.0f} ms with no bytecode cache)"
    )
    print(f"import desert_paxos.protocol: {imports['ms']['median']:.1f} ms")
    for name, figures in extras.items():
        shown = ", ".join(f"{k}={v}" for k, v in figures.items() if not isinstance(v, dict | list))
        print(f"{name}: {shown}")
    print(f"wrote {args.out}")
    return 0 if work["lean_matches_sim"] and work["traced_matches_sim"] else 1


if __name__ == "__main__":
    sys.exit(main())
