"""Untrusted input: files and JSON/TOML text read without surprises, and text printed safely.

Theory of operation
-------------------
Scenario files, traces and the REPL's ``/load`` read whatever path a user (or
a file someone sent them) names. Python's own readers have sharp edges there:
``/dev/zero`` or a FIFO never ends, ``[[[[...]]]]`` raises ``RecursionError``,
an integer of 5,000 digits raises ``ValueError`` (CPython's 4,300-digit limit),
``Infinity``, ``NaN`` and ``1e400`` become floats that later divide by zero,
and ``"\\ud800"`` becomes a string no UTF-8 file can hold. So every reader of
untrusted text goes through here, and every such case is an :class:`InputError`
naming the place (the field's path inside the document, e.g.
``network.delay.mean``) and what would be right:

* :func:`read_file` reads only regular files, and at most a size limit that an
  environment variable raises (the message says which);
* :func:`decode_utf8` accepts a UTF-8 byte-order mark;
* :class:`JsonReader` and :func:`loads_toml` parse, then refuse numbers no
  field can use (non-finite, or beyond Python's digit limit), lone surrogates
  and nesting deeper than :data:`MAX_DEPTH`, wherever they are in the document.

The checks cost nothing on ordinary text: the parsers' fast C paths run as
usual, and the document is walked only when the text shows a sign of trouble
(a surrogate escape, many brackets, a flagged number).

The other direction is :func:`printable`: text that came from a file (a name
in a trace, a key in a bad scenario) is shown with its control characters
escaped, so a file cannot clear the screen, retitle the window or forge a line
of the story.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from typing import Any

__all__ = [
    "CONTROL_PATTERN",
    "MAX_DEPTH",
    "SCENARIO_LIMIT",
    "TRACE_LIMIT",
    "InputError",
    "JsonReader",
    "SizeLimit",
    "control_character",
    "decode_utf8",
    "kind_of",
    "loads_json",
    "loads_toml",
    "printable",
    "read_file",
]

MAX_DEPTH = 32  # a scenario nests 5 levels deep, a trace line 6 (the header's spec)


class InputError(Exception):
    """Untrusted input that cannot be used: ``path`` is the place inside the document
    (``""`` for the whole of it), ``message`` says what is wrong and what would be right."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path


# -- files ---------------------------------------------------------------------------------


class SizeLimit:
    """The most bytes read from one kind of file, in MB (10**6 bytes), raised by ``env``."""

    def __init__(self, what: str, env: str, default_mb: int) -> None:
        self.what = what
        self.env = env
        self.default_mb = default_mb

    def megabytes(self) -> int:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default_mb
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise InputError(
                f"the environment variable {self.env} must be a whole number of MB, 1 or more "
                f"(e.g. {self.env}={self.default_mb * 10}), got {printable(raw)!r}"
            )
        return int(raw)

    def too_big(self, size: int, limit_mb: int) -> InputError:
        need = max(limit_mb + 1, -(-size // 10**6))
        return InputError(
            f"{_size(size)} is more than the {limit_mb:,} MB a {self.what} may be; to read it, "
            f"raise the limit: {self.env}={need} (in MB)"
        )


SCENARIO_LIMIT = SizeLimit("scenario file", "DESERT_PAXOS_MAX_SCENARIO_MB", 10)
# A run stopped by run's default budget (250,000 events, --max-events) writes about 70 MB of trace.
TRACE_LIMIT = SizeLimit("trace file", "DESERT_PAXOS_MAX_TRACE_MB", 300)


def _size(size: int) -> str:
    return f"{size:,} bytes" if size < 10**6 else f"{size / 10**6:,.1f} MB"


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special(mode: int, what: str) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(f"this is a directory, not a {what}")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        raise InputError(f"this is {kind}; a {what} must be a regular file on disk")


def read_file(path: str | os.PathLike[str], limit: SizeLimit) -> bytes:
    """The bytes of a regular file of at most ``limit`` MB, or an :class:`InputError`.

    Devices, FIFOs and sockets are refused before they are opened (opening a
    FIFO waits for a writer), and the file is opened non-blocking in case it was
    swapped for one in between.
    """
    what = limit.what
    try:
        _refuse_special(os.stat(path).st_mode, what)
        most = limit.megabytes() * 10**6
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise InputError("no such file") from None
    except IsADirectoryError:
        raise InputError(f"this is a directory, not a {what}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"cannot read it: {reason}") from None
    with open(fd, "rb", closefd=True) as handle:
        try:
            _refuse_special(os.fstat(fd).st_mode, what)
            size = os.fstat(fd).st_size
            if size > most:
                raise limit.too_big(size, most // 10**6)
            data = handle.read(most + 1)
        except OSError as exc:
            raise InputError(f"cannot read it: {exc.strerror or exc}") from None
    if len(data) > most:  # it grew while we read
        raise limit.too_big(len(data), most // 10**6)
    return data


def decode_utf8(raw: bytes, what: str) -> str:
    """UTF-8 text (a leading byte-order mark is allowed and dropped)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start} is not UTF-8); a {what} is UTF-8 text"
        ) from None


# -- parsing ---------------------------------------------------------------------------------


def kind_of(value: object) -> str:
    """What a parsed JSON value is, as an error message says it ("got a string")."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int():
            return "a whole number"
        case float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "a list"
        case dict():
            return "an object"
    return type(value).__name__


class _Unusable:
    """Stands for a number no field can use, until the walk finds where it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _lone_surrogate(text: str, path: str) -> InputError | None:
    found = _LONE_SURROGATE.search(text)
    if found is None:
        return None
    return InputError(
        f"\\u{ord(found.group()):04x} is half of a UTF-16 surrogate pair, not a character; "
        "write the character itself, or both halves of its pair",
        path,
    )


def _first_problem(value: object, *, surrogates: bool) -> InputError | None:
    """The first unusable number, lone surrogate or too-deep nesting in ``value``."""
    stack: list[tuple[object, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, _Unusable):
            return InputError(item.text, path)
        if isinstance(item, str):
            if surrogates and (problem := _lone_surrogate(item, path)) is not None:
                return problem
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_DEPTH:
            return InputError(f"nested more than {MAX_DEPTH} levels deep", path)
        children = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
        for key, child in reversed(children):
            child_path = _join(path, printable(key) if isinstance(key, str) else key)
            problem = (
                _lone_surrogate(key, child_path) if surrogates and isinstance(key, str) else None
            )
            if problem is not None:
                return problem
            stack.append((child, child_path, depth + 1))
    return None


def _too_deep_message() -> str:
    return f"nested too deeply (more than {MAX_DEPTH} levels of lists and objects)"


def _digit_limit() -> int:
    get = getattr(sys, "get_int_max_str_digits", None)
    return int(get()) if get is not None else 0


class JsonReader:
    """Parses untrusted JSON documents, one after another (a trace is one per line).

    Every number is a finite ``float`` or an ``int`` Python can print; every
    string is text; nothing nests deeper than :data:`MAX_DEPTH`. Anything else
    is an :class:`InputError` naming its path.
    """

    __slots__ = ("_decoder", "_flagged", "_one_line", "_whole_decoder")

    def __init__(self, one_line: bool = False) -> None:
        """``one_line``: each document is one line of a file (the caller names the line)."""
        self._one_line = one_line
        self._flagged = False
        self._decoder = json.JSONDecoder(parse_float=self._float, parse_constant=self._constant)
        self._whole_decoder = json.JSONDecoder(
            parse_float=self._float, parse_constant=self._constant, parse_int=self._int
        )

    def _float(self, text: str) -> float | _Unusable:
        value = float(text)
        if math.isfinite(value):
            return value
        self._flagged = True
        shown = text if len(text) <= 20 else text[:17] + "..."
        return _Unusable(f"{shown} is too large for a number (at most about 1.8e308)")

    def _constant(self, text: str) -> _Unusable:
        self._flagged = True
        return _Unusable(f"{text} is not a number JSON allows; write a finite number")

    def _int(self, text: str) -> int | _Unusable:
        try:
            return int(text)
        except ValueError:
            self._flagged = True
            limit = _digit_limit()
            return _Unusable(
                f"a whole number of {len(text.lstrip('-')):,} digits is far too large "
                f"(Python reads at most {limit:,} digits; no field needs more than a few)"
            )

    def loads(self, text: str) -> Any:
        self._flagged = False
        try:
            try:
                value = self._decoder.decode(text)
            except json.JSONDecodeError:
                raise
            except ValueError:  # an integer past Python's digit limit: find which one
                value = self._whole_decoder.decode(text)
        except json.JSONDecodeError as exc:
            where = f"column {exc.colno}"  # the caller names the line of a one-line document
            if not self._one_line:
                where = f"line {exc.lineno}, {where}"
            raise InputError(f"not valid JSON at {where}: {exc.msg}") from None
        except RecursionError:
            raise InputError(_too_deep_message()) from None
        surrogates = "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None
        if self._flagged or surrogates or text.count("[") + text.count("{") > MAX_DEPTH:
            problem = _first_problem(value, surrogates=surrogates)
            if problem is not None:
                raise problem
        return value


def loads_json(text: str) -> Any:
    """One untrusted JSON document (see :class:`JsonReader`)."""
    return JsonReader().loads(text)


_LONG_DIGITS = re.compile(r"[0-9][0-9_]{100,}")


def loads_toml(text: str) -> Any:
    """One untrusted TOML document, held to the same rules as :class:`JsonReader`."""
    import tomllib

    flagged: list[bool] = []

    def parse_float(raw: str) -> float | _Unusable:
        value = float(raw)
        if math.isfinite(value):
            return value
        flagged.append(True)
        return _Unusable(f"{raw[:20]} is not a finite number; write a finite number")

    try:
        data = tomllib.loads(text, parse_float=parse_float)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(_too_deep_message()) from None
    except ValueError:  # an integer past Python's digit limit
        found = _LONG_DIGITS.search(text)
        where = f" at line {text.count(chr(10), 0, found.start()) + 1}" if found else ""
        raise InputError(
            f"a whole number{where} is far too large (Python reads at most "
            f"{_digit_limit():,} digits; no field needs more than a few)"
        ) from None
    problem = _first_problem(data, surrogates=False)  # TOML has no lone surrogates
    if problem is not None:
        raise problem
    return data


# -- printing ---------------------------------------------------------------------------------

# Characters a terminal acts on instead of showing: C0 and C1 controls and DEL (escape
# sequences, bells, carriage returns), line and paragraph separators, the bidirectional
# overrides that reorder what is shown, and lone surrogates (no terminal can show them).
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ACTIVE = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
_ACTIVE += list("\u2028\u2029\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e")
_ACTIVE += list("\u2066\u2067\u2068\u2069")
_ESCAPES = {
    ord(ch): _SHORT.get(ch, f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    for ch in _ACTIVE
}
_ESCAPES.update({c: f"\\u{c:04x}" for c in range(0xD800, 0xE000)})
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")

# The controls and separators as a JSON Schema pattern (ECMA-262 and Python both read it).
# Lone surrogates are left out: a regex engine without Unicode mode would also match both
# halves of a proper pair (every emoji), and no JSON parser but Python's lets them through.
CONTROL_PATTERN = "[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]"


def printable(text: str, lines: bool = False) -> str:
    """``text`` with every character a terminal would act on escaped (``\\x1b``, ``\\n``...);
    ``lines``: newlines are kept (prose of several lines, such as a description).

    Idempotent, and free for ordinary text. Use it on anything read from a file
    before it reaches a terminal.
    """
    if text.isprintable():
        return text
    if lines:
        return "\n".join(part.translate(_ESCAPES) for part in text.split("\n"))
    return text.translate(_ESCAPES)


def control_character(text: str) -> tuple[int, str] | None:
    """The position and name of the first control character, line separator or lone
    surrogate in ``text`` (e.g. ``(0, "control character U+001B")``), or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = "lone surrogate" if 0xD800 <= code < 0xE000 else "control character"
    return found.start(), f"{what} U+{code:04X}"
