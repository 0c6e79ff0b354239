"""The logbook on disk: a caravan's durable record, written before any reply that depends on it.

Theory of operation
-------------------
Paxos survives a collapse only if an acceptor never forgets a promise or a
vote it has told anyone about. In the simulator the "disk" is a dictionary; a
real caravan writes the record (``AcceptorRecord``) to ``DIR/NAME.logbook``:

1. the new record goes into a temporary file beside the logbook, which is
   flushed and ``fsync``ed, and renamed over the logbook with ``os.replace``
   (all through :func:`desert_paxos._files.write_output`, the project's one
   atomic writer);
2. the folder is ``fsync``ed too, here strictly (a failure is an error, not
   ignored), so the rename itself is on the disk.

Only then does :meth:`Logbook.save` return, and only then does the caravan
process apply its next effect, the ``Send`` of the promise or vote. A
``SIGKILL`` at any instant leaves either the old record or the new one under
the logbook's name, never half of one (at worst a stray ``.NAME.logbook.*.tmp``).

The record is written field by field from the dataclass's own fields, so a
field added to ``AcceptorRecord`` is kept without touching this module; a
ballot is ``[round, "Caravan"]``. The file also names its caravan and carries
a SHA-256 of the record, so :meth:`Logbook.load` refuses a file that is
corrupt, hand-edited, another caravan's, or of another format with a
:class:`LogbookError` naming the file: a caravan never starts from a silently
empty record. A missing logbook is the empty record (nothing was ever written).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any

from .._files import OutputError, write_output
from .._untrusted import InputError, JsonReader, SizeLimit, decode_utf8, read_file
from ..protocol import EMPTY_RECORD, AcceptorRecord, Ballot, ballot_from_json, ballot_to_json

__all__ = ["LOGBOOK_FORMAT", "Logbook", "LogbookError", "record_from_json", "record_to_json"]

LOGBOOK_FORMAT = "desert-paxos-logbook/1"

# A logbook is a few hundred bytes; anything near a megabyte is not one.
_LOGBOOK_LIMIT = SizeLimit("logbook", "DESERT_PAXOS_MAX_LOGBOOK_MB", 1)


class LogbookError(Exception):
    """A logbook that cannot be read or written: the message names the file and why."""


def _fields() -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(AcceptorRecord)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(AcceptorRecord)]


def _accepts(hint: Any) -> tuple[type, ...]:
    """The plain types a field's annotation allows (``Ballot | None`` -> (Ballot, NoneType))."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(arg for arg in typing.get_args(hint))
    return (hint,)


def record_to_json(record: AcceptorRecord) -> dict[str, Any]:
    """Every field of the record, a ballot as ``[round, "Caravan"]``."""
    out: dict[str, Any] = {}
    for name, _ in _fields():
        value = getattr(record, name)
        out[name] = ballot_to_json(value) if isinstance(value, Ballot) else value
    return out


def record_from_json(data: object) -> AcceptorRecord:
    """Inverse of :func:`record_to_json`; a ``ValueError`` names the field that is wrong.

    A field missing from ``data`` takes the record's default (a logbook written
    before that field existed); a field the record does not have is refused.
    """
    if not isinstance(data, dict):
        raise ValueError("record: expected an object")
    fields = _fields()
    known = {name for name, _ in fields}
    for key in data:
        if key not in known:
            raise ValueError(f"record.{key}: not a field of the logbook ({', '.join(known)})")
    values: dict[str, Any] = {}
    for name, hint in fields:
        if name not in data:
            continue
        raw, allowed = data[name], _accepts(hint)
        if raw is None and type(None) in allowed:
            values[name] = None
        elif Ballot in allowed:
            try:
                values[name] = ballot_from_json(raw)
            except ValueError as exc:
                raise ValueError(f"record.{name}: {exc}") from None
        elif (int in allowed and type(raw) is int and raw >= 0) or (
            str in allowed and type(raw) is str
        ):
            values[name] = raw
        else:
            wanted = " or ".join(getattr(t, "__name__", str(t)) for t in allowed)
            raise ValueError(f"record.{name}: expected {wanted}, got {raw!r:.60}")
    return AcceptorRecord(**values)


def _digest(record: dict[str, Any]) -> str:
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename in ``folder`` durable; an ``OSError`` is raised, never ignored."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Logbook:
    """The logbook file of one caravan: ``load`` once at start, ``save`` before every reply."""

    __slots__ = ("caravan", "path")

    def __init__(self, path: str | os.PathLike[str], caravan: str) -> None:
        self.path = Path(path)
        self.caravan = caravan

    def save(self, record: AcceptorRecord) -> None:
        """Write ``record`` durably (file and folder fsynced) before returning."""
        body = record_to_json(record)
        document = {
            "format": LOGBOOK_FORMAT,
            "caravan": self.caravan,
            "record": body,
            "sha256": _digest(body),
        }
        text = json.dumps(document, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            write_output(self.path, text, what=f"{self.caravan}'s logbook")
            fsync_folder(self.path.parent)
        except OutputError as exc:
            raise LogbookError(str(exc)) from None
        except OSError as exc:
            raise LogbookError(
                f"cannot make {self.caravan}'s logbook {self.path} durable: "
                f"{exc.strerror or exc} (the folder could not be synced)"
            ) from None

    def load(self) -> AcceptorRecord:
        """The record last saved; the empty record if none was ever saved.

        Anything else wrong with the file is a :class:`LogbookError` naming it.
        """
        if not self.path.exists() and not self.path.is_symlink():
            return EMPTY_RECORD
        where = f"{self.path}"
        try:
            text = decode_utf8(read_file(self.path, _LOGBOOK_LIMIT), "logbook")
            document = JsonReader().loads(text)
        except InputError as exc:
            raise LogbookError(f"{where}: {exc}; the logbook is corrupt") from None
        try:
            return self._check(document)
        except ValueError as exc:
            raise LogbookError(
                f"{where}: {exc}; the logbook is corrupt (refusing to start {self.caravan} "
                "from it: a caravan that forgot its promises could break Paxos)"
            ) from None

    def _check(self, document: object) -> AcceptorRecord:
        if not isinstance(document, dict):
            raise ValueError("expected an object")
        if document.get("format") != LOGBOOK_FORMAT:
            raise ValueError(f'format: expected "{LOGBOOK_FORMAT}", got {document.get("format")!r}')
        if document.get("caravan") != self.caravan:
            raise ValueError(
                f"caravan: this is the logbook of {document.get('caravan')!r}, "
                f"not of {self.caravan!r}"
            )
        body = document.get("record")
        record = record_from_json(body)
        assert isinstance(body, dict)
        if document.get("sha256") != _digest(body):
            raise ValueError("sha256: the record does not match its checksum")
        return record
