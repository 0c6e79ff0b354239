"""/why tells the truth in a broken variant: a proposer that ignored a reported vote says so."""

from __future__ import annotations

import io

from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import scenario_from_data

STUBBORN = {
    "name": "stubborn-desert",
    "seed": 3,
    "variant": "stubborn-proposer",
    "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"}],
}


def why_after(lines: list[str], variant: str) -> str:
    scenario = scenario_from_data({**STUBBORN, "variant": variant}, "test")
    out = io.StringIO()
    session = Session("test", scenario, Screen(out))
    for line in lines:
        session.execute(line)
    start = len(out.getvalue())
    session.execute("/why Taziri")
    return out.getvalue()[start:]


# Taziri collapses and gets up knowing nothing, then raises a banner after Siwa was chosen:
# its promises report the votes for Siwa.
ACTS = [
    "/run 200",
    "/crash Taziri",
    "/recover Taziri",
    "/propose Taziri Wells of Timbuktu",
    "/run 260",
]


def test_the_stubborn_proposer_says_it_ignored_the_reported_vote() -> None:
    text = " ".join(why_after(ACTS, "stubborn-proposer").split())
    assert "reported a vote for Oasis of Siwa" in text
    assert "ignores it and asks for its own wish, Wells of Timbuktu" in text
    assert "No promise reported an earlier vote" not in text


def test_real_paxos_carries_the_reported_vote_forward_instead() -> None:
    text = " ".join(why_after(ACTS, "paxos").split())
    assert "carries Oasis of Siwa forward" in text
    assert "ignores it" not in text
