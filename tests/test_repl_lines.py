"""The REPL's record of trace lines: a list to read, a few UTF-8 blocks in memory."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desert_paxos.repl._lines import CHUNK, TraceLines
from desert_paxos.repl._machine import TimeMachine
from desert_paxos.scenario import load_scenario_file, resolve_scenario


def filled(lines: list[str]) -> TraceLines:
    record = TraceLines()
    for line in lines:
        record.append(line + "\n")
        record.seal()
    return record


texts = st.lists(
    st.text(
        alphabet=st.characters(exclude_characters="\n\r", exclude_categories=("Cs",)), max_size=6
    )
)


@settings(max_examples=60, deadline=None)
@given(lines=texts, size=st.integers(1, 5), cuts=st.lists(st.integers(0, 40), max_size=4))
def test_the_record_reads_like_the_list_it_replaces(
    lines: list[str], size: int, cuts: list[int]
) -> None:
    import desert_paxos.repl._lines as module

    old = module.CHUNK
    module.CHUNK = size  # small blocks, so every path through sealed and tail lines is taken
    try:
        model = list(lines) * 3
        record = filled(model)
        assert len(record) == len(model)
        assert record == model and list(record) == model
        assert list(reversed(record)) == model[::-1]
        for a in range(0, len(model) + 1, 2):
            for b in range(a, len(model) + 1, 3):
                assert list(record[a:b]) == model[a:b]
                assert list(reversed(record[a:b])) == model[a:b][::-1]
        for i in range(-len(model), len(model)):
            assert record[i] == model[i]
        for cut in cuts:
            prefix = record.prefix(cut)
            kept = model[:cut]
            assert prefix == kept
            record.truncate(cut)
            model = model[:cut]
            assert record == model
            record.append("more\n")
            model.append("more")
            record.seal()
            assert record == model
            assert prefix == kept  # a prefix is a record of its own
    finally:
        module.CHUNK = old


def test_a_line_read_twice_is_the_same_object_and_a_prefix_keeps_it() -> None:
    record = filled([f"line {i}" for i in range(3 * CHUNK + 5)])
    first = record[7]
    assert record[7] is first
    last = list(record[: 2 * CHUNK])[-1]
    assert record[2 * CHUNK - 1] is last  # the last line of a range read is pinned
    assert record.prefix(100)[7] is first
    assert record == record.prefix(len(record))
    assert record != [*record, "x"]


def test_the_record_holds_a_text_line_in_its_utf8_bytes() -> None:
    record = filled(["é" * 100] * (4 * CHUNK))
    held = sum(len(block.text) + len(block.kinds) + len(block.words) for block in record._blocks)
    assert held == 4 * CHUNK * (200 + 1 + 1)  # two bytes for é, the newline, its kind
    assert record[5] == "é" * 100


def test_when_each_rider_set_out_is_read_from_the_record() -> None:
    scenario = resolve_scenario("lossy-desert")
    tm = TimeMachine(scenario)
    while tm.step():
        pass
    sends = [json.loads(line) for line in tm.lines if '"kind": "send"' in line]
    assert [e["id"] for e in sends] == list(range(1, len(sends) + 1))
    assert list(tm.sent_at) == [e["t"] for e in sends]
    assert len(tm.sent_at) == len(sends)


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["set", "cancel", "deliver", "send"]), max_size=60),
    size=st.integers(1, 6),
    cuts=st.lists(st.tuples(st.integers(0, 70), st.integers(0, 70)), max_size=6),
)
def test_counting_lines_without_some_kinds_reads_whole_blocks_by_their_counts(
    kinds: list[str], size: int, cuts: list[tuple[int, int]]
) -> None:
    import desert_paxos.repl._lines as module

    old = module.CHUNK
    module.CHUNK = size
    try:
        lines = [f'{{"kind": "{kind}", "seq": {i}}}' for i, kind in enumerate(kinds)]
        record = filled(lines)
        hidden = ('"kind": "set"', '"kind": "cancel"')
        for a, b in [(0, len(lines)), *cuts]:
            a, b = min(a, len(lines)), min(b, len(lines))
            expected = sum(1 for line in lines[a:b] if not any(h in line for h in hidden))
            assert record.count_without(a, b, hidden) == expected
            assert record.count_without(a, b, ()) == max(0, b - a)
    finally:
        module.CHUNK = old


def _golden_cases() -> list[tuple[Path, int, Path]]:
    sys.path.insert(0, str(Path(__file__).parent / "golden"))
    from regenerate import golden_cases

    return golden_cases()


@pytest.mark.parametrize(("path", "seed", "golden"), _golden_cases()[::2])
def test_recorded_lines_are_the_golden_traces_byte_for_byte(
    path: Path, seed: int, golden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most events are recorded as numbers and made into lines when read: the lines are the
    trace writer's, read forwards, backwards, by index, through a prefix and after a cut."""
    import desert_paxos.repl._lines as module

    monkeypatch.setattr(module, "CHUNK", 7)  # many sealed blocks and a tail
    expected = golden.read_text(encoding="utf-8").splitlines()[1:]  # the header is kept apart
    tm = TimeMachine(replace(load_scenario_file(path), seed=seed))
    while tm.step():
        pass
    lines = tm.lines
    assert len(lines) == len(expected)
    assert list(lines) == expected
    assert list(reversed(lines)) == expected[::-1]
    assert [lines[i] for i in range(len(expected) - 1, -1, -3)] == expected[::-3]
    for a, b in [(0, 5), (3, 40), (len(expected) // 2, len(expected))]:
        assert list(lines[a:b]) == expected[a:b]
    hidden = ('"kind": "timer_set"', '"kind": "timer_cancel"', '"kind": "decide"')
    want = sum(1 for line in expected if not any(h in line for h in hidden))
    assert lines.count_without(0, len(expected), hidden) == want
    half = len(expected) // 2 + 3
    assert lines.prefix(half) == expected[:half]
    lines.truncate(len(expected) - 2)
    assert lines == expected[:-2]
    lines.truncate(half)
    assert lines == expected[:half]
