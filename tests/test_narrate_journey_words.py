"""A journey's story voice never shows a timer's internal name, at any level (issue 14's rule,
for the Multi-Paxos built-ins too); the protocol voice keeps the names."""

from __future__ import annotations

import io
import re

import pytest

from desert_paxos.narrate import Narrator
from desert_paxos.scenario import JOURNEY_NAMES, resolve_scenario
from desert_paxos.sim import Simulation

TIMER_WORDS = re.compile(r"\btimers?\b|timer_", re.I)


@pytest.mark.parametrize("name", JOURNEY_NAMES)
def test_no_story_line_names_a_timer(name: str) -> None:
    out = io.StringIO()
    narrator = Narrator("trace", out, colour=False)
    Simulation(resolve_scenario(name), observers=[narrator]).run()
    narrator.flush()
    story = [line.split("│")[0] for line in out.getvalue().splitlines() if line.startswith("t=")]
    assert story
    assert [line for line in story if TIMER_WORDS.search(line)] == []
    assert any("sets its patience" in line for line in story)
