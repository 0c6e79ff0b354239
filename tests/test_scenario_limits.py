"""The scenario format's fixed limits and plain-text rule: the loader and the JSON Schema agree,
every message names the field and the limit, and what `check` accepts `run` can run."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desert_paxos._untrusted import MAX_DEPTH, SCENARIO_LIMIT, TRACE_LIMIT
from desert_paxos.scenario import ScenarioError, parse_scenario_text, scenario_from_data
from desert_paxos.scenario._load import (
    MAX_CARAVANS,
    MAX_NAME_CHARS,
    MAX_PROPOSALS,
    MAX_SEED,
    MAX_TEXT_CHARS,
    MAX_TICK,
    MAX_TIMELINE,
)
from desert_paxos.scenario._schema import scenario_json_schema
from desert_paxos.sim import Simulation
from desert_paxos.trace import TraceWriter

PROPOSAL = {"at": 0, "caravan": "Aghilas", "campsite": "Siwa"}
MINIMAL: dict[str, Any] = {"proposals": [PROPOSAL]}
MANY_NAMES = [f"Caravan {i}" for i in range(MAX_CARAVANS + 1)]
SCHEMA = jsonschema.Draft202012Validator(scenario_json_schema())


def _with_campsite(campsite: object) -> dict[str, Any]:
    return dict(MINIMAL, proposals=[dict(PROPOSAL, campsite=campsite)])


# (document, the field the loader names, a fragment of its message)
REJECTS: list[tuple[dict[str, Any], str, str]] = [
    (dict(MINIMAL, name="\u001b]0;pwned\u0007"), "name", "control character U+001B"),
    (_with_campsite("Siwa\nt=  100  Itri decides"), "proposals[0].campsite", "U+000A"),
    (_with_campsite("Siwa\u2028"), "proposals[0].campsite", "U+2028"),
    (_with_campsite("\u009b2J"), "proposals[0].campsite", "U+009B"),
    (_with_campsite("S" * (MAX_NAME_CHARS + 1)), "proposals[0].campsite", "at most 200"),
    (dict(MINIMAL, caravans=["Aghilas", "Tazi\u0007ri"]), "caravans[1]", "U+0007"),
    (dict(MINIMAL, description="clears \u001b[2J the screen"), "description", "U+001B"),
    (dict(MINIMAL, description="d" * (MAX_TEXT_CHARS + 1)), "description", "at most 10,000"),
    (dict(MINIMAL, caravans=MANY_NAMES), "caravans", "a scenario has at most 100"),
    (dict(MINIMAL, proposals=[PROPOSAL] * (MAX_PROPOSALS + 1)), "proposals", "at most 1,000"),
    (
        dict(MINIMAL, timeline=[{"at": 0, "calm": True}] * (MAX_TIMELINE + 1)),
        "timeline",
        "at most 10,000",
    ),
    (dict(MINIMAL, until=MAX_TICK + 1), "until", "at most 1,000,000,000,000"),
    (dict(MINIMAL, seed=MAX_SEED + 1), "seed", "too large"),
    (dict(MINIMAL, timing={"phase_timeout": 10**30}), "timing.phase_timeout", "too large"),
    (dict(MINIMAL, network={"delay": {"mean": 1e300}}), "network.delay.mean", "at most"),
    (dict(MINIMAL, network={"delay": {"min": 0, "max": 10**20}}), "network.delay.max", "large"),
    (dict(MINIMAL, network={"loss": 10**400}), "network.loss", "a number of 401 digits"),
    (dict(MINIMAL, timeline=[{"at": 0, "drop": 10**13}]), "timeline[0].drop", "too large"),
]


@pytest.mark.parametrize(
    ("doc", "field", "fragment"), REJECTS, ids=[f"{r[1]}-{r[2][:20]}" for r in REJECTS]
)
def test_loader_and_schema_refuse_past_the_limits(
    doc: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(doc, "doc.json")
    rendered = err.value.render()
    assert f"doc.json: {field}: " in rendered and fragment in rendered
    assert "\x1b" not in rendered and "\x07" not in rendered  # the message is safe to print
    first_error = next(SCHEMA.iter_errors(doc), None)  # lazy: a long list stops at maxItems
    assert first_error is not None


ACCEPTS: list[dict[str, Any]] = [
    dict(MINIMAL, caravans=["Aghilas", *MANY_NAMES[: MAX_CARAVANS - 1]]),
    dict(MINIMAL, proposals=[PROPOSAL] * MAX_PROPOSALS),
    dict(MINIMAL, until=MAX_TICK, seed=MAX_SEED),
    _with_campsite("Oasis ⛺ de Siwa \U0001f42a, café" + "x" * (MAX_NAME_CHARS - 30)),
    dict(MINIMAL, description="Two lines:\n\tthe second indented."),
    dict(MINIMAL, network={"delay": {"mean": MAX_TICK}}),
]


@pytest.mark.parametrize("doc", ACCEPTS, ids=lambda d: json.dumps(d)[:50])
def test_loader_and_schema_accept_up_to_the_limits(doc: dict[str, Any]) -> None:
    scenario_from_data(doc, "doc.json")
    SCHEMA.validate(doc)


def test_thousands_of_problems_are_counted_not_all_printed() -> None:
    doc = dict(MINIMAL, caravans=["Aghilas", *[1] * 99])
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(doc, "doc.json")
    lines = err.value.render().splitlines()
    assert lines[0] == "doc.json: 99 problems in this scenario"
    assert len(lines) == 52 and lines[-1] == "  doc.json: ... and 49 more problems"


# -- check and run agree: whatever the loader accepts runs, and its trace can be written ----

NASTY = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=8),
    st.sampled_from(["Aghilas", "Taziri", "Itri", "Siwa", True, None, [], {}, 10**30, 1e300]),
    st.sampled_from(["\ud800", "Siwa\udfff", "\x1b[2J", "a\nb", "\u2028", "\x00"]),
)


@st.composite
def near_scenarios(draw: st.DrawFn) -> str:
    """A valid scenario with a few of its fields replaced by anything JSON can hold."""
    doc: dict[str, Any] = {
        "caravans": ["Aghilas", "Taziri", "Itri"],
        "network": {"delay": {"mean": 7}, "loss": 0.1, "duplicate": 0.1},
        "timing": {"phase_timeout": 40, "backoff": {"min": 3, "max": 9}},
        "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Siwa"}],
        "timeline": [{"at": 5, "sandstorm": [["Itri"]]}, {"at": 9, "crash": "Taziri"}],
        "until": 150,
    }
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(["network", "timing", "proposals", "timeline", "top"]))
        value = draw(NASTY)
        if section == "top":
            doc[draw(st.sampled_from(["name", "seed", "until", "quorum", "description"]))] = value
        elif section == "network":
            doc["network"][draw(st.sampled_from(["loss", "duplicate"]))] = value
            if draw(st.booleans()):
                doc["network"]["delay"] = {"mean": value}
        elif section == "timing":
            doc["timing"][draw(st.sampled_from(["phase_timeout", "backoff"]))] = value
        else:
            items = doc[section]
            key = draw(st.sampled_from(sorted(items[0])))
            items[0] = dict(items[0], **{key: value})
    return json.dumps(doc, ensure_ascii=draw(st.booleans()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_scenarios())
def test_what_check_accepts_run_runs_and_traces(text: str) -> None:
    try:
        scenario = parse_scenario_text(text, "fuzz.json", "json")
    except ScenarioError as exc:
        assert exc.problems and "fuzz.json" in exc.render()
        return
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # strict, as a trace file is
    Simulation(scenario, until=min(scenario.until, 400), observers=[TraceWriter(stream)]).run()
    stream.flush()


def test_the_readme_documents_the_limits_and_how_to_raise_them() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Limits", 1)[1].split("\n### ", 1)[0]
    for number in (MAX_CARAVANS, MAX_PROPOSALS, MAX_TIMELINE, MAX_NAME_CHARS, MAX_TEXT_CHARS):
        assert f"{number:,}" in section
    assert MAX_TICK == 10**12 and "10^12" in section and f"{MAX_DEPTH} levels" in section
    for limit in (SCENARIO_LIMIT, TRACE_LIMIT):
        assert f"| {limit.default_mb} MB" in section and f"`{limit.env}=N`" in section
    # The example is the message the reader gives.
    assert TRACE_LIMIT.too_big(412_300_000, TRACE_LIMIT.default_mb).message in section
    assert "desert-paxos schema --trace" in readme


def test_a_trace_of_the_largest_seed_reads_back(tmp_path: Path) -> None:
    """A scenario valid at its limits writes a trace that `replay` and `export` read: the seed's
    limit is the trace's own (a whole number the viewer's JavaScript holds exactly)."""
    from desert_paxos.trace import read_trace

    scenario = scenario_from_data(dict(MINIMAL, seed=MAX_SEED), "doc.json")
    path = tmp_path / "t.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        Simulation(scenario, observers=[TraceWriter(stream)]).run()
    header, events = read_trace(path)
    assert header["seed"] == MAX_SEED and events[-1]["kind"] == "end"


def test_one_problem_past_those_shown_is_one_more_problem() -> None:
    doc = dict(MINIMAL, caravans=["Aghilas", *[1] * 51])
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(doc, "doc.json")
    assert err.value.render().splitlines()[-1] == "  doc.json: ... and 1 more problem"


def test_a_control_character_is_placed_by_counting_from_one() -> None:
    """'Tazi\\u0007ri': the bell is the fifth character, as a reader counts."""
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(dict(MINIMAL, caravans=["Aghilas", "Tazi\u0007ri"]), "doc.json")
    assert "control character U+0007 at character 5 is not allowed" in err.value.render()
