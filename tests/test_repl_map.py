"""The map: golden pictures at a fixed width for a few states, and its promises (80 columns, plain text)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from desert_paxos.repl import Screen, Session
from desert_paxos.scenario import resolve_scenario

GOLDEN = Path(__file__).parent / "golden" / "repl"

STATES: dict[str, tuple[str, list[str]]] = {
    "calm-day-start": ("calm-day", []),
    "calm-day-riders": ("calm-day", ["/goto 20"]),
    "calm-day-collapse": ("calm-day", ["/step 4", "/crash Itri", "/run 60"]),
    "calm-day-decided": ("calm-day", ["/run"]),
    "sandstorm-minority-storm": ("sandstorm-minority", ["/goto 120"]),
    "dueling-proposers-refusals": ("dueling-proposers", ["/goto 55"]),
}


def picture(name: str) -> str:
    scenario, lines = STATES[name]
    s = Session(scenario, resolve_scenario(scenario), Screen(io.StringIO()))
    for line in lines:
        s.execute(line)
        assert s.rejected == 0, line
    return s.picture().plain() + "\n"


@pytest.mark.parametrize("name", sorted(STATES))
def test_map_matches_its_golden_picture(name: str) -> None:
    path = GOLDEN / f"map-{name}.txt"
    drawn = picture(name)
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(drawn, encoding="utf-8")
    assert drawn == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(STATES))
def test_map_fits_eighty_columns(name: str) -> None:
    assert max(cell_len(line) for line in picture(name).splitlines()) <= 80


def test_map_shows_what_the_issue_asks_for() -> None:
    storm = picture("sandstorm-minority-storm")
    assert "≋≋≋" in storm and "Sandstorm:" in storm
    assert "⛺ knows Oasis of Siwa" in storm and "✦ Chosen: Oasis of Siwa" in storm
    collapse = picture("calm-day-collapse")
    assert "✗ Itri" in collapse and "collapsed" in collapse
    riders = picture("calm-day-riders")
    inside = "\n".join(riders.splitlines()[1:14])
    assert any(glyph in inside for glyph in "PpAa")


def test_riders_move_along_their_path_as_time_passes() -> None:
    s = Session("calm-day", resolve_scenario("calm-day"), Screen(io.StringIO()))
    s.execute("/step 2")
    positions = []
    for t in (1, 4, 7):
        s.clock = t  # the same riders, seen later on their way
        rows = s.picture().plain().splitlines()[1:14]
        positions.append(
            {(x, y) for y, row in enumerate(rows) for x, ch in enumerate(row) if ch == "P"}
        )
    assert positions[0] != positions[1] != positions[2]


def test_colour_and_plain_pictures_carry_the_same_characters() -> None:
    s = Session("sandstorm-minority", resolve_scenario("sandstorm-minority"), Screen(io.StringIO()))
    s.execute("/goto 120")
    pic = s.picture()
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="truecolor", width=100).print(pic.to_rich())
    coloured = out.getvalue()
    assert "\x1b[" in coloured
    plain_again = Text.from_ansi(coloured).plain
    assert [line.rstrip() for line in plain_again.splitlines()] == pic.plain().splitlines()


@pytest.mark.parametrize("count", [1, 2, 3, 6, 7, 12])
def test_any_number_of_caravans_fits_and_every_one_is_named(count: int) -> None:
    from desert_paxos.scenario import scenario_from_data

    names = [f"Caravan{i}" for i in range(count)]
    scenario = scenario_from_data(
        {"caravans": names, "proposals": [{"at": 0, "caravan": names[0], "campsite": "Here"}]},
        "many.json",
    )
    s = Session("many.json", scenario, Screen(io.StringIO()))
    s.execute("/goto 10")
    drawn = s.picture().plain()
    assert max(cell_len(line) for line in drawn.splitlines()) <= 80
    assert all(name in drawn for name in names)
