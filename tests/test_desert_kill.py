"""Kill -9, over and over: five real caravans, acceptors SIGKILLed at random moments (also right
between a logbook write and the reply that depends on it), restarted from their logbooks.

On each merged trace: no acceptor's promise ever went down, no two campsites were chosen or
decided, and the desert decided after the last restart. At least 100 kills across the seeds.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from desert_paxos.desert import KILL_AFTER_PERSIST
from desert_paxos.protocol import DEFAULT_CARAVANS
from desert_paxos.trace import read_trace

from .test_desert_up import stop_leftovers

TARGET_KILLS = 100
MAX_SEEDS = 16  # bound: the test fails rather than run on if these do not make 100 kills
STORM = 600  # ticks of collapses; then the desert is left alone to decide
TICK_MS = 2
KILL_CHANCE = 0.25  # the hook's chance to kill a caravan after each logbook write in the storm
BUDGET_SECONDS = 240  # the whole test's bound (about 30-60 s on a quiet two-core machine)


def kill_scenario(seed: int) -> dict[str, Any]:
    """Wishes all through the storm (so logbooks are written, and killed after), collapses at
    random ticks with recoveries a little later, and two wishes once the storm is over."""
    rng = random.Random(seed)
    names = list(DEFAULT_CARAVANS)
    campsites = ["Oasis of Siwa", "Wells of Timbuktu", "Ksar Ghilane"]
    timeline: list[dict[str, Any]] = []
    t = 0
    while True:
        t += rng.randint(25, 70)
        if t >= STORM:
            break
        victim = rng.choice(names)
        timeline.append({"at": t, "crash": victim})
        timeline.append({"at": min(STORM, t + rng.randint(5, 30)), "recover": victim})
    timeline.sort(key=lambda event: event["at"])
    proposals = [
        {"at": at, "caravan": names[i % 5], "campsite": campsites[rng.randrange(3)]}
        for i, at in enumerate(range(0, STORM, 60))
    ]
    after = [names[(seed + k) % 5] for k in (0, 2)]
    proposals += [
        {"at": STORM + 50, "caravan": after[0], "campsite": campsites[seed % 3]},
        {"at": STORM + 500, "caravan": after[1], "campsite": campsites[(seed + 1) % 3]},
    ]
    return {
        "name": f"kill-storm-{seed}",
        "seed": seed,
        "caravans": names,
        "proposals": proposals,
        "timeline": timeline,
        "until": STORM + 6000,
        "expect": {"decided": "any"},
    }


def _ballot(value: Any) -> tuple[int, str] | None:
    return None if value is None else (int(value[0]), str(value[1]))


def _node_of(event: dict[str, Any]) -> str | None:
    """Whose process wrote an event (None for the desert's own)."""
    kind = event["kind"]
    if kind == "send":
        return str(event["src"])
    if kind == "deliver" or (kind == "drop" and event.get("reason") in ("loss", "sandstorm")):
        return str(event["dst"])
    if kind in ("persist", "timer", "timer_set", "timer_cancel", "decide", "adopt"):
        return str(event["node"])
    return None


def check_run(events: list[dict[str, Any]]) -> tuple[int, int]:
    """The safety and liveness checks on one merged trace; (kills, kills right after a write)."""
    assert not [e for e in events if e["kind"] == "violation"], "the merge found a violation"
    promised: dict[str, tuple[int, str]] = {}
    last_of: dict[str, str] = {}
    kills = after_write = 0
    last_recover = 0
    for event in events:
        kind = event["kind"]
        if kind in ("persist", "recover"):
            node, now = event["node"], _ballot(event["promised"])
            before = promised.get(node)
            assert before is None or (now is not None and now >= before), (
                f"{node}'s promise went down from {before} to {now} at seq {event['seq']}"
            )
            if now is not None:
                promised[node] = now
        if kind == "crash":
            kills += 1
            after_write += last_of.get(event["node"]) == "persist"
        if kind == "recover":
            last_recover = event["seq"]
        node = _node_of(event)
        if node is not None:
            last_of[node] = kind
    chosen = {e["value"] for e in events if e["kind"] == "chosen"}
    decided = {e["value"] for e in events if e["kind"] == "decide"}
    assert len(chosen) <= 1 and len(decided) == 1 and decided <= chosen, (chosen, decided)
    assert any(e["kind"] == "decide" and e["seq"] > last_recover for e in events), (
        "no decision after the last restart"
    )
    end = events[-1]
    assert end["kind"] == "end" and end["reason"] == "quiet", end
    assert sorted(end["knowing"]) == sorted(DEFAULT_CARAVANS), end
    return kills, after_write


def test_acceptors_killed_at_random_moments_never_break_paxos(tmp_path: Path) -> None:
    started = time.monotonic()
    total = after_write = 0
    seeds = 0
    for seed in range(1, MAX_SEEDS + 1):
        assert time.monotonic() - started < BUDGET_SECONDS, f"{total} kills in the time bound"
        scenario = tmp_path / f"kill-{seed}.json"
        scenario.write_text(json.dumps(kill_scenario(seed)), encoding="utf-8")
        folder = tmp_path / f"desert-{seed}"
        env = dict(os.environ, NO_COLOR="1", **{KILL_AFTER_PERSIST: f"{KILL_CHANCE},{STORM}"})
        command = [sys.executable, "-m", "desert_paxos", "desert", "up", str(scenario)]
        command += ["--dir", str(folder), "--tick-ms", str(TICK_MS), "--revive", "5"]
        command += ["--max-seconds", "60"]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=120, check=False
            )
        finally:
            left = stop_leftovers(folder)  # whatever happened, nothing of this desert runs on
        assert left == [], f"seed {seed}: processes outlived the desert: {left}"
        assert done.returncode == 0, f"seed {seed}:\n{done.stdout}\n{done.stderr}"
        _, events = read_trace(folder / "run.jsonl")
        kills, right_after = check_run(events)
        total += kills
        after_write += right_after
        seeds += 1
        if total >= TARGET_KILLS:
            break
    print(
        f"{total} kills ({after_write} right after a logbook write) in {seeds} deserts, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert total >= TARGET_KILLS
    assert after_write >= 10  # the hook did land between the logbook write and the reply
