"""Bytes per stored state of one explorer search, in a process of its own (for bench_explore).

    .venv/bin/python benchmarks/_memory.py '{"caravans": 5, "proposers": 2, "symmetry": true}' N

Prints JSON: the states stored; the resident set's growth from before the search to
after it over the states (what the stored states keep, the caches included: they are
bounded, so their share falls as a search grows); and the peak over the states (it
holds, besides, the last level's list and the old table of a dictionary resizing).
"""

from __future__ import annotations

import json
import resource
import sys

from desert_paxos.explore import ExploreOptions, Model, search


def resident() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmRSS in /proc/self/status")


def main() -> None:
    options = ExploreOptions(**json.loads(sys.argv[1]))
    limit = int(sys.argv[2])
    model = Model(options)
    before = resident()
    result = search(model, max_states=limit)
    after = resident()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    states = result.states
    print(
        json.dumps(
            {
                "states": states,
                "bytes_per_state": round((after - before) / states, 1),
                "peak_bytes_per_state": round((peak - before) / states, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
