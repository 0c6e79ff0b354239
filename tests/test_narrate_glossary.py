"""One glossary: docs/glossary.md lists exactly the words of desert_paxos.narrate.GLOSSARY."""

from __future__ import annotations

from pathlib import Path

from desert_paxos.narrate import GLOSSARY, glossary_lines

DOC = Path(__file__).parent.parent / "docs" / "glossary.md"


def test_the_page_lists_every_word_of_the_glossary_in_order() -> None:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    table = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]
    expected = [[w.story, w.paxos, w.means] for w in GLOSSARY.values()]
    assert table == expected


def test_the_issue_words_are_all_there() -> None:
    pairs = {w.story: w.paxos for w in GLOSSARY.values()}
    assert pairs["banner"] == "ballot"
    assert pairs["vote"] == "accepted proposal"
    assert pairs["campsite"] == "value"
    assert pairs["majority"] == "quorum"
    assert pairs["logbook"] == "durable state"
    assert pairs["rider"] == "message"
    assert pairs["sandstorm"] == "partition"
    assert pairs["collapse"] == "crash"
    assert {"promise", "inquiry", "chosen"} <= set(pairs)


def test_glossary_lines_are_one_per_word() -> None:
    lines = glossary_lines()
    assert len(lines) == len(GLOSSARY)
    assert lines[list(GLOSSARY).index("banner")].startswith("banner = ballot: ")
