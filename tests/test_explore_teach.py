"""Counterexamples that teach: the variants listed in --help, the faults a variant needs, the
story a teacher tells first (two caravans deciding differently), and the mark of the step where
a broken variant departs from real Paxos, in the output and in the trace as a ``note``."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.explore import ExploreOptions, Model, counterexample, search
from desert_paxos.explore._departure import departure, real_config
from desert_paxos.protocol import VARIANTS, Caravan, Variant
from desert_paxos.trace import read_trace

from .test_explore_cli import cli

BROKEN = [name for name in VARIANTS if name != "paxos"]


def _needs(name: str) -> dict[str, Any]:
    return {field: (bool(v) if field == "self_delay" else v) for field, v in VARIANTS[name].needs}


# -- the variants, one line each -----------------------------------------------------------


def test_help_lists_every_variant_with_its_lesson_on_one_line() -> None:
    done = cli("explore", "--help")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    for variant in VARIANTS.values():
        (line,) = [row for row in lines if row.split()[:1] == [variant.name]]
        assert variant.lesson in line
    forgetful = next(row for row in lines if row.split()[:1] == ["forgetful-acceptor"])
    assert "--crashes 1" in forgetful


# -- the faults a variant needs ----------------------------------------------------------


def test_forgetful_acceptor_breaks_with_the_default_flags(tmp_path: Path) -> None:
    done = cli("explore", "--variant", "forgetful-acceptor", "--quiet")
    assert done.returncode == 1, done.stderr + done.stdout
    out = done.stdout
    assert "forgetful-acceptor breaks only with --crashes 1" in out
    assert "faults: up to 1 crash" in out
    assert "Safety broken: agreement" in out
    assert "Safety holds" not in out


def test_a_broken_variant_that_holds_says_which_faults_were_off() -> None:
    done = cli("explore", "--variant", "forgetful-acceptor", "--crashes", "0", "--quiet")
    assert done.returncode == 0, done.stderr
    (verdict,) = [line for line in done.stdout.splitlines() if "Safety holds" in line]
    assert "only with --crashes 0" in verdict
    assert "forgetful-acceptor needs --crashes 1 to break" in verdict
    assert "does not show that it is safe" in verdict


def test_a_variant_needing_two_faults_says_to_leave_both_flags_out() -> None:
    """volatile-round needs a crash and --self-delay: leaving out --crashes alone would still
    search without the self-delay, so the verdict names every flag that turned a need off."""
    done = cli(
        "explore", "--variant", "volatile-round", "--crashes", "0", "--no-self-delay", "--quiet"
    )
    assert done.returncode == 0, done.stderr
    (verdict,) = [line for line in done.stdout.splitlines() if "Safety holds" in line]
    assert "leave --crashes 0 --no-self-delay out" in verdict


def test_the_real_protocol_holds_without_any_excuse() -> None:
    done = cli("explore", "--proposers", "1", "--crashes", "0", "--quiet")
    assert done.returncode == 0
    (verdict,) = [line for line in done.stdout.splitlines() if "Safety holds" in line]
    assert verdict == "Safety holds in all 292 states."


# -- the story a teacher tells first --------------------------------------------------------


def test_stubborn_proposer_tells_two_caravans_deciding_differently(tmp_path: Path) -> None:
    trace = tmp_path / "stubborn.jsonl"
    done = cli("explore", "--variant", "stubborn-proposer", "--trace", str(trace))
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "Checking agreement after every move" in out
    assert "Safety broken: agreement" in out
    assert "Taziri decided 'Wells of Timbuktu' but Aghilas had decided 'Oasis of Siwa'" in out
    # The mark: where the variant departs from real Paxos, and what real Paxos would do.
    mark = (
        "Here Taziri departs from real Paxos (stubborn-proposer): real Paxos would have Taziri "
        "carry Oasis of Siwa forward"
    )
    assert "Where it began, at step 8: " + mark in out
    assert any(line.startswith("t=    8  " + mark) for line in out.splitlines())
    assert (
        "as the stubborn proposer, Taziri asks every caravan to vote for Wells of Timbuktu" in out
    )
    _, events = read_trace(trace)
    notes = [e for e in events if e["kind"] == "note"]
    assert len(notes) == 1
    (note,) = notes
    assert note["t"] == 8 and note["node"] == "Taziri" and note["text"].startswith(mark)
    step_8 = [e["kind"] for e in events if e["t"] == 8]
    assert step_8[-1] == "note"  # the mark closes the step it marks
    replay = cli("replay", str(trace))
    assert mark in replay.stdout


def test_invariant_still_chooses_the_story() -> None:
    done = cli("explore", "--variant", "stubborn-proposer", "--invariant", "single-choice")
    assert done.returncode == 1
    assert "Checking single-choice after every move" in done.stdout
    assert "The shortest counterexample takes 8 steps" in done.stdout
    assert "Where it began, at step 7: Here Taziri departs" in done.stdout


def test_a_variant_without_disagreement_in_its_bounds_falls_back_to_every_invariant() -> None:
    # One proposer, one campsite: no two caravans can disagree, but the early learner still
    # decides on a single vote, which the second search, over every invariant, finds.
    done = cli("explore", "--variant", "early-learner", "--proposers", "1", "--quiet")
    assert done.returncode == 1
    out = done.stdout
    assert "Checking agreement after every move" in out
    assert "No two caravans decide differently within these bounds; now every invariant." in out
    assert re.search(r"Checking agreement, validity, .*knowledge after every move", out)
    assert "The invariant that broke at step 3: knowledge" in out


# -- the departure, derived from effects for every variant ----------------------------------


def _story(**options: Any) -> tuple[Model, Any]:
    model = Model(ExploreOptions(**options))
    result = search(model)
    assert result.violation is not None
    return model, counterexample(model, result.path, result.violation)


_UNIT_TEST_STATES = 200_000  # a variant whose shortest story lies deeper is skipped, by name


@pytest.mark.parametrize("name", BROKEN)
def test_every_broken_variant_is_marked_where_it_departs(name: str) -> None:
    model = Model(ExploreOptions(variant=name, **_needs(name)))
    result = search(model, max_states=_UNIT_TEST_STATES)
    if result.violation is None:  # a variant whose story lies deeper than a unit test goes
        pytest.skip(f"{name}: no counterexample within {_UNIT_TEST_STATES:,} states")
    story = counterexample(model, result.path, result.violation)
    assert story.departure is not None, name
    step, mark = story.departure
    assert 1 <= step <= story.length
    assert mark.text.startswith(f"Here {mark.node} departs from real Paxos ({name}): ")
    assert mark.text.endswith(f"The rule: {VARIANTS[name].lesson}")
    notes = [e for e in story.events if e["kind"] == "note"]
    assert [(e["t"], e["node"], e["text"]) for e in notes] == [(step, mark.node, mark.text)]


def test_the_departure_is_the_first_step_real_paxos_would_play_differently() -> None:
    model, story = _story(variant="stubborn-proposer")
    assert story.departure is not None
    step, mark = story.departure
    # Every earlier step, played on the real core from the same caravans, does the same.
    actions = [s.action for s in story.steps]
    from desert_paxos.explore._trace import _Player

    player = _Player(model)
    for t, action in enumerate(actions, start=1):
        found = departure(model, player.caravans, player.disk, action)
        assert (found is not None) == (t == step), t
        if found is not None:
            assert found == mark
            break
        player.play(t, action)


def test_a_variant_added_later_is_marked_with_no_code_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A new variant that is the forgetful acceptor under another name, with no `who`: the mark
    # comes from the effects alone, and names the variant by its name.
    newcomer = Variant(
        name="amnesiac", lesson="Keep your promises on paper.", persist_promise=False
    )
    monkeypatch.setitem(VARIANTS, "amnesiac", newcomer)
    _, story = _story(variant="amnesiac", crashes=1, invariants=("agreement",))
    assert story.departure is not None
    step, mark = story.departure
    assert step == 1
    assert mark.text == (
        "Here Aghilas departs from real Paxos (amnesiac): real Paxos would have Aghilas write "
        "its promise (1, Aghilas) in its logbook; as a caravan of the amnesiac variant, Aghilas "
        "does not. The rule: Keep your promises on paper."
    )


def test_real_paxos_keeps_intersecting_quorums_and_replaces_those_that_need_not_meet() -> None:
    small = Model(ExploreOptions(variant="small-quorums", q1=2, q2=1)).config
    assert (real_config(small).phase1_quorum, real_config(small).phase2_quorum) == (2, 2)
    assert real_config(small).variant is VARIANTS["paxos"]
    flexible = Model(ExploreOptions(variant="stubborn-proposer", q1=3, q2=1)).config
    assert (real_config(flexible).phase1_quorum, real_config(flexible).phase2_quorum) == (3, 1)


def test_the_real_protocol_never_departs_from_itself() -> None:
    model = Model(ExploreOptions())
    caravans: dict[str, Caravan | None] = {
        name: Caravan(model.config, name) for name in model.names
    }
    disk = {name: c.record for name, c in caravans.items() if c is not None}
    assert departure(model, caravans, disk, ("propose", 0)) is None
    paxos_like = replace(model.config.variant)
    assert paxos_like == VARIANTS["paxos"]
