"""Trace files: JSON Lines, one object per line, keys sorted, UTF-8.

The first line is the header (``"kind": "header"``, ``"format":
"desert-paxos-trace/1"``); every later line is one event with ``seq`` (strictly
increasing), ``t`` (never decreasing) and ``kind``. Every view of a run (the
narration, ``replay``, the REPL, the HTML viewer, the GIF) reads these events,
never the simulator's internals.

Reading checks every line against the trace contract (``_contract.py``,
``desert-paxos schema --trace``) and reads only regular files up to a size
limit (``DESERT_PAXOS_MAX_TRACE_MB``), so a hostile or broken file is one
:class:`TraceError` naming the line and the field, never a crash in a view.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .._untrusted import TRACE_LIMIT, InputError, JsonReader, decode_utf8, printable, read_file
from ._contract import check_event, check_header

__all__ = ["TRACE_FORMAT", "TraceError", "TraceWriter", "dump_event", "read_trace"]

TRACE_FORMAT = "desert-paxos-trace/1"


def _line_encoder() -> Callable[[Any], str]:
    """The fastest encoder that writes exactly what ``json.dumps(sort_keys=True,
    ensure_ascii=False)`` writes.

    ``json.dumps`` with keyword arguments builds a new encoder for every call,
    which costs more than encoding a small event; tracing encodes every event,
    so we build CPython's C encoder once. It is checked against ``json.dumps``
    on a probe at import, and the plain (slower) encoder takes over whenever the
    C one is missing or disagrees. Events are fresh trees, never circular, so
    the circular-reference check is skipped.
    """
    plain = json.JSONEncoder(sort_keys=True, ensure_ascii=False, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return plain.encode
    probe = {"z": [1, -2.5, None, True], "a": {'é\u2028"': "Tamanrasset ⛺\n"}, "m": 10**20}
    try:
        # (markers, default, encoder, indent, key sep, item sep, sort_keys, skipkeys, allow_nan)
        encoder = make(
            None, plain.default, json.encoder.encode_basestring, None, ": ", ", ", True, False, True
        )

        def encode(
            event: Any,
            _encoder: Callable[[Any, int], Iterable[str]] = encoder,
            _join: Callable[[Iterable[str]], str] = "".join,
        ) -> str:
            return _join(_encoder(event, 0))

        if encode(probe) == json.dumps(probe, sort_keys=True, ensure_ascii=False):
            return encode
    except Exception:  # another Python's C encoder: the plain one is always right
        pass
    return plain.encode


_encode_line = _line_encoder()


def dump_event(event: dict[str, Any]) -> str:
    """One trace line (without the newline): sorted keys, UTF-8 kept as is."""
    return _encode_line(event)


class TraceWriter:
    """An observer that writes every event it is given as one line of ``stream``."""

    __slots__ = ("_write",)

    def __init__(self, stream: IO[str]) -> None:
        self._write = stream.write

    def __call__(self, event: dict[str, Any]) -> None:
        self._write(_encode_line(event) + "\n")


@dataclass
class TraceError(Exception):
    source: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return printable(f"{where}: {self.message}")


def read_trace(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read and check a trace file: the header and the events, or a :class:`TraceError`."""
    source = str(path)
    try:
        text = decode_utf8(read_file(Path(path), TRACE_LIMIT), "trace (JSON Lines)")
    except InputError as exc:
        raise TraceError(source, 0, exc.message) from None
    return parse_trace_lines(_lines(text), source)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, split at ``\n`` only (a name may hold U+2028, which
    ``str.splitlines`` would split at), without building a list of them."""
    start = 0
    find = text.find
    while True:
        end = find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def parse_trace_lines(
    lines: Iterator[str], source: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and events of a trace's lines, each checked against the contract."""
    header: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []
    last_seq, last_t = 0, 0
    protocol = "paxos"
    reader = JsonReader(one_line=True)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = reader.loads(line)
        except InputError as exc:
            raise TraceError(source, number, str(exc)) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
            raise TraceError(source, number, 'every line must be an object with a "kind"')
        if header is None:
            problem = check_header(obj, TRACE_FORMAT)
            if problem is not None:
                raise TraceError(source, number, problem)
            header = obj
            protocol = obj.get("protocol", "paxos")  # a journey's riders have their own shape
            continue
        problem = check_event(obj, protocol)
        if problem is None and obj["kind"] == "header":
            problem = "a second header: only the first line is the header"
        if problem is not None:
            raise TraceError(source, number, problem)
        seq, t = obj["seq"], obj["t"]
        if seq <= last_seq:
            raise TraceError(source, number, f"seq {seq} does not increase (previous {last_seq})")
        if t < last_t:
            raise TraceError(source, number, f"time {t} goes backwards (previous {last_t})")
        last_seq, last_t = seq, t
        events.append(obj)
    if header is None:
        raise TraceError(source, 0, "empty trace: no header line")
    return header, events
