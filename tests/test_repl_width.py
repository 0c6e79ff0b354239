"""Terminals of every width: the map, the tables and the two voices fit 60 to 200 columns.

The renderers are driven with explicit widths. Nothing may be wider than the
width, no word may be split over two lines (the words at any width are the
words of the widest drawing, in the same order), and no two labels may overlap.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.cells import cell_len

from desert_paxos.narrate import Narrator
from desert_paxos.narrate._layout import two_voices, wrap
from desert_paxos.repl import DesertPicture, Screen, Session
from desert_paxos.repl._screen import PIPE_WIDTH, terminal_width
from desert_paxos.scenario import scenario_from_data

from .test_repl_map import STATES as MAP_STATES
from .test_repl_session import run, session

WIDTHS = [60, 80, 120, 200]

STATES = {**MAP_STATES, "proposer-collapses-late": ("proposer-collapses", ["/goto 400"])}


def picture(name: str, width: int) -> DesertPicture:
    scenario, lines = STATES[name]
    s, _ = session(scenario, width=width)
    for line in lines:
        s.execute(line)
        assert s.rejected == 0, line
    return s.picture()


def label_text(pic: DesertPicture, name: str) -> list[str]:
    """The lines of one caravan's label, read back from the drawn cells."""
    box = next(b for b in pic.labels if b[0] == name)
    _, left, top, right, bottom = box
    return [
        "".join(ch for ch, _ in pic.rows[1 + y][1 + left : 2 + right]).strip()
        for y in range(top, bottom + 1)
    ]


def under_the_map(pic: DesertPicture) -> list[str]:
    lines = pic.plain().splitlines()
    last_frame = max(i for i, line in enumerate(lines) if line.startswith("╰"))
    return lines[last_frame + 1 :]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(STATES))
def test_the_map_fits_the_width(name: str, width: int) -> None:
    lines = picture(name, width).plain().splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert cell_len(lines[0]) == width  # the frame uses the whole width


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(STATES))
def test_no_word_of_a_label_or_a_status_line_is_split(name: str, width: int) -> None:
    pic, widest = picture(name, width), picture(name, 200)
    for caravan, *_ in widest.labels:
        assert " ".join(label_text(pic, caravan)).split() == (
            " ".join(label_text(widest, caravan)).split()
        ), caravan
    assert " ".join(under_the_map(pic)).split() == " ".join(under_the_map(widest)).split()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(STATES))
def test_labels_never_overlap(name: str, width: int) -> None:
    boxes = picture(name, width).labels
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1 :]:
            apart = ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0
            assert apart, (a, b)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("count", [3, 4, 7, 9])
def test_any_number_of_caravans_fits_every_width(count: int, width: int) -> None:
    names = [f"Caravan{i}" for i in range(count)]
    scenario = scenario_from_data(
        {"caravans": names, "proposals": [{"at": 0, "caravan": names[0], "campsite": "Here"}]},
        "many.json",
    )
    s = Session("many.json", scenario, Screen(io.StringIO(), width=width))
    s.execute("/goto 10")
    pic = s.picture()
    assert max(cell_len(line) for line in pic.plain().splitlines()) <= width
    assert all(label_text(pic, name)[0] == name for name in names)


def test_the_map_speaks_the_glossary_words() -> None:
    drawn = "\n".join(picture(name, 120).plain() for name in STATES)
    for old in (r"leads \d", r"asks \d", "voted", "accepted", "agrees", r"\bb\d", "@", "promised"):
        assert not re.search(old, drawn), old
    for word in ("promise (", "vote ", "banner (", "majority", "refusal", "inquiry"):
        assert word in drawn, word


def looked(width: int, *lines: str) -> list[str]:
    """What /state and /why say on dueling-proposers at t=55, one text per command."""
    s, out = session("dueling-proposers", width=width)
    s.execute("/log quiet")
    s.execute("/goto 55")
    return [run(s, out, line) for line in lines]


@pytest.mark.parametrize("width", WIDTHS)
def test_state_and_why_fit_the_width_without_splitting_words(width: int) -> None:
    for text in looked(width, "/state", "/state Tassadit", "/why"):
        assert max(cell_len(row) for row in text.splitlines()) <= width
    assert looked(width, "/why")[0].split() == looked(200, "/why")[0].split()


def test_state_and_why_speak_the_glossary_words() -> None:
    text = "".join(looked(120, "/state", "/state Tassadit", "/state Aghilas", "/why"))
    for old in (r"asks \d", "voted", "accepted", "agrees", "ballot", "quorum", "@", "timers"):
        assert not re.search(old, text), old
    assert "banner (2, Tassadit)" in text and "majority" in text and "patience" in text


@pytest.mark.parametrize("width", [60, 80, 119, 120, 200])
def test_the_two_voices_fit_the_width(width: int) -> None:
    story = (
        "Tassadit sends riders to every caravan: will you promise to follow my banner "
        "(2, Tassadit)? A promise to it outranks every lower banner."
    )
    protocol = "Tassadit → all  PREPARE (2, Tassadit)"
    lines = two_voices("t=   42", story, protocol, width)
    assert max(cell_len(text) for text, _ in lines) <= width
    stories = " ".join(t for t, is_protocol in lines if not is_protocol)
    protocols = " ".join(t for t, is_protocol in lines if is_protocol)
    if width >= 120:  # side by side: the protocol voice stands right of the bar
        assert all("│" in text for text, _ in lines)
        left = " ".join(t.split("│")[0] for t, _ in lines)
        right = " ".join(t.split("│")[1] for t, _ in lines)
        assert left.split() == f"t=   42 {story}".split()
        assert right.split() == protocol.split()
    else:  # one under the other
        assert stories.split() == f"t=   42 {story}".split()
        assert protocols.replace("│", " ").split() == protocol.split()


def test_wrap_never_makes_a_line_wider_than_asked_even_for_a_giant_word() -> None:
    lines = wrap("Camp at " + "W" * 5000 + " now", 60, "  ")
    assert max(cell_len(line) for line in lines) <= 60
    assert lines[-1] == "  now"


def test_a_pipe_gets_eighty_columns() -> None:
    assert terminal_width(io.StringIO()) == PIPE_WIDTH == 80


@pytest.mark.parametrize("width", WIDTHS)
def test_debug_narration_in_the_repl_fits_the_width(width: int) -> None:
    s, out = session("dueling-proposers", width=width)
    s.execute("/log debug")
    text = run(s, out, "/run 60")
    assert "│" in text  # both voices are told
    assert max(cell_len(line) for line in text.splitlines()) <= width


def test_a_narrator_without_a_width_tells_as_before() -> None:
    out = io.StringIO()
    narrator = Narrator("debug", out, colour=False)
    story = "x " * 60
    narrator(json.loads('{"kind": "note", "t": 3, "text": "' + story + '"}'))
    assert len(out.getvalue().splitlines()) == 1


def test_a_banner_or_a_quoted_command_is_never_torn_apart() -> None:
    text = "so Taziri carries it under banner (12, Tassadit): `desert-paxos run storm.json` now"
    for width in range(32, 90):  # both fit on a line from 32 columns on
        lines = wrap(text, width)
        assert any("(12, Tassadit):" in line for line in lines), width
        assert any("`desert-paxos run storm.json`" in line for line in lines), width
