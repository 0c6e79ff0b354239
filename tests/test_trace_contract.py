"""The trace contract: the JSON Schema (`desert-paxos schema --trace`) and the reader agree,
every trace the project writes satisfies both, and a bad line is named by line and field."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desert_paxos.cli import main
from desert_paxos.explore import ExploreOptions, Model, counterexample, search
from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import resolve_scenario
from desert_paxos.trace import TRACE_FORMAT, TraceError, dump_event, read_trace
from desert_paxos.trace._contract import (
    EVENT_KINDS,
    check_event,
    check_header,
    trace_json_schema,
)

GOLDEN = sorted(Path(__file__).with_name("golden").glob("*.jsonl"))
VALIDATOR = jsonschema.Draft202012Validator(trace_json_schema())

HEADER: dict[str, Any] = {
    "kind": "header",
    "format": TRACE_FORMAT,
    "caravans": ["Aghilas", "Taziri", "Itri"],
}
PREPARE = {"type": "prepare", "ballot": [1, "Aghilas"]}
SEND = {
    "kind": "send",
    "seq": 1,
    "t": 0,
    "id": 1,
    "src": "Aghilas",
    "dst": "Taziri",
    "msg": PREPARE,
    "arrive": 7,
}


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "seq": 1, "t": 3, **fields}


# Lines the contract accepts: every kind the project writes, the kinds and fields added by
# newer writers, and kinds and fields no version knows (forward compatibility).
GOOD_EVENTS: list[dict[str, Any]] = [
    SEND,
    dict(SEND, copy_of=4),
    _event("deliver", id=2, src="Itri", dst="Aghilas", msg={"type": "inquire"}),
    _event(
        "drop",
        id=3,
        src="Aghilas",
        dst="Itri",
        msg={"type": "nack", "ballot": [1, "Aghilas"], "promised": [2, "Itri"]},
        reason="sandstorm",
    ),
    _event(
        "deliver",
        id=4,
        src="Itri",
        dst="Aghilas",
        msg={
            "type": "promise",
            "ballot": [2, "Itri"],
            "accepted": {"ballot": [1, "Aghilas"], "value": "Oasis of Siwa"},
        },
    ),
    _event("persist", node="Itri", promised=[2, "Itri"], accepted=None),
    _event("persist", node="Itri", promised=None, accepted=None, tried_round=3),
    _event("recover", node="Itri", promised=[2, "Itri"], accepted=None, tried_round=0),
    _event("chosen", value="Oasis of Siwa", ballot=[1, "Aghilas"], by=["Aghilas", "Itri"]),
    _event("note", text="Watch Itri: it has voted, and will say so in its promise."),
    _event("note", node="", text="rider #9 is not on the sand any more"),
    _event("network", delay={"mean": 10.0}, loss=0.25, duplicate=0),
    _event("network", delay={"min": 5, "max": 40}, loss=1, duplicate=0.5),
    _event("sandstorm", groups=[["Aghilas"], ["Taziri", "Itri"]]),
    _event("calm"),
    _event("timer_set", node="Itri", name="learn", fire=300),
    _event(
        "adopt",
        node="Itri",
        ballot=[2, "Itri"],
        value="Oasis of Siwa",
        from_ballot=[1, "Aghilas"],
        reported_by="Aghilas",
        own_value=None,
    ),
    _event(
        "end",
        reason="quiet",
        decided=None,
        decided_at=None,
        knowing=[],
        sent=0,
        delivered=0,
        dropped={},
        duplicated=0,
    ),
    _event("decide", node="Itri", value="Siwa", ballot=[1, "Aghilas"], why="a quorum voted"),
    _event("mirage", anything={"at": "all"}),  # a kind from a newer writer
]

# Lines the contract refuses, with the field the message must name.
BAD_EVENTS: list[tuple[dict[str, Any], str]] = [
    ({k: v for k, v in SEND.items() if k != "src"}, "src: missing"),
    (dict(SEND, msg="hello"), "msg: expected a message"),
    (dict(SEND, msg={"type": "hello"}), "msg.type: expected one of"),
    (dict(SEND, msg={"type": "prepare"}), "msg.ballot: missing"),
    (dict(SEND, msg={"type": "prepare", "ballot": [1.5, "A"]}), "msg.ballot[0]"),
    (dict(SEND, msg={"type": "prepare", "ballot": [True, "A"]}), "msg.ballot[0]"),
    (dict(SEND, msg={"type": "prepare", "ballot": [1]}), "msg.ballot: expected a ballot"),
    (dict(SEND, id=0), "id: 0 is too small"),
    (dict(SEND, arrive=None), "arrive: expected a whole number"),
    (dict(SEND, seq="1"), "seq: expected a whole number"),
    (dict(SEND, t=-1), "t: -1 is too small"),
    (dict(SEND, t=2**53), "t: a number of 16 digits is too large"),
    (_event("sandstorm", groups="abc"), "groups: expected a list"),
    (_event("sandstorm", groups=[["A"], "B"]), "groups[1]: expected a list"),
    (_event("sandstorm", groups=[[1]]), "groups[0][0]: expected a string"),
    (_event("chosen", value="Siwa", ballot=[1, "A"], by="A"), "by: expected a list"),
    (_event("note", text=None), "text: expected a string"),
    (_event("persist", node="A", promised=None, accepted=None, tried_round=-1), "tried_round"),
    (_event("persist", node="A", promised=[1, "A"], accepted={"value": "S"}), "accepted.ballot"),
    (_event("network", delay={"mean": 0}, loss=0, duplicate=0), "delay: expected a delay"),
    (_event("network", delay={"min": 1}, loss=0, duplicate=0), "delay: expected a delay"),
    (_event("network", delay={"min": 1, "max": 2}, loss=1.5, duplicate=0), "loss: 1.5"),
    (_event("end", reason="quiet"), "decided: missing"),
    (_event("Bad Kind"), "kind: 'Bad Kind' is not a kind"),
    (_event("\u001b[2J"), "is not a kind"),
    ({"kind": "calm", "t": 0}, "seq: missing"),
]
BAD_HEADERS: list[tuple[dict[str, Any], str]] = [
    (dict(HEADER, caravans=[1, None, {}]), "caravans[0]: expected a string"),
    (dict(HEADER, caravans="Aghilas"), "caravans: expected a list"),
    (dict(HEADER, seed=-1), "seed: -1 is too small"),
    (dict(HEADER, quorums={"phase1": 2}), "quorums.phase2: missing"),
    (dict(HEADER, format="desert-paxos-trace/0"), "the first line must be the header"),
]


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _schema_accepts(line: dict[str, Any]) -> bool:
    return VALIDATOR.is_valid(line)


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(trace_json_schema())


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_every_golden_trace_satisfies_the_reader_and_the_schema(path: Path) -> None:
    header, events = read_trace(path)
    assert header["format"] == TRACE_FORMAT and events
    for line in (header, *events):
        VALIDATOR.validate(line)


def test_every_kind_the_simulator_writes_is_in_the_contract() -> None:
    written = {json.loads(line)["kind"] for p in GOLDEN for line in p.read_text().splitlines()}
    assert written - {"header"} <= set(EVENT_KINDS)


def test_an_explorer_counterexample_satisfies_both(tmp_path: Path) -> None:
    model = Model(ExploreOptions(variant="forgetful-acceptor", crashes=1))
    result = search(model)
    assert result.violation is not None
    story = counterexample(model, result.path, result.violation)
    path = tmp_path / "counterexample.jsonl"
    path.write_text("".join(dump_event(e) + "\n" for e in (story.header, *story.events)))
    header, events = read_trace(path)
    assert {"crash", "recover", "violation", "end"} <= {e["kind"] for e in events}
    for line in (header, *events):
        VALIDATOR.validate(line)


def test_a_repl_export_satisfies_both(tmp_path: Path) -> None:
    session = Session(
        "dueling-proposers", resolve_scenario("dueling-proposers"), Screen(io.StringIO())
    )
    path = tmp_path / "session.jsonl"
    for line in ("/run 40", "/crash Itri", "/loss 30%", "/run 200", f"/export trace {path}"):
        before = session.rejected
        session.execute(line)
        assert session.rejected == before, line
    header, events = read_trace(path)
    assert {"crash", "network"} <= {e["kind"] for e in events}
    for line in (header, *events):
        VALIDATOR.validate(line)


@pytest.mark.parametrize("event", GOOD_EVENTS, ids=lambda e: str(e["kind"]))
def test_the_reader_and_the_schema_accept_the_same_lines(
    event: dict[str, Any], tmp_path: Path
) -> None:
    assert _schema_accepts(event)
    _header, events = read_trace(_write(tmp_path / "good.jsonl", [HEADER, event]))
    assert events == [event]  # read as written: unknown fields and kinds are kept, untouched


@pytest.mark.parametrize(
    ("event", "fragment"), BAD_EVENTS, ids=[f"{i}-{b[1][:24]}" for i, b in enumerate(BAD_EVENTS)]
)
def test_the_reader_and_the_schema_refuse_the_same_lines(
    event: dict[str, Any], fragment: str, tmp_path: Path
) -> None:
    assert not _schema_accepts(event)
    path = _write(tmp_path / "bad.jsonl", [HEADER, event, dict(SEND, seq=9, t=9)])
    with pytest.raises(TraceError) as err:
        read_trace(path)
    assert err.value.line == 2
    assert fragment in str(err.value)
    assert "\x1b" not in str(err.value)


@pytest.mark.parametrize(("header", "fragment"), BAD_HEADERS, ids=lambda h: str(h)[:30])
def test_a_bad_header_is_named(header: dict[str, Any], fragment: str, tmp_path: Path) -> None:
    assert not _schema_accepts(header)
    with pytest.raises(TraceError) as err:
        read_trace(_write(tmp_path / "bad.jsonl", [header, SEND]))
    assert err.value.line == 1 and fragment in str(err.value)


def test_a_second_header_is_refused(tmp_path: Path) -> None:
    second = dict(HEADER, seq=2, t=0)
    with pytest.raises(TraceError, match="a second header"):
        read_trace(_write(tmp_path / "two.jsonl", [HEADER, SEND, second]))


def test_a_campsite_holding_a_line_separator_stays_on_its_line(tmp_path: Path) -> None:
    """U+2028 is not a line break in JSON Lines (the encoder writes it raw)."""
    event = copy.deepcopy(GOOD_EVENTS[-2])
    event["value"] = "Siwa\u2028Oasis"
    path = tmp_path / "sep.jsonl"
    path.write_text(dump_event(HEADER) + "\n" + dump_event(event) + "\n", encoding="utf-8")
    assert read_trace(path)[1][0]["value"] == "Siwa\u2028Oasis"


def test_schema_command_prints_either_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--trace"]) == 0
    trace_schema = json.loads(capsys.readouterr().out)
    assert trace_schema == json.loads(json.dumps(trace_json_schema()))
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Desert Paxos scenario"


NASTY = st.one_of(
    st.sampled_from([None, True, 0, -1, 1, 2**53, 1.5, "", "Aghilas", [], {}, [1, "A"], [0, 2]]),
    st.sampled_from([[["A"]], ["A"], {"type": "prepare"}, {"mean": 2}, {"min": 1, "max": 2}]),
    st.sampled_from([{"ballot": [1, "A"], "value": "S"}, {"type": "inquire"}, {"x": 1}]),
)


@st.composite
def edited_lines(draw: st.DrawFn) -> dict[str, Any]:
    """A line the project writes, with fields removed, replaced or nested values changed."""
    line = copy.deepcopy(draw(st.sampled_from([HEADER, *GOOD_EVENTS])))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(line)))
        inner = line[key]
        if isinstance(inner, dict) and inner and draw(st.booleans()):
            inner[draw(st.sampled_from(sorted(inner)))] = draw(NASTY)
        elif draw(st.booleans()):
            del line[key]
        else:
            line[key] = draw(NASTY)
        if not line:
            break
    return line


@settings(max_examples=300, deadline=None)
@given(edited_lines())
def test_the_reader_and_the_schema_agree_on_any_edited_line(line: dict[str, Any]) -> None:
    if line.get("kind") == "header":
        verdict = check_header(line, TRACE_FORMAT)
    elif not isinstance(line.get("kind"), str):
        return  # the reader refuses a line without a kind before the contract is asked
    else:
        verdict = check_event(line)
    assert (verdict is None) == _schema_accepts(line), verdict
