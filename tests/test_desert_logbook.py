"""The logbook on disk: what is saved loads back, field by field; a corrupt file is refused by name."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from desert_paxos.desert import Logbook, LogbookError, record_from_json, record_to_json
from desert_paxos.protocol import EMPTY_RECORD, AcceptorRecord, Ballot

RECORDS = [
    EMPTY_RECORD,
    AcceptorRecord(promised=Ballot(3, "Itri")),
    AcceptorRecord(
        promised=Ballot(7, "Taziri"),
        accepted_ballot=Ballot(5, "Aghilas"),
        accepted_value='Oasis of Siwa ⛺ "quoted"\n',
        tried_round=9,
    ),
]


@pytest.mark.parametrize("record", RECORDS)
def test_a_saved_record_loads_back_equal(tmp_path: Path, record: AcceptorRecord) -> None:
    book = Logbook(tmp_path / "Itri.logbook", "Itri")
    book.save(record)
    assert book.load() == record
    assert Logbook(tmp_path / "Itri.logbook", "Itri").load() == record  # a new process
    assert [p.name for p in tmp_path.iterdir()] == ["Itri.logbook"]  # no temporary left


def test_every_field_of_the_record_is_written(tmp_path: Path) -> None:
    """Generic over the dataclass: a field added to AcceptorRecord is kept without code here."""
    names = [f.name for f in dataclasses.fields(AcceptorRecord)]
    assert sorted(record_to_json(EMPTY_RECORD)) == sorted(names)
    full = RECORDS[-1]
    assert record_from_json(record_to_json(full)) == full
    doc = record_to_json(full)
    doc.pop(names[-1])  # a logbook written before a field existed: the field's default
    assert getattr(record_from_json(doc), names[-1]) == getattr(EMPTY_RECORD, names[-1])


def test_a_later_save_replaces_the_earlier(tmp_path: Path) -> None:
    book = Logbook(tmp_path / "Itri.logbook", "Itri")
    for record in RECORDS[::-1]:
        book.save(record)
    assert book.load() == RECORDS[0]


def test_a_missing_logbook_is_the_empty_record(tmp_path: Path) -> None:
    assert Logbook(tmp_path / "Itri.logbook", "Itri").load() == EMPTY_RECORD


def _saved(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    path = tmp_path / "Itri.logbook"
    Logbook(path, "Itri").save(RECORDS[-1])
    return path, json.loads(path.read_text(encoding="utf-8"))


def _edits() -> list[tuple[str, object, str]]:
    """(what, how to spoil the document, words the error must have)."""

    def promised_lower(doc: dict[str, object]) -> None:
        record = doc["record"]
        assert isinstance(record, dict)
        record["promised"] = [1, "Itri"]  # a hand edit: the checksum no longer matches

    def wrong_type(doc: dict[str, object]) -> None:
        record = doc["record"]
        assert isinstance(record, dict)
        record["promised"] = "seven"

    def unknown_field(doc: dict[str, object]) -> None:
        record = doc["record"]
        assert isinstance(record, dict)
        record["mood"] = "sleepy"

    return [
        ("hand-edited", promised_lower, "checksum"),
        ("wrong type", wrong_type, "record.promised"),
        ("unknown field", unknown_field, "record.mood"),
        ("another caravan's", lambda doc: doc.update(caravan="Taziri"), "not of 'Itri'"),
        ("another format", lambda doc: doc.update(format="other/9"), "format"),
        ("no record", lambda doc: doc.pop("record"), "record"),
    ]


@pytest.mark.parametrize(("what", "spoil", "words"), _edits(), ids=[e[0] for e in _edits()])
def test_a_corrupt_logbook_is_refused_naming_the_file(
    tmp_path: Path, what: str, spoil: object, words: str
) -> None:
    path, doc = _saved(tmp_path)
    assert callable(spoil)
    spoil(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LogbookError) as caught:
        Logbook(path, "Itri").load()
    message = str(caught.value)
    assert str(path) in message and words in message and "corrupt" in message


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01garbage", b'{"format": "desert-paxos-logbook/1", "caravan": "Itri"', b"[1, 2]"],
    ids=["empty", "binary", "cut short", "a list"],
)
def test_unreadable_bytes_are_refused_never_an_empty_record(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "Itri.logbook"
    path.write_bytes(content)
    with pytest.raises(LogbookError, match="corrupt") as caught:
        Logbook(path, "Itri").load()
    assert str(path) in str(caught.value)


def test_a_logbook_that_cannot_be_written_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "missing-folder" / "Itri.logbook"
    with pytest.raises(LogbookError) as caught:
        Logbook(path, "Itri").save(RECORDS[1])
    assert "Itri.logbook" in str(caught.value)
