"""Fuzzing the two readers of untrusted files: any bytes in, a value or a clean error out.

The scenario loader gives a Scenario or a ScenarioError; the trace reader gives a header and
events or a TraceError; never another exception. And what the trace reader accepts, the
views that read it (replay's narrator, export's page) can tell without failing.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desert_paxos.narrate import Narrator
from desert_paxos.scenario import (
    Scenario,
    ScenarioError,
    builtin_path,
    load_scenario_file,
    scenario_from_data,
)
from desert_paxos.sim import Simulation
from desert_paxos.trace import TraceError, TraceWriter, read_trace

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Pieces of hostile text, spliced anywhere into a good file.
TOKENS = [
    b"Infinity",
    b"-Infinity",
    b"NaN",
    b"1e400",
    b"9" * 5000,
    b"-" + b"9" * 4400,
    b"[" * 3000,
    b"{" * 40,
    b'"\\ud800"',
    b'"\\udfff\\ud800"',
    b'"\\u001b[2J"',
    b'"\\u0007"',
    b"\\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"\n",
    b"\r\n",
    b"\xe2\x80\xa8",  # U+2028
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'""',
    b"-1",
    b"0",
    b"1.5",
    b",",
    b":",
    b"}",
    b"]",
    b'"',
    b"=",
    b"inf",
    b"nan",
]


@st.composite
def spliced(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        match draw(st.sampled_from(["insert", "replace", "delete", "cut"])):
            case "insert":
                data[at:at] = draw(st.sampled_from(TOKENS))
            case "replace":
                data[at : at + draw(st.integers(1, 12))] = draw(st.sampled_from(TOKENS))
            case "delete":
                del data[at : at + draw(st.integers(1, 40))]
            case _:
                del data[at:]
    return bytes(data)


NASTY_VALUES = st.one_of(
    st.sampled_from(
        [None, True, False, 0, -1, 2**53, 10**30, 1.5, 1e308, "", "A", "\x1b[2J", [], {}, [[]]]
    ),
    st.sampled_from([[1, "A"], [1], [-1, "A"], ["A", 1], {"type": "prepare"}, {"mean": 0}]),
    st.text(max_size=6),
)


def _trace_lines() -> list[dict[str, Any]]:
    doc = {
        "caravans": ["Aghilas", "Taziri", "Itri"],
        "network": {"delay": {"mean": 6}, "loss": 0.2, "duplicate": 0.2},
        "proposals": [
            {"at": 0, "caravan": "Aghilas", "campsite": "Siwa"},
            {"at": 3, "caravan": "Itri", "campsite": "Ghat"},
        ],
        "timeline": [
            {"at": 2, "sandstorm": [["Itri"]]},
            {"at": 20, "crash": "Taziri"},
            {"at": 25, "network": {"loss": 0.0}},
            {"at": 40, "recover": "Taziri"},
            {"at": 50, "calm": True},
        ],
        "until": 200,
    }
    events: list[dict[str, Any]] = []
    Simulation(scenario_from_data(doc, "fuzz"), seed=3, observers=[events.append]).run()
    return events


LINES = _trace_lines()
TRACE = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in LINES).encode()


def _same_type(draw: st.DrawFn, value: object) -> object:
    """Another value of the same JSON type: still within the contract, odd in every other way."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return draw(st.integers(0, 2**53 - 1))
    if isinstance(value, str):
        return draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
    if isinstance(value, list):
        return [_same_type(draw, item) for item in value]
    if isinstance(value, dict):
        return {k: (v if k == "type" else _same_type(draw, v)) for k, v in value.items()}
    return value


@st.composite
def odd_trace(draw: st.DrawFn) -> bytes:
    """A real trace whose fields hold other values of their types: unknown names and ids,
    times far ahead, riders that arrive before they leave; seq and t stay in order."""
    lines = [dict(e) for e in LINES]
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        keys = sorted(k for k in line if k not in ("kind", "format", "seq", "t", "spec"))
        if keys:
            key = draw(st.sampled_from(keys))
            line[key] = _same_type(draw, line[key])
    if draw(st.booleans()):  # the last events happen at the end of (JavaScript's) time
        for line in lines[-draw(st.integers(1, 5)) :]:
            if "t" in line:
                line["t"] = 2**53 - 1
    return "".join(json.dumps(e) + "\n" for e in lines).encode()


@st.composite
def edited_trace(draw: st.DrawFn) -> bytes:
    """A real trace with a few fields of its lines removed or replaced by anything."""
    lines = [dict(e) for e in LINES]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        key = draw(st.sampled_from(sorted(line)))
        if draw(st.booleans()):
            del line[key]
        elif isinstance(line[key], dict) and line[key] and draw(st.booleans()):
            inner = dict(line[key])
            inner[draw(st.sampled_from(sorted(inner)))] = draw(NASTY_VALUES)
            line[key] = inner
        else:
            line[key] = draw(NASTY_VALUES)
    return "".join(json.dumps(e) + "\n" for e in lines).encode()


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


SCENARIO_JSON = builtin_path("proposer-collapses").read_bytes()
SCENARIO_TOML = (
    b'name = "t"\nseed = 3\ncaravans = ["Aghilas", "Taziri", "Itri"]\n'
    b"[network]\nloss = 0.1\ndelay = {mean = 10.0}\n"
    b'[[proposals]]\nat = 0\ncaravan = "Itri"\ncampsite = "Siwa"\n'
    b'[[timeline]]\nat = 5\nsandstorm = [["Itri"], ["Aghilas"]]\n'
)


@SETTINGS
@given(
    data=st.one_of(st.binary(max_size=300), spliced(SCENARIO_JSON), spliced(SCENARIO_TOML)),
    suffix=st.sampled_from([".json", ".toml"]),
)
def test_any_bytes_make_a_scenario_or_a_scenario_error(
    data: bytes, suffix: str, folder: Path
) -> None:
    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        scenario = load_scenario_file(path)
    except ScenarioError as exc:
        message = exc.render()
        assert exc.problems and str(path) in message
        assert "\x1b" not in message and "\x00" not in message
        return
    assert isinstance(scenario, Scenario)
    json.dumps(scenario.to_json(), allow_nan=False).encode("utf-8")  # it can be saved and traced


def _views_can_tell(header: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """replay's narrator and export's page read what the reader accepted."""
    from desert_paxos import viewer

    out = io.StringIO()
    narrator = Narrator("trace", out, colour=False)
    narrator(header)
    for event in events:
        narrator(event)
    narrator.print_summary()
    assert "\x1b" not in out.getvalue()
    viewer.render_html(header, events)


@SETTINGS
@given(data=st.one_of(st.binary(max_size=300), spliced(TRACE), edited_trace(), odd_trace()))
def test_any_bytes_make_a_trace_or_a_trace_error(data: bytes, folder: Path) -> None:
    path = folder / "fuzz.jsonl"
    path.write_bytes(data)
    try:
        header, events = read_trace(path)
    except TraceError as exc:
        assert str(path) in str(exc) and "\x1b" not in str(exc)
        return
    _views_can_tell(header, events)


def test_the_unedited_trace_is_read_and_told(folder: Path) -> None:
    path = folder / "plain.jsonl"
    stream = io.StringIO()
    writer = TraceWriter(stream)
    for event in LINES:
        writer(event)
    path.write_text(stream.getvalue(), encoding="utf-8")
    header, events = read_trace(path)
    assert len(events) == len(LINES) - 1
    assert {"sandstorm", "crash", "recover", "network", "calm", "end"} <= {
        e["kind"] for e in events
    }
    _views_can_tell(header, events)
