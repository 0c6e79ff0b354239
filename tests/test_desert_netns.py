"""Real caravans in their own network namespace, where nftables (not our transport) loses riders.

Runs only where the kernel and the machine allow it: root, `unshare` and `ip` (util-linux,
iproute2) and `nft` (Debian's `nftables` package); skipped with the reason otherwise. Nothing
is installed from here.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desert_paxos.scenario import load_builtin
from desert_paxos.trace import read_trace

from .test_desert_up import desert_dir  # noqa: F401 - the fixture that stops every leftover

DROP_PERCENT = 20
_RULES = f"""\
ip link set lo up
nft add table inet desert
nft add chain inet desert input '{{ type filter hook input priority 0; policy accept; }}'
nft add rule inet desert input meta l4proto udp numgen random mod 100 '<' {DROP_PERCENT} drop
"""


def _why_not() -> str | None:
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root for a network namespace and nftables"
    for tool, where in (("unshare", "util-linux"), ("ip", "iproute2"), ("nft", "nftables")):
        if shutil.which(tool) is None:
            return f"needs `{tool}` (Debian package {where})"
    probe = subprocess.run(
        ["unshare", "--net", "sh", "-c", _RULES],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no reason given"])[-1]
        return f"this kernel refuses a network namespace with nftables rules: {reason}"
    return None


def test_caravans_decide_through_nftables_random_drops(tmp_path: Path, desert_dir: Path) -> None:  # noqa: F811
    why = _why_not()
    if why is not None:
        pytest.skip(why)
    doc = load_builtin("calm-day").to_json()
    doc["network"] = {"delay": {"min": 5, "max": 40}, "loss": 0.0, "duplicate": 0.0}
    doc["timeline"] = []  # the teacher's notes are not this test's
    doc["proposals"] = [  # three wishes: enough riders that the firewall surely meets some
        {"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"},
        {"at": 5, "caravan": "Taziri", "campsite": "Oasis of Siwa"},
        {"at": 10, "caravan": "Itri", "campsite": "Oasis of Siwa"},
    ]
    scenario = tmp_path / "calm.json"
    scenario.write_text(json.dumps(doc), encoding="utf-8")
    desert = [sys.executable, "-m", "desert_paxos", "desert", "up", str(scenario)]
    desert += ["--dir", str(desert_dir), "--until", "8000", "--max-seconds", "90"]
    script = _RULES + "exec " + " ".join(shlex.quote(part) for part in desert) + "\n"
    done = subprocess.run(
        ["unshare", "--net", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        timeout=150,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _, events = read_trace(desert_dir / "run.jsonl")
    lost = [e for e in events if e["kind"] == "drop" and e["reason"] == "loss"]
    sent = [e for e in events if e["kind"] == "send" and e["src"] != e["dst"]]
    # The scenario's own loss is 0: every rider lost was lost by the firewall.
    assert lost, "nftables dropped no rider"
    assert len(lost) < len(sent) / 2
    assert not [e for e in events if e["kind"] == "violation"]
    assert events[-1]["decided"] == "Oasis of Siwa" and len(events[-1]["knowing"]) == 5
