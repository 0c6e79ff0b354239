"""``desert merge``: parts in the order they happened, one valid trace, checked for safety."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.desert import DesertSetup, MergeError, merge_desert
from desert_paxos.desert._setup import write_setup
from desert_paxos.scenario import load_builtin
from desert_paxos.trace import parse_trace_lines

from .test_cli_bad_input import cli

TICK = 1_000_000  # ns per tick (tick_ms 1)
EPOCH = 10**12

P1 = {"type": "prepare", "ballot": [1, "Aghilas"]}
PROMISE = {"type": "promise", "ballot": [1, "Aghilas"], "accepted": None}


def _desert(folder: Path) -> None:
    scenario = load_builtin("calm-day")
    ports = {name: 40000 + i for i, name in enumerate(scenario.caravans)}
    write_setup(folder, DesertSetup(scenario, 1, 2000, 1, ports, 1))


def _part(folder: Path, name: str, lines: list[dict[str, Any]], torn: str = "") -> None:
    text = "".join(json.dumps(line) + "\n" for line in lines) + torn
    (folder / f"{name}.jsonl").write_text(text, encoding="utf-8")


def _coordinator(folder: Path, events: list[dict[str, Any]], end_tick: int | None = 500) -> None:
    lines = [
        {"kind": "desert", "epoch_ns": EPOCH, "tick_ms": 1, "ns": EPOCH},
        {"kind": "header", "format": "desert-paxos-trace/1", "caravans": ["Aghilas"], "ns": EPOCH},
        *events,
    ]
    if end_tick is not None:
        lines.append({"kind": "desert_end", "reason": "quiet", "ns": EPOCH + end_tick * TICK})
    _part(folder, "coordinator", lines)


def at(tick: int, extra: int = 0) -> int:
    return EPOCH + tick * TICK + extra


def send(
    rid: int, src: str, dst: str, tick: int, arrive: int, msg: dict[str, Any] = P1, extra: int = 0
) -> dict[str, Any]:
    return {
        "kind": "send",
        "id": rid,
        "src": src,
        "dst": dst,
        "msg": msg,
        "arrive": arrive,
        "ns": at(tick, extra),
    }


def deliver(
    rid: int, src: str, dst: str, tick: int, msg: dict[str, Any] = P1, extra: int = 0
) -> dict[str, Any]:
    return {"kind": "deliver", "id": rid, "src": src, "dst": dst, "msg": msg, "ns": at(tick, extra)}


def persist(
    node: str, tick: int, promised: list[Any] | None, accepted: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "kind": "persist",
        "node": node,
        "promised": promised,
        "accepted": accepted,
        "ns": at(tick),
    }


def _merged(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    merged = merge_desert(folder)
    text = "".join(json.dumps(line) + "\n" for line in merged.lines())
    return parse_trace_lines(iter(text.splitlines()), "merged")  # the reader's own checks


def test_events_are_ordered_by_the_shared_clock_keeping_each_part_in_order(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(tmp_path, [{"kind": "propose", "node": "Aghilas", "value": "Siwa", "ns": at(0)}])
    _part(
        tmp_path,
        "Aghilas",
        [
            send(1, "Aghilas", "Taziri", 1, 20),
            persist("Aghilas", 1, [1, "Aghilas"]),
            deliver(2, "Taziri", "Aghilas", 30, PROMISE),
        ],
    )
    _part(
        tmp_path,
        "Taziri",
        [
            deliver(1, "Aghilas", "Taziri", 20),
            persist("Taziri", 20, [1, "Aghilas"]),
            send(2, "Taziri", "Aghilas", 20, 30, PROMISE, extra=5),
        ],
    )
    header, events = _merged(tmp_path)
    assert header["kind"] == "header"
    kinds = [(e["kind"], e.get("node") or e.get("src")) for e in events]
    assert kinds == [
        ("propose", "Aghilas"),
        ("send", "Aghilas"),
        ("persist", "Aghilas"),
        ("deliver", "Aghilas"),
        ("persist", "Taziri"),
        ("send", "Taziri"),
        ("deliver", "Taziri"),
        ("end", None),
    ]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["t"] for e in events] == [0, 1, 1, 20, 20, 20, 30, 500]
    assert all("ns" not in e for e in events)
    assert events[-1]["sent"] == 2 and events[-1]["delivered"] == 2


def test_riders_nobody_told_the_fate_of_are_dropped_as_the_simulator_would(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(tmp_path, [{"kind": "crash", "node": "Itri", "ns": at(15)}])
    _part(
        tmp_path,
        "Aghilas",
        [
            send(1, "Aghilas", "Itri", 10, 20),  # Itri collapses holding it
            send(6, "Aghilas", "Taziri", 10, 20),  # the network lost it
            send(11, "Aghilas", "Taziri", 10, 900),  # still on the sand at the end
            send(16, "Aghilas", "Itri", 30, 45),  # Itri has been down since before it left
        ],
    )
    _, events = _merged(tmp_path)
    drops = {e["id"]: (e["reason"], e["t"]) for e in events if e["kind"] == "drop"}
    assert drops == {1: ("crashed", 20), 6: ("loss", 20), 16: ("crashed", 45)}
    assert events[-1]["dropped"] == {"crashed": 2, "loss": 1}


def test_a_delivery_of_a_rider_never_sent_is_refused(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(tmp_path, [])
    _part(tmp_path, "Taziri", [deliver(1, "Aghilas", "Taziri", 20)])
    with pytest.raises(MergeError, match="never sent"):
        merge_desert(tmp_path)


def test_a_torn_last_line_is_left_out_and_told(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(tmp_path, [])
    _part(tmp_path, "Itri", [persist("Itri", 3, [1, "Aghilas"])], torn='{"kind": "send", "id"')
    _, events = _merged(tmp_path)
    assert [e["kind"] for e in events] == ["persist", "note", "end"]
    assert "Itri.jsonl" in events[1]["text"]


def test_a_bad_line_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(tmp_path, [])
    (tmp_path / "Itri.jsonl").write_text(
        '{"kind": "persist", "ns": 5}\nnot json\n', encoding="utf-8"
    )
    with pytest.raises(MergeError, match=r"Itri\.jsonl:2"):
        merge_desert(tmp_path)


def test_without_the_coordinators_end_the_trace_is_incomplete(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(tmp_path, [], end_tick=None)
    _part(tmp_path, "Itri", [persist("Itri", 3, [1, "Aghilas"])])
    _, events = _merged(tmp_path)
    assert [e["kind"] for e in events] == ["persist"]


VOTE = {"ballot": [1, "Aghilas"], "value": "Siwa"}


def test_a_majority_of_votes_is_told_chosen_right_after_the_write(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(tmp_path, [{"kind": "propose", "node": "Aghilas", "value": "Siwa", "ns": at(0)}])
    for i, name in enumerate(("Aghilas", "Taziri", "Amastan")):
        _part(tmp_path, name, [persist(name, 10 + i, [1, "Aghilas"], VOTE)])
    merged = merge_desert(tmp_path)
    kinds = [e["kind"] for e in merged.events]
    assert kinds == ["propose", "persist", "persist", "persist", "chosen", "end"]
    assert merged.events[4]["by"] == ["Aghilas", "Taziri", "Amastan"]
    assert merged.violation is None


def test_a_promise_that_goes_down_across_a_recovery_is_a_violation(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(
        tmp_path,
        [
            {"kind": "crash", "node": "Itri", "ns": at(20)},
            {
                "kind": "recover",
                "node": "Itri",
                "promised": [1, "Aghilas"],
                "accepted": None,
                "ns": at(40),
            },
        ],
    )
    _part(tmp_path, "Itri", [persist("Itri", 10, [3, "Taziri"])])
    merged = merge_desert(tmp_path)
    assert merged.violation is not None and merged.violation.invariant == "promise-monotonic"
    assert [e["kind"] for e in merged.events] == ["persist", "crash", "recover", "violation", "end"]


def test_two_campsites_decided_is_a_violation(tmp_path: Path) -> None:
    _desert(tmp_path)
    _coordinator(
        tmp_path,
        [
            {"kind": "propose", "node": "Aghilas", "value": "Siwa", "ns": at(0)},
            {"kind": "propose", "node": "Taziri", "value": "Timbuktu", "ns": at(0)},
        ],
    )
    _part(
        tmp_path,
        "Aghilas",
        [
            {
                "kind": "decide",
                "node": "Aghilas",
                "value": "Siwa",
                "ballot": [1, "Aghilas"],
                "ns": at(5),
            }
        ],
    )
    _part(
        tmp_path,
        "Taziri",
        [
            {
                "kind": "decide",
                "node": "Taziri",
                "value": "Timbuktu",
                "ballot": [1, "Taziri"],
                "ns": at(6),
            }
        ],
    )
    merged = merge_desert(tmp_path)
    assert merged.violation is not None  # knowledge first: no majority voted for Siwa


def test_merge_command_writes_a_trace_replay_reads(tmp_path: Path) -> None:
    folder = tmp_path / "desert"
    folder.mkdir()
    _desert(folder)
    _coordinator(folder, [{"kind": "propose", "node": "Aghilas", "value": "Siwa", "ns": at(0)}])
    out = tmp_path / "run.jsonl"
    done = cli("desert", "merge", str(folder), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert cli("replay", str(out)).returncode == 0
    again = cli("desert", "merge", str(tmp_path / "nowhere"), "-o", str(out))
    assert (
        again.returncode == 2 and "desert.json" in again.stderr and "Traceback" not in again.stderr
    )
