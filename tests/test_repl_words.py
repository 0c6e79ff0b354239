"""`/help words`: the one glossary, printed by the REPL at the screen's width."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from rich.cells import cell_len

from desert_paxos.narrate import GLOSSARY, glossary_lines
from desert_paxos.repl import Screen, Session, help_lines
from desert_paxos.repl._complete import ReplCompleter
from desert_paxos.scenario import resolve_scenario


def words(width: int) -> str:
    out = io.StringIO()
    s = Session("calm-day", resolve_scenario("calm-day"), Screen(out, width=width))
    start = out.tell()
    s.execute("/help words")
    assert s.rejected == 0
    return out.getvalue()[start:]


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_help_words_prints_the_glossary_within_the_width(width: int) -> None:
    text = words(width)
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    flowing = " ".join(line.strip() for line in lines)
    for entry in glossary_lines():  # every entry, whole: no word was split or dropped
        assert " ".join(entry.split()) in flowing, entry


def test_help_words_names_every_story_word_and_its_paxos_term() -> None:
    text = words(80)
    for word in GLOSSARY.values():
        assert f"{word.story} = {word.paxos}" in text


def test_help_tells_how_to_see_the_glossary() -> None:
    assert any("/help words" in line for line in help_lines())


def test_words_completes_after_help() -> None:
    s = Session("calm-day", resolve_scenario("calm-day"), Screen(io.StringIO()))
    offered = [
        c.text for c in ReplCompleter(s).get_completions(Document("/help wo"), CompleteEvent())
    ]
    assert offered == ["words"]
