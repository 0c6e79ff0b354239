"""The whole state space of ``explore --caravans 5 --proposers 2 --symmetry``, searched once.

Theory of operation
-------------------
Too long for ``make bench``, so it is run by hand, once, and its figures are
kept in ``benchmarks/explore_full.json`` (with the commit and the machine);
``run.py`` copies them into ``results.json`` as they are. The search is the
command's own breadth-first search, one process, bounded by ``--max-states``
(default 150,000,000: about 21 GB at the 140 bytes a state measured) and by
``--hours``; a line of progress goes to stderr every minute and to the JSON file
every ten, so a search that the machine cannot finish still says what it
reached. Peak memory is the process's own (``ru_maxrss``).

    .venv/bin/python benchmarks/explore_full.py [--max-states N] [--hours H] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from desert_paxos.explore import ExploreOptions, Model, search

HERE = Path(__file__).resolve().parent
OUT = HERE / "explore_full.json"


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    )
    return done.stdout.strip() or "unknown"


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _write(out: Path, figures: dict[str, Any]) -> None:
    partial = out.with_name(out.name + ".tmp")
    partial.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--max-states", type=int, default=150_000_000)
    parser.add_argument("--hours", type=float, default=12.0, help="stop after this long")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    options = ExploreOptions(caravans=5, proposers=2, symmetry=True)
    figures: dict[str, Any] = {
        "config": "explore --caravans 5 --proposers 2 --symmetry",
        "commit": _commit(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "max_states": args.max_states,
        "hours_bound": args.hours,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "finished": False,
    }
    started = time.perf_counter()
    cpu_started = time.process_time()
    deadline = started + args.hours * 3600
    last_file = started

    def progress(states: int, transitions: int, depth: int, seconds: float) -> None:
        nonlocal last_file
        now = time.perf_counter()
        cpu = time.process_time() - cpu_started
        print(
            f"  {states:,} states, {transitions:,} transitions, depth {depth}, "
            f"{seconds:,.0f} s wall, {cpu:,.0f} s cpu, peak {_peak_bytes() / 2**30:.1f} GiB",
            file=sys.stderr,
            flush=True,
        )
        if now - last_file >= 600:
            last_file = now
            figures.update(
                reached_states=states,
                reached_transitions=transitions,
                reached_depth=depth,
                wall_seconds=round(seconds),
                cpu_seconds=round(cpu),
                peak_bytes=_peak_bytes(),
            )
            _write(args.out, figures)
        if now > deadline:
            raise KeyboardInterrupt  # the search keeps what it covered and says so

    model = Model(options)
    result = search(model, max_states=args.max_states, progress=progress, progress_every=60.0)
    cpu = time.process_time() - cpu_started
    figures.update(
        finished=result.complete,
        stopped=result.stopped,
        violation=result.violation,
        states=result.states,
        transitions=result.transitions,
        depth=result.depth,
        symmetric_states=result.symmetric_states,
        wall_seconds=round(result.seconds, 1),
        cpu_seconds=round(cpu, 1),
        states_per_cpu_s=round(result.states / cpu) if cpu else None,
        peak_bytes=_peak_bytes(),
        peak_bytes_per_state=round(_peak_bytes() / max(1, result.states)),
        finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    _write(args.out, figures)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
