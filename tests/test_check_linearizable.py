"""The linearizability checker: hand-made histories with known verdicts, the history
format's rules, the limits that answer "unknown", and Hypothesis against a brute-force
search over every order on random histories of up to eight operations."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desert_paxos._untrusted import control_character
from desert_paxos.check import (
    HistoryError,
    LinearizabilityResult,
    Operation,
    check_events,
    parse_history,
)

Event = dict[str, Any]


def ev(process: int | str, kind: str, f: str, key: Any = "x", value: Any = None) -> Event:
    event: Event = {"process": process, "type": kind, "f": f, "value": value}
    if key is not None:
        event["key"] = key
    return event


def op(process: int, f: str, value: Any = None, key: Any = "x") -> tuple[Event, Event]:
    """An invocation and its ok completion (a read's value is what it read)."""
    invoke = None if f == "read" else value
    return ev(process, "invoke", f, key, invoke), ev(process, "ok", f, key, value)


def check(events: Sequence[Event], model: str = "kv") -> LinearizabilityResult:
    return check_events(events, model)


# -- hand-made histories --------------------------------------------------------------------


def test_sequential_write_then_read_is_linearizable_and_the_order_is_told() -> None:
    w, r = op(0, "write", 1), op(1, "read", 1)
    result = check([*w, *r])
    assert result.verdict == "linearizable" and result.linearizable is True
    assert result.keys[0].order == (0, 1)
    assert result.first_unplaceable is None and result.longest_prefix == ()


def test_stale_read_after_a_completed_write_is_not() -> None:
    w, r = op(0, "write", 1), op(1, "read", None)
    result = check([*w, *r])
    assert result.verdict == "not linearizable" and result.linearizable is False
    assert result.first_unplaceable is not None
    assert (result.first_unplaceable.f, result.first_unplaceable.call) == ("read", 3)
    assert [o.f for o in result.longest_prefix] == ["write"]


def test_a_read_concurrent_with_a_write_may_see_either_value() -> None:
    for seen in (None, 1):
        history = [
            ev(0, "invoke", "write", value=1),
            ev(1, "invoke", "read"),
            ev(1, "ok", "read", value=seen),
            ev(0, "ok", "write", value=1),
        ]
        assert check(history).verdict == "linearizable", seen


def test_a_new_value_read_then_the_old_one_is_not() -> None:
    # Two reads during one write: once the first saw the new value, the second may not go back.
    history = [
        ev(0, "invoke", "write", value=1),
        *op(1, "read", 1),
        *op(2, "read", None),
        ev(0, "ok", "write", value=1),
    ]
    result = check(history)
    assert result.verdict == "not linearizable"
    assert result.first_unplaceable is not None and result.first_unplaceable.process == 2


def test_lost_write() -> None:
    history = [*op(0, "write", 1), *op(1, "write", 2), *op(2, "read", 1)]
    result = check(history)
    assert result.verdict == "not linearizable"
    assert [o.value for o in result.longest_prefix] == [1, 2]


def test_two_concurrent_cas_on_one_expected_value_cannot_both_succeed() -> None:
    history = [
        *op(0, "write", 0),
        ev(1, "invoke", "cas", value=[0, 1]),
        ev(2, "invoke", "cas", value=[0, 2]),
        ev(1, "ok", "cas", value=[0, 1]),
        ev(2, "ok", "cas", value=[0, 2]),
    ]
    assert check(history).verdict == "not linearizable"
    one_fails = [*history[:-1], ev(2, "fail", "cas", value=[0, 2])]
    assert check(one_fails).verdict == "linearizable"


def test_a_cas_that_failed_while_its_expected_value_was_there_is_not() -> None:
    history = [*op(0, "write", 0), ev(1, "invoke", "cas", value=[0, 1]), ev(1, "fail", "cas")]
    result = check(history)
    assert result.verdict == "not linearizable"
    assert result.first_unplaceable is not None and result.first_unplaceable.status == "fail"


def test_a_cas_from_null_succeeds_on_a_missing_key_and_its_value_is_read() -> None:
    history = [*op(0, "cas", [None, 7]), *op(1, "read", 7), *op(1, "cas", [None, 8])]
    assert check(history).verdict == "not linearizable"  # the second cas found 7, not null
    history[-1] = ev(1, "fail", "cas", value=[None, 8])
    assert check(history).verdict == "linearizable"


def test_a_successful_cas_whose_write_is_never_seen_is_not() -> None:
    history = [*op(0, "write", 1), *op(1, "cas", [1, 2]), *op(2, "read", 1)]
    assert check(history).verdict == "not linearizable"


def test_an_unknown_write_that_was_read_must_take_effect() -> None:
    history = [
        ev(0, "invoke", "write", value=5),
        ev(0, "info", "write", value=5),
        *op(1, "read", 5),
    ]
    result = check(history)
    assert result.verdict == "linearizable"
    assert result.keys[0].order == (0, 1)  # the unknown write placed before the read


def test_an_unknown_write_never_seen_may_never_take_effect() -> None:
    history = [ev(0, "invoke", "write", value=5), ev(0, "info", "write"), *op(1, "read", None)]
    result = check(history)
    assert result.verdict == "linearizable"
    assert result.keys[0].order == (1,)  # the write left out: it never happened


def test_an_unknown_write_may_take_effect_long_after_its_invocation() -> None:
    history = [
        ev(0, "invoke", "write", value=5),
        ev(0, "info", "write"),
        *op(1, "read", None),
        *op(1, "write", 3),
        *op(2, "read", 3),
        *op(2, "read", 5),  # it lands after all of these
        *op(3, "read", 5),
    ]
    assert check(history).verdict == "linearizable"
    assert check([*history, *op(3, "read", 3)]).verdict == "not linearizable"


def test_an_unknown_write_cannot_be_read_before_it_was_invoked() -> None:
    history = [*op(1, "read", 5), ev(0, "invoke", "write", value=5), ev(0, "info", "write")]
    result = check(history)
    assert result.verdict == "not linearizable"
    assert result.first_unplaceable is not None and result.first_unplaceable.f == "read"


def test_an_invocation_never_completed_counts_as_unknown() -> None:
    history = [ev(0, "invoke", "write", value=5), *op(1, "read", 5), *op(1, "read", None)]
    result = check(history)
    assert [o.status for o in result.operations] == ["info", "ok", "ok"]
    assert result.operations[0].ret is None
    assert result.verdict == "not linearizable"  # once read, 5 cannot go away again
    assert check(history[:3]).verdict == "linearizable"


def test_an_unknown_cas_takes_effect_only_where_its_expected_value_is() -> None:
    start = [*op(0, "write", 0), ev(1, "invoke", "cas", value=[0, 5]), ev(1, "info", "cas")]
    assert check([*start, *op(2, "read", 5)]).verdict == "linearizable"
    assert check([*start, *op(2, "read", 0)]).verdict == "linearizable"  # or it did nothing
    # After the value moved on to 1, the cas [0, 5] can no longer write 5.
    moved = [*start, *op(2, "write", 1), *op(2, "read", 5)]
    assert check(moved).verdict == "not linearizable"


def test_keys_are_checked_independently() -> None:
    # On one register this is a stale read; on two keys, y was simply never written.
    history = [*op(0, "write", 1, key="x"), *op(1, "read", None, key="y")]
    result = check(history)
    assert result.verdict == "linearizable"
    assert [k.key for k in result.keys] == ["x", "y"] and result.counts()["keys"] == 2
    as_register = [{k: v for k, v in e.items() if k != "key"} for e in history]
    assert check(as_register, "register").verdict == "not linearizable"


def test_the_violation_is_reported_on_its_key_with_that_keys_prefix() -> None:
    history = [
        *op(0, "write", 1, key="a"),
        *op(1, "write", 7, key="b"),
        *op(0, "read", 1, key="a"),
        *op(1, "read", 8, key="b"),
        *op(0, "write", 2, key="a"),
    ]
    result = check(history)
    assert result.verdict == "not linearizable"
    assert [k.verdict for k in result.keys] == ["linearizable", "not linearizable"]
    bad = result.first_unplaceable
    assert bad is not None and (bad.key, bad.output) == ("b", 8)
    assert [(o.key, o.value) for o in result.longest_prefix] == [("b", 7)]


def test_the_first_unplaceable_operation_is_the_earliest_over_all_keys() -> None:
    history = [
        *op(0, "write", 1, key="a"),
        *op(1, "write", 1, key="b"),
        *op(1, "read", 2, key="b"),  # b breaks first
        *op(0, "read", 2, key="a"),
    ]
    result = check(history)
    assert result.first_unplaceable is not None and result.first_unplaceable.key == "b"
    assert [k.verdict for k in result.keys] == ["not linearizable"] * 2


def test_values_compare_as_json_values() -> None:
    assert check([*op(0, "write", True), *op(1, "read", 1)]).verdict == "not linearizable"
    assert check([*op(0, "write", 1), *op(1, "read", 1.0)]).verdict == "linearizable"
    nested = {"water": [40, {"dates": 3}]}
    assert check([*op(0, "write", nested), *op(1, "read", nested)]).verdict == "linearizable"
    assert check([*op(0, "write", "1"), *op(1, "read", 1)]).verdict == "not linearizable"


def test_processes_may_be_named_by_strings_and_keys_by_numbers() -> None:
    history = [*op("alice", "write", 1, key=3), *op("bob", "read", 1, key=3)]  # type: ignore[arg-type]
    assert check(history).verdict == "linearizable"


def test_an_empty_history_is_linearizable() -> None:
    result = check([])
    assert result.verdict == "linearizable" and result.counts()["operations"] == 0


def test_counts() -> None:
    history = [
        *op(0, "write", 1),
        ev(1, "invoke", "cas", value=[0, 1]),
        ev(1, "fail", "cas"),
        ev(2, "invoke", "read"),
        ev(2, "info", "read"),
        ev(3, "invoke", "write", key="y", value=2),
    ]
    counts = check(history).counts()
    assert counts["operations"] == 4 and counts["ok"] == 1 and counts["fail"] == 1
    assert counts["info"] == 2 and counts["keys"] == 2 and counts["keys_checked"] == 2


# -- the limits ----------------------------------------------------------------------------


def hard_history(writers: int) -> list[Event]:
    """Concurrent writes and a read of a value none wrote: every subset of the writes is
    tried before the search can say no."""
    events = [ev(p, "invoke", "write", value=p) for p in range(writers)]
    events += op(writers, "read", -1)
    events += [ev(p, "ok", "write", value=p) for p in range(writers)]
    return events


class FakeClock:
    """Seconds that pass only when read: each look adds ``tick``."""

    def __init__(self, tick: float) -> None:
        self.now = 0.0
        self.tick = tick
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.tick
        return self.now


def test_the_time_limit_answers_unknown() -> None:
    clock = FakeClock(tick=1.0)
    result = check_events(hard_history(12), timeout=2.5, clock=clock)
    assert result.verdict == "unknown" and result.linearizable is None
    assert "time limit of 2.5 s" in result.reason and '"x"' in result.reason
    assert clock.reads <= 5  # start, a look every few hundred steps, the end
    assert result.states > 0 and result.keys[0].steps >= 512  # how far it got is told
    # The same history with time enough: a definite no.
    assert check_events(hard_history(12)).verdict == "not linearizable"


def test_a_violation_found_before_the_time_runs_out_stands() -> None:
    history = [*op(0, "write", 1, key="a"), *op(1, "read", 2, key="a")]
    history += [{**e, "key": "b"} for e in hard_history(12)]
    result = check_events(history, timeout=2.5, clock=FakeClock(tick=1.0))
    assert result.verdict == "not linearizable"
    assert [k.verdict for k in result.keys] == ["not linearizable", "unknown"]


def test_the_state_limit_answers_unknown() -> None:
    result = check_events(hard_history(10), max_states=100)
    assert result.verdict == "unknown" and "100 states" in result.reason
    assert result.states == 100
    with pytest.raises(ValueError):
        check_events([], max_states=0)


def test_a_long_key_remembers_fewer_states(monkeypatch: pytest.MonkeyPatch) -> None:
    from desert_paxos.check import _linearizable

    events = hard_history(10)  # 11 operations: 129 bytes a state
    monkeypatch.setattr(_linearizable, "STATE_BYTES", 129 * 40)
    result = check_events(events, max_states=1000)
    assert result.verdict == "unknown" and result.states == 40
    assert "the limit of 40 states remembered for one key of 11 operations (memory)" in (
        result.reason
    )


# -- the history format --------------------------------------------------------------------

BAD_LINES = [
    ("[1, 2]", "", "JSON object"),
    ('{"type": "invoke", "f": "read", "key": "x"}', "process", "missing"),
    ('{"process": true, "type": "invoke", "f": "read", "key": "x"}', "process", "a boolean"),
    ('{"process": 0, "type": "start", "f": "read", "key": "x"}', "type", '"start"'),
    ('{"process": 0, "type": "invoke", "f": "get", "key": "x"}', "f", '"get"'),
    ('{"process": 0, "type": "invoke", "f": "read"}', "key", "--model register"),
    ('{"process": 0, "type": "invoke", "f": "read", "key": [1]}', "key", "a list"),
    ('{"process": 0, "type": "invoke", "f": "read", "key": "x", "value": 3}', "value", "no value"),
    ('{"process": 0, "type": "invoke", "f": "write", "key": "x"}', "value", "value written"),
    ('{"process": 0, "type": "invoke", "f": "cas", "key": "x", "value": 3}', "value", "a whole"),
    ('{"process": 0, "type": "invoke", "f": "cas", "key": "x", "value": [1]}', "value", "of 1"),
    ('{"process": 0, "type": "ok", "f": "read", "key": "x", "value": 1}', "type", "no invoked"),
    ('{"process": 0, "type": "invoke", "f": "read", "key": "x", "value": NaN}', "value", "NaN"),
    ('{"process": 0, "type": "invoke", "f": "read", "key": "x"', "", "not valid JSON"),
]


@pytest.mark.parametrize(("line", "field", "says"), BAD_LINES)
def test_a_bad_line_is_named_with_its_field(line: str, field: str, says: str) -> None:
    good = '{"process": 9, "type": "invoke", "f": "write", "key": "x", "value": 1}'
    with pytest.raises(HistoryError) as caught:
        parse_history(["", good, line])
    error = caught.value
    assert (error.line, error.field) == (3, field)
    assert says in error.message
    assert str(error).startswith(f"history:3: {field}" if field else "history:3: ")


@pytest.mark.parametrize(
    ("events", "line", "field", "says"),
    [
        ([ev(0, "invoke", "read"), ev(0, "invoke", "read")], 2, "type", "one operation at a time"),
        ([ev(0, "invoke", "read"), ev(0, "ok", "write", value=1)], 2, "f", "repeats"),
        ([ev(0, "invoke", "read"), ev(0, "ok", "read", key="y")], 2, "key", "invocation's key"),
        ([ev(0, "invoke", "write", value=1), ev(0, "fail", "write")], 2, "type", '"info"'),
        ([ev(0, "invoke", "read"), ev(0, "fail", "read")], 2, "type", "cas"),
        (
            [ev(0, "invoke", "read"), ev(0, "info", "read"), ev(0, "invoke", "read")],
            3,
            "process",
            "new process id",
        ),
    ],
)
def test_a_history_that_breaks_the_rules_is_named(
    events: list[Event], line: int, field: str, says: str
) -> None:
    text = [json.dumps(e) for e in events]
    with pytest.raises(HistoryError) as caught:
        parse_history(text)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert says in caught.value.message


def test_an_ok_read_without_a_value_is_refused() -> None:
    with pytest.raises(HistoryError) as caught:
        check([ev(0, "invoke", "read"), {"process": 0, "type": "ok", "f": "read", "key": "x"}])
    assert (caught.value.line, caught.value.field) == (2, "value")


def test_the_register_model_refuses_keys_and_unknown_models_are_refused() -> None:
    with pytest.raises(HistoryError) as caught:
        check([ev(0, "invoke", "read")], "register")
    assert caught.value.field == "key" and "--model kv" in caught.value.message
    with pytest.raises(HistoryError, match="unknown model"):
        check([], "queue")


def test_extra_fields_are_allowed_and_control_characters_are_escaped() -> None:
    history = [{**e, "time": 12, "index": 3} for e in op(0, "write", 1)]
    assert check(history).verdict == "linearizable"
    with pytest.raises(HistoryError) as caught:
        check([ev("\x1b[2J", "invoke", "read"), ev("\x1b[2J", "invoke", "read")])
    assert control_character(str(caught.value)) is None and "[2J" in str(caught.value)


# -- against every order -----------------------------------------------------------------


def brute_force(operations: Sequence[Operation]) -> bool:
    """Is there an order of the operations, each of unknown outcome in it or left out, that
    respects real time and that one copy of the data answers exactly? Every order is tried,
    one operation at a time, with no memory of what was tried (a plain enumeration)."""

    def legal(o: Operation, store: dict[Any, Any]) -> Iterator[dict[Any, Any]]:
        current = store.get(o.key)  # None: a missing key
        same = json.dumps(current) == json.dumps(o.value[0] if o.f == "cas" else None)
        if o.f == "read":
            if o.status == "info" or json.dumps(current) == json.dumps(o.output):
                yield store
        elif o.f == "write":
            yield {**store, o.key: o.value}
        elif o.status == "ok" and same:
            yield {**store, o.key: o.value[1]}
        elif o.status == "fail" and not same:
            yield store
        elif o.status == "info":  # it succeeded or failed, whichever the value allowed
            yield {**store, o.key: o.value[1]} if same else store

    def search(left: frozenset[int], store: dict[Any, Any]) -> bool:
        if all(operations[i].ret is None for i in left):
            return True  # the rest never took effect
        for i in left:
            o = operations[i]
            must_precede = (
                operations[j]
                for j in left
                if operations[j].ret is not None and operations[j].ret < o.call  # type: ignore[operator]
            )
            if any(True for _ in must_precede):
                continue
            for after in legal(o, store):
                if search(left - {i}, after):
                    return True
        return False

    return search(frozenset(range(len(operations))), {})


def replays(result: LinearizabilityResult, order: Sequence[int]) -> bool:
    """Does this order respect real time and get every answer right, on one copy?"""
    ops = result.operations
    store: dict[Any, Any] = {}
    for position, i in enumerate(order):
        o = ops[i]
        later = order[position + 1 :]
        if any(ops[j].ret is not None and ops[j].ret < o.call for j in later):  # type: ignore[operator]
            return False
        current = json.dumps(store.get(o.key))
        if o.f == "read" and current != json.dumps(o.output):
            return False
        if o.f == "write":
            store[o.key] = o.value
        if o.f == "cas":
            same = current == json.dumps(o.value[0])
            if same != (o.status in ("ok", "info")):
                return False
            if same:
                store[o.key] = o.value[1]
    return True


@st.composite
def histories(draw: st.DrawFn, model: str) -> list[Event]:
    """Up to eight operations by up to four processes on one real copy of the data, with
    each effect at a drawn moment between invocation and completion; some outcomes are
    unknown (info, or never completed) and some answers are lies, so both verdicts come up."""
    keys = ["a", "b"] if model == "kv" else [None]
    values = st.sampled_from([0, 1, 2])
    store: dict[Any, Any] = {}
    events: list[Event] = []
    total = draw(st.integers(0, 8))
    processes = list(range(draw(st.integers(1, 4))))
    fresh = len(processes)
    pending: dict[int, dict[str, Any]] = {}
    invoked = 0
    while invoked < total or pending:
        moves = [("invoke", p) for p in processes if p not in pending and invoked < total]
        moves += [("effect", p) for p, o in pending.items() if "result" not in o]
        moves += [("complete", p) for p in pending]
        if invoked >= total and draw(st.integers(0, 7)) == 0:
            break  # the rest are never completed
        move, p = draw(st.sampled_from(moves))
        if move == "invoke":
            f = draw(st.sampled_from(["read", "write", "cas"]))
            key = draw(st.sampled_from(keys))
            value: Any = None
            if f == "write":
                value = draw(values)
            elif f == "cas":
                value = [draw(st.sampled_from([None, 0, 1, 2])), draw(values)]
            pending[p] = {"f": f, "key": key, "value": value}
            events.append(ev(p, "invoke", f, key, value))
            invoked += 1
            continue
        o = pending[p]
        if move == "effect":
            current = store.get(o["key"])
            if o["f"] == "read":
                o["result"] = ("ok", current)
            elif o["f"] == "write":
                store[o["key"]] = o["value"]
                o["result"] = ("ok", o["value"])
            elif current == o["value"][0]:
                store[o["key"]] = o["value"][1]
                o["result"] = ("ok", o["value"])
            else:
                o["result"] = ("fail", o["value"])
            continue
        del pending[p]
        kind, value = o.get("result", ("info", None))
        if draw(st.integers(0, 5)) == 0:
            kind = "info"  # the answer was lost on the way
        elif kind != "info" and draw(st.integers(0, 5)) == 0:  # a lie
            if o["f"] == "read":
                value = draw(st.sampled_from([None, 0, 1, 2]))
            elif o["f"] == "cas":
                kind = "fail" if kind == "ok" else "ok"
        events.append(ev(p, kind, o["f"], o["key"], value))
        if kind == "info":
            processes[processes.index(p)] = fresh  # it invokes nothing more
            fresh += 1
    return events


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), model=st.sampled_from(["kv", "register"]))
def test_same_verdict_as_trying_every_order(data: st.DataObject, model: str) -> None:
    events = data.draw(histories(model))
    result = check(events, model)
    expected = brute_force(result.operations)
    assert result.verdict == ("linearizable" if expected else "not linearizable"), events
    if expected:
        # The order told is a linearization: every operation with a known outcome is in it.
        order = [i for k in result.keys for i in k.order]
        assert all(replays(result, k.order) for k in result.keys)
        known = {o.index for o in result.operations if o.ret is not None}
        assert known <= set(order)
    else:
        bad = result.first_unplaceable
        assert bad is not None and bad.ret is not None
        prefix = [o.index for o in result.longest_prefix]
        mine = next(k for k in result.keys if k.blocked == bad.index)
        assert replays(result, prefix) and bad.index not in prefix
        # Every operation on its key that completed before it was placed in the prefix.
        earlier = {i for i in mine.operations if (r := result.operations[i].ret) and r < bad.ret}
        assert earlier <= set(prefix)


def test_the_generator_makes_both_verdicts() -> None:
    verdicts: set[str] = set()

    @settings(max_examples=150, deadline=None, database=None)
    @given(data=st.data())
    def collect(data: st.DataObject) -> None:
        verdicts.add(check(data.draw(histories("kv"))).verdict)

    collect()
    assert verdicts == {"linearizable", "not linearizable"}


def test_brute_force_itself_on_the_hand_made_cases() -> None:
    stale = check([*op(0, "write", 1), *op(1, "read", None)])
    assert brute_force(stale.operations) is False
    fine = check([ev(0, "invoke", "write", value=5), ev(0, "info", "write"), *op(1, "read", 5)])
    assert brute_force(fine.operations) is True
    never = check([ev(0, "invoke", "write", value=5), ev(0, "info", "write"), *op(1, "read", 6)])
    assert brute_force(never.operations) is False
