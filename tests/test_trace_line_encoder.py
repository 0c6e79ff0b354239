"""The trace's line encoder must write exactly what ``json.dumps`` writes.

``desert_paxos.trace`` builds a faster encoder once (see ``_line_encoder``);
these tests compare it with the straightforward ``json.dumps(sort_keys=True,
ensure_ascii=False)`` on generated JSON trees and on real events.
"""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from desert_paxos.scenario import load_builtin
from desert_paxos.sim import Simulation
from desert_paxos.trace import TraceWriter, dump_event


def reference(event: Any) -> str:
    return json.dumps(event, sort_keys=True, ensure_ascii=False)


json_trees = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), json_trees, max_size=8))
def test_dump_event_matches_json_dumps_on_any_tree(event: dict[str, Any]) -> None:
    assert dump_event(event) == reference(event)


def test_trace_writer_lines_match_json_dumps_for_a_real_run() -> None:
    events: list[dict[str, Any]] = []
    out = io.StringIO()
    Simulation(load_builtin("calm-day"), observers=[events.append, TraceWriter(out)]).run()
    expected = "".join(reference(event) + "\n" for event in events)
    assert len(events) > 20
    assert out.getvalue() == expected


def test_unserialisable_values_are_refused_as_json_dumps_refuses_them() -> None:
    try:
        dump_event({"kind": "note", "text": {1, 2}})
    except TypeError as exc:
        assert "not JSON serializable" in str(exc)
    else:
        raise AssertionError("a set is not JSON and must not be written")
