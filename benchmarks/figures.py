"""The benchmarks' figures, and the tables the docs show of them.

Theory of operation
-------------------
Every ``bench_*.py`` reports a spread as :func:`spread` makes it (``{median, min,
max, samples}``). ``run.py`` writes all figures into ``results.json``;
:func:`tables` renders the tables the README and ``docs/performance.md`` show
from that file alone, and ``tables.py`` writes them into those files between
markers (``<!-- bench:NAME -->`` ... ``<!-- /bench:NAME -->``), so a figure in the
docs is always the measured one; ``tests/test_bench_tables.py`` checks that the
docs hold exactly what :func:`tables` renders.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
DOCS = (ROOT / "README.md", ROOT / "docs" / "performance.md")
_BLOCK = re.compile(
    r"(<!-- bench:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)", re.S
)


def spread(samples: list[float], digits: int = 0) -> dict[str, Any]:
    """``{median, min, max, samples}`` of ``samples``, rounded to ``digits``."""

    def r(value: float) -> float:
        return round(value, digits) if digits else round(value)

    return {
        "median": r(statistics.median(samples)),
        "min": r(min(samples)),
        "max": r(max(samples)),
        "samples": len(samples),
    }


# -- rendering --------------------------------------------------------------------------


def _num(value: Any, digits: int = 0) -> str:
    if isinstance(value, bool) or value is None:
        return "—"
    if digits:
        return f"{value:,.{digits}f}"
    return f"{round(value):,}"


def _fig(value: Any, digits: int = 0, unit: str = "") -> str:
    """A figure: a number, or its median with the spread (min–max)."""
    if isinstance(value, dict) and "median" in value:
        return (
            f"{_num(value['median'], digits)}{unit} "
            f"({_num(value['min'], digits)}–{_num(value['max'], digits)})"
        )
    if isinstance(value, int | float):
        return f"{_num(value, digits)}{unit}"
    return "not measured"


def _median(value: Any) -> float | None:
    if isinstance(value, dict) and "median" in value:
        return float(value["median"])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _verdict(value: Any, target: float, at_most: bool = False) -> str:
    m = _median(value)
    if m is None:
        return "not measured"
    met = m <= target if at_most else m >= target
    return "met" if met else "**missed**"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def find(results: dict[str, Any], key: str) -> Any:
    """A figure by name: at the top of ``results``, or else in a benchmark's own section."""
    if key in results:
        return results[key]
    for section, figures in results.items():
        if section.startswith("bench_") and isinstance(figures, dict) and key in figures:
            return figures[key]
    return None


def _machine(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    load = results.get("load_average")
    during = (
        f"; load average {load['start']:.1f} at the start, {load['end']:.1f} at the end"
        if load
        else ""
    )
    return (
        f"Measured at commit `{results.get('commit', '?')}` on {results.get('measured_at', '?')}: "
        f"{machine.get('cpus', '?')} vCPU {machine.get('processor', '?')}, "
        f"Python {machine.get('python', '?')}, shared with the other engineers' work{during}. "
        "Median (min–max) of the samples."
    )


def summary_table(results: dict[str, Any]) -> str:
    """The headline figures, with their targets."""

    def g(key: str) -> Any:
        return find(results, key)

    full = g("explore_5x2_full")
    rows: list[tuple[str, str, str, str]] = [
        ("simulator, tracing off", _fig(g("sim_deliveries_per_s"), unit=" deliveries/s"), "", ""),
        (
            "simulator vs SimPy lean",
            _fig(g("ratio_vs_simpy_lean"), 2, "x"),
            "≥ 1.0x",
            _verdict(g("ratio_vs_simpy_lean"), 1.0),
        ),
        (
            "traced simulator vs SimPy lean",
            _fig(g("traced_ratio_vs_simpy_lean"), 2, "x"),
            "≥ 0.5x",
            _verdict(g("traced_ratio_vs_simpy_lean"), 0.5),
        ),
        (
            "`run calm-day --log-level quiet`, whole process",
            _fig(g("run_calm_day_wall_ms"), 0, " ms"),
            "< 150 ms",
            _verdict(g("run_calm_day_wall_ms"), 150, at_most=True),
        ),
        (
            "explorer, 3 caravans / 2 proposers",
            _fig(g("explore_3x2_states_per_s"), unit=" states/s"),
            "≥ 200,000",
            _verdict(g("explore_3x2_states_per_s"), 200_000),
        ),
        (
            "explorer, 5 caravans / 2 proposers / symmetry",
            _fig(g("explore_5x2_symmetry_states_per_s"), unit=" states/s"),
            "≥ 80,000",
            _verdict(g("explore_5x2_symmetry_states_per_s"), 80_000),
        ),
        (
            f"memory per stored state (5x2, symmetry, {_num(g('explore_5x2_symmetry_memory_states'))}"
            " states)",
            _fig(g("explore_5x2_symmetry_bytes_per_state"), unit=" bytes"),
            "≤ 120 bytes",
            _verdict(g("explore_5x2_symmetry_bytes_per_state"), 120, at_most=True),
        ),
        (
            "the same, at its peak (a dictionary resizing, the next level's list)",
            _fig(g("explore_5x2_symmetry_peak_bytes_per_state"), unit=" bytes"),
            "",
            "",
        ),
        (
            "canonicalisation's share of the 5x2 profile",
            _fig(_pct(g("explore_5x2_canonical_share")), 0, "%"),
            "< 25%",
            _verdict(_pct(g("explore_5x2_canonical_share")), 25, at_most=True),
        ),
        (
            "whole 5x2 symmetric state space",
            _full(full),
            "explored, count and time known",
            "met" if isinstance(full, dict) and full.get("finished") else "**missed**",
        ),
        (
            "REPL recording, over the bare simulator",
            _fig(g("repl_record_us_per_step"), 1, " µs/step"),
            "≤ 4 µs/step",
            _verdict(g("repl_record_us_per_step"), 4, at_most=True),
        ),
        (
            "REPL recording, memory",
            _fig(g("repl_record_bytes_per_event"), 0, " bytes/event"),
            "≤ 200 bytes/event",
            _verdict(g("repl_record_bytes_per_event"), 200, at_most=True),
        ),
        (
            "`/run` to 1,000,000 events",
            _fig(g("repl_run_1m_seconds"), 1, " s"),
            "< 10 s",
            _verdict(g("repl_run_1m_seconds"), 10, at_most=True),
        ),
        (
            "`/goto` anywhere in that record (slowest)",
            _fig(g("goto_ms"), 0, " ms"),
            "< 200 ms",
            _verdict(g("goto_ms"), 200, at_most=True),
        ),
        (
            "`/goto` past the recorded end (5,000 ticks)",
            _fig(g("goto_past_end_ms"), 0, " ms"),
            "< 200 ms",
            _verdict(g("goto_past_end_ms"), 200, at_most=True),
        ),
        (
            "swarm, default deserts, one core",
            _fig(g("swarm_seeds_per_s_per_core"), unit=" seeds/s"),
            "≥ 4,000",
            _verdict(g("swarm_seeds_per_s_per_core"), 4000),
        ),
        (
            "swarm, per-seed overhead (draw, build, start)",
            _overhead(results),
            "reported",
            "",
        ),
    ]
    lines = [_machine(results), "", "| figure | measured | target | |", "| --- | --- | --- | --- |"]
    lines += [_row(list(row)) for row in rows]
    return "\n".join(lines) + "\n"


def _pct(value: Any) -> Any:
    if isinstance(value, dict) and "median" in value:
        return {k: v * 100 if k in ("median", "min", "max") else v for k, v in value.items()}
    if isinstance(value, int | float):
        return value * 100
    return None


def _full(full: Any) -> str:
    if not isinstance(full, dict):
        return "not measured"
    finished = bool(full.get("finished"))
    states = full.get("states", full.get("reached_states"))
    if states is None:
        return "not measured"
    transitions = full.get("transitions", full.get("reached_transitions", 0))
    depth = full.get("depth", full.get("reached_depth", "?"))
    hours = full.get("wall_seconds", 0) / 3600
    peak = full.get("peak_bytes", 0) / 2**30
    told = (
        "all" if finished else "not finished: stopped at" if full.get("stopped") else "running: at"
    )
    why = f" ({full['stopped']})" if not finished and full.get("stopped") else ""
    return (
        f"{told} {states:,} states{why}, {transitions:,} transitions, depth {depth}, "
        f"{hours:.1f} h, peak {peak:.1f} GiB"
    )


def _overhead(results: dict[str, Any]) -> str:
    def g(key: str) -> Any:
        return find(results, key)

    parts = [g(f"swarm_{phase}_us_per_seed") for phase in ("draw", "build", "start", "run")]
    if any(p is None for p in parts):
        return "not measured"
    draw, build, start, run = parts
    share = g("swarm_overhead_share") or 0.0
    return (
        f"{draw:.0f} + {build:.0f} + {start:.0f} µs of {draw + build + start + run:.0f} µs a seed "
        f"({share:.0%}; the run {run:.0f} µs)"
    )


def explorer_table(results: dict[str, Any]) -> str:
    """The explorer's figures in detail: partial-order reduction and workers."""
    lines = [
        "| search | states | moves | moves tried with `--por` | reduction | CPU s (plain, `--por`) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, label in (
        ("3x2", "3 caravans, 2 proposers"),
        ("5x1_symmetry", "5 caravans, 1 proposer, symmetry"),
        ("3x1_loss_dup_crash", "3 caravans, 1 proposer, loss, duplication, 1 crash"),
    ):
        por = find(results, f"explore_por_{name}")
        if not isinstance(por, dict):
            lines.append(_row([label, "not measured", "", "", "", ""]))
            continue
        lines.append(
            _row(
                [
                    label,
                    f"{por['states']:,}",
                    f"{por['moves']:,}",
                    f"{por['moves_tried_with_por']:,}",
                    f"{por['reduction_factor']:.2f}x",
                    f"{por['cpu_seconds']:.2f}, {por['cpu_seconds_with_por']:.2f}",
                ]
            )
        )
    workers = find(results, "explore_workers")
    if isinstance(workers, dict):
        lines += [
            "",
            f"`--workers 2` on the {workers['config']} search: {workers['states_2_processes']:,} "
            f"unique states (one process: {workers['states_1_process']:,}), "
            f"{_fig(workers['wall_seconds_2'], 2, ' s')} wall against "
            f"{_fig(workers['wall_seconds_1'], 2, ' s')}: a speed-up of "
            f"{workers['speedup']:.2f}x.",
        ]
    return "\n".join(lines) + "\n"


def repl_table(results: dict[str, Any]) -> str:
    """The REPL's recording and time travel in detail."""

    def g(key: str) -> Any:
        return find(results, key)

    goto: dict[str, Any] = results.get("bench_goto") or {}
    rows = [
        ("bare simulator, `Simulation.step`", _fig(g("repl_bare_step_us"), 2, " µs/step")),
        ("bare simulator, `Simulation.run`", _fig(g("repl_bare_run_us_per_step"), 2, " µs/step")),
        ("time machine, recording", _fig(g("repl_recorded_step_us"), 2, " µs/step")),
        ("recording's cost over `step`", _fig(g("repl_record_us_per_step"), 2, " µs/step")),
        ("memory held per recorded event", _fig(g("repl_record_bytes_per_event"), 0, " bytes")),
        (
            f"`/run` until {_num(goto.get('repl_run_1m_events'))} events",
            f"{_fig(goto.get('repl_run_1m_seconds'), 2, ' s')} wall, "
            f"{_fig(goto.get('repl_run_1m_cpu_seconds'), 2, ' s')} CPU",
        ),
        (
            "`/goto` in that record, slowest and median",
            f"{_fig(goto.get('goto_ms'), 1, ' ms')}, {_fig(goto.get('goto_ms_median'), 1, ' ms')}",
        ),
        (
            "`/goto` 5,000 ticks past the recorded end",
            f"{_fig(goto.get('goto_past_end_ms'), 1, ' ms')} "
            f"({_num(goto.get('goto_past_end_steps'))} steps live, "
            f"{_fig(goto.get('goto_past_end_us_per_step'), 1, ' µs')} a step)",
        ),
        ("`/crash` in the middle (a fork)", _fig(goto.get("goto_act_ms"), 1, " ms")),
    ]
    lines = ["| REPL | measured |", "| --- | --- |"]
    lines += [_row(list(row)) for row in rows]
    return "\n".join(lines) + "\n"


def simulator_table(results: dict[str, Any]) -> str:
    """The simulator against the SimPy models on the standard workload."""
    work = results.get("workload") or {}
    tally = (work.get("tally") or {}).get("sim") or {}
    deliveries = tally.get("deliveries")
    cpu = work.get("cpu_seconds") or {}
    labels = (
        ("sim", "simulator, tracing off"),
        ("lean", "SimPy lean (a `Timeout` per message, callbacks)"),
        ("idiomatic", "SimPy idiomatic (a process and a `Store` per caravan)"),
        ("traced", "simulator, trace written to a file"),
    )
    lines = ["| model | deliveries/s | CPU s per sample |", "| --- | --- | --- |"]
    for key, label in labels:
        seconds = cpu.get(key)
        if not deliveries or not isinstance(seconds, dict):
            lines.append(_row([label, "not measured", ""]))
            continue
        rate = {
            "median": deliveries / seconds["median"],
            "min": deliveries / seconds["max"],
            "max": deliveries / seconds["min"],
        }
        lines.append(_row([label, _fig(rate), _fig(seconds, 2)]))
    g = results.get
    lines += [
        "",
        f"Ratios to SimPy lean (medians): {_fig(g('ratio_vs_simpy_lean'), 2, 'x')} untraced, "
        f"{_fig(g('traced_ratio_vs_simpy_lean'), 2, 'x')} traced; "
        f"{_fig(g('ratio_vs_simpy_idiomatic'), 2, 'x')} against SimPy idiomatic. "
        f"`run calm-day --log-level quiet`: {_fig(_get(results, 'run_calm_day', 'wall_ms'), 0, ' ms')} "
        f"wall, whole process ({_fig(g('run_calm_day_no_bytecode_cache_wall_ms'), 0, ' ms')} with no "
        f"bytecode cache); `import desert_paxos.protocol`: "
        f"{_fig(_get(results, 'import_protocol', 'ms'), 1, ' ms')}.",
    ]
    return "\n".join(lines) + "\n"


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


TABLES: dict[str, Callable[[dict[str, Any]], str]] = {
    "summary": summary_table,
    "simulator": simulator_table,
    "explorer": explorer_table,
    "repl": repl_table,
}


def tables(results: dict[str, Any]) -> dict[str, str]:
    """Every table, by name, rendered from ``results``."""
    return {name: render(results) for name, render in TABLES.items()}


def fill(text: str, rendered: dict[str, str]) -> str:
    """``text`` with every ``bench:NAME`` block holding ``rendered[NAME]``."""

    def body(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in rendered:
            raise KeyError(f"no table named {name!r} (known: {', '.join(rendered)})")
        return match.group(1) + rendered[name] + match.group(4)

    return _BLOCK.sub(body, text)


def blocks(text: str) -> dict[str, str]:
    """The ``bench:NAME`` blocks of ``text``, by name."""
    return {m.group("name"): m.group("body") for m in _BLOCK.finditer(text)}
