"""How long the linearizability checker takes on a 10,000-operation history over 5 keys.

Theory of operation
-------------------
Issue 13's target: a 10,000-operation, 5-key history from the simulator checked
in under 2 s. The Multi-Paxos simulator does not exist yet, so until it does the
history comes from a small deterministic simulation of our own here (replace it
with a recorded journey then): one atomic store of five keys and ``CLIENTS``
clients, on integer time with one ``random.Random(SEED)``. Each client thinks,
invokes a read (half the time), a write of a fresh value or a cas from the value
it last read; the operation takes effect on the store at a drawn moment after
the invocation and is answered a drawn while later. About one answer in a
hundred is lost: the client records ``info`` (the operation did take effect,
the history cannot say so) and comes back as a new process, since a process
invokes nothing after an unknown outcome. Histories from such a store are
linearizable by construction, so every search runs to its end.

The history is written as JSON Lines text (the format ``desert-paxos
linearizable`` reads) and measured two ways, each ``RUNS`` times (min, median,
max of wall time on ``time.perf_counter``): the check of the parsed history
alone (the target), and reading the text plus the check. ``main()`` returns the
figures (``make bench`` keeps them in ``results.json``). The same is measured
for ``CROWDED`` clients, three times as many operations in flight at once, for
comparison (no target).

    .venv/bin/python benchmarks/bench_linearizable.py
"""

from __future__ import annotations

import heapq
import json
import random
import statistics
import time
from typing import Any

from desert_paxos.check import check_history, parse_history
from figures import spread

OPERATIONS = 10_000
KEYS = ("water", "dates", "salt", "tea", "rope")
CLIENTS = 10  # about two operations in flight per key: the target's workload
CROWDED = 30  # about six per key, measured beside it for comparison (no target)
SEED = 13
RUNS = 5
LOST = 0.01  # the share of answers lost (info)
TARGET_SECONDS = 2.0


def simulate(
    operations: int = OPERATIONS, seed: int = SEED, clients: int = CLIENTS
) -> list[dict[str, Any]]:
    """The events of ``operations`` operations by ``clients`` concurrent clients of one
    atomic store."""
    rng = random.Random(seed)
    store: dict[str, int] = {}
    events: list[dict[str, Any]] = []
    agenda: list[tuple[int, int, str, int]] = []  # (time, order, what, client)
    order = 0
    last_read: dict[int, dict[str, int | None]] = {}
    doing: dict[int, dict[str, Any]] = {}
    process_of = list(range(clients))
    fresh, invoked, written = clients, 0, 0

    def later(at: int, what: str, client: int) -> None:
        nonlocal order
        order += 1
        heapq.heappush(agenda, (at, order, what, client))

    for client in range(clients):
        later(rng.randint(0, 5), "invoke", client)
    while agenda:
        now, _, what, client = heapq.heappop(agenda)
        process = process_of[client]
        if what == "invoke":
            if invoked == operations:
                continue
            invoked += 1
            key = rng.choice(KEYS)
            roll = rng.random()
            value: Any = None
            if roll < 0.5:
                f = "read"
            elif roll < 0.8:
                f, written = "write", written + 1
                value = written
            else:
                f, written = "cas", written + 1
                value = [last_read.get(client, {}).get(key), written]
            doing[client] = {"f": f, "key": key, "value": value}
            events.append(
                {"process": process, "type": "invoke", "f": f, "key": key, "value": value}
            )
            later(now + rng.randint(1, 20), "effect", client)
        elif what == "effect":
            op = doing[client]
            key, current = op["key"], store.get(op["key"])
            if op["f"] == "read":
                op["type"], op["out"] = "ok", current
                last_read.setdefault(client, {})[key] = current
            elif op["f"] == "write":
                store[key] = op["value"]
                op["type"], op["out"] = "ok", op["value"]
            else:
                matched = current == op["value"][0]
                if matched:
                    store[key] = op["value"][1]
                op["type"], op["out"] = ("ok" if matched else "fail"), op["value"]
            later(now + rng.randint(1, 20), "answer", client)
        else:
            op = doing.pop(client)
            kind = "info" if rng.random() < LOST else op["type"]
            event = {"process": process, "type": kind, "f": op["f"], "key": op["key"]}
            event["value"] = None if kind == "info" else op["out"]
            events.append(event)
            if kind == "info":  # the client gives up on it and comes back as a new process
                process_of[client], fresh = fresh, fresh + 1
                last_read.pop(client, None)
            later(now + rng.randint(0, 10), "invoke", client)
    return events


def _times(work: Any) -> list[float]:
    seconds = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return seconds


def _line(what: str, seconds: list[float]) -> str:
    return (
        f"{what}: min {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s, "
        f"max {max(seconds):.3f} s over {RUNS} runs"
    )


def measure(clients: int) -> dict[str, Any]:
    """Print the figures for ``clients`` clients, and return them (seconds as spreads)."""
    lines = [json.dumps(e) for e in simulate(clients=clients)]
    history = parse_history(lines, "kv")
    result = check_history(history)
    counts = result.counts()
    print(
        f"{clients} clients: {counts['operations']:,} operations on {counts['keys']} keys "
        f"({counts['ok']:,} ok, {counts['fail']:,} fail, {counts['info']:,} info), "
        f"{len(lines):,} lines; verdict {result.verdict}, {counts['states']:,} states"
    )
    assert result.verdict == "linearizable", "a history of one atomic store must be linearizable"
    check_only = _times(lambda: check_history(history))
    with_reading = _times(lambda: check_history(parse_history(lines, "kv")))
    print("  " + _line("check", check_only))
    print("  " + _line("read + check", with_reading))
    return {
        "clients": clients,
        "operations": counts["operations"],
        "keys": counts["keys"],
        "info": counts["info"],
        "states": counts["states"],
        "verdict": result.verdict,
        "check_seconds": spread(check_only, 3),
        "read_and_check_seconds": spread(with_reading, 3),
    }


def main() -> dict[str, Any]:
    target = measure(CLIENTS)
    median = target["check_seconds"]["median"]
    verdict = "met" if median < TARGET_SECONDS else "missed"
    print(f"target: the check under {TARGET_SECONDS:g} s with {CLIENTS} clients — {verdict}")
    crowded = measure(CROWDED)
    return {
        "linearizable_check_seconds": target["check_seconds"],
        "linearizable_target_seconds": TARGET_SECONDS,
        "linearizable_operations": target["operations"],
        "linearizable": target,
        "linearizable_crowded": crowded,
    }


if __name__ == "__main__":
    main()
