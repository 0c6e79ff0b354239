"""The recorded trace lines of a REPL session: a handful of numbers an event, lines when read.

Theory of operation
-------------------
A session records every trace line of its run, up to millions, and reads few of
them: the lines of the steps it tells, a ``/timeline``, a page. So the commonest
kinds (a rider sent, delivered or lost, a timer set, cancelled or firing: nine
lines in ten) are never formatted while recording. The time machine has the
simulator append each such event to the record's *tail* as ``(kind, seq, t,
fields)`` (see ``repl._machine._record_into``); every other line arrives as text
(``append`` is the trace writer's ``write``), in the same tail, in order.

Every ``CHUNK`` lines or so the tail is *sealed* into a block: a byte per line
for its kind, the recorded events' numbers (seq, tick, rider id, arrival, and the
place of each name and message in small tables of distinct texts) packed as
64-bit integers, and the text lines (a persist, a decide, the desert's acts) as
one UTF-8 ``bytes``. A block is made into lines when one of them is read, by the
same f-strings as :class:`~desert_paxos.sim.SimTraceWriter`'s, so each line is
byte for byte the one that writer writes (the tests compare whole runs); the
last block read is kept as lines. A recorded event holds about 50 bytes and
costs a tuple while recording, instead of its text and its formatting.

:class:`TraceLines` reads like the list it replaces: ``len``, ``lines[i]`` (the
line without its newline), ``lines[a:b]`` (a lazy :class:`LineRange` that
iterates forwards or ``reversed`` block by block, never materialising the whole
record), iteration and ``==`` with any sequence of strings. A block's count of
a kind (``'"kind": "timer_set"'``) is read from its kinds, without its lines.

Readers compare lines by identity to notice a forked timeline (the REPL's
story keeper, the live page's feed): ``lines[i]`` therefore hands out the same
string object for the same ``i`` while it is *pinned* (the last ``PINNED``
lines read by index, and the last line of every range iterated), and a prefix
(:meth:`TraceLines.prefix`, what a fork keeps) keeps its pins. An unpinned line
is equal, not identical, which costs such a reader a comparison, never a wrong
answer.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from json.encoder import encode_basestring as _quote
from typing import IO, Any, cast, overload

from ..protocol import Message
from ..sim import SimTraceWriter
from ..sim._events import (
    DELIVERY,
    DROP,
    SEND,
    TIMER_CANCEL,
    TIMER_FIRE,
    TIMER_SET,
    _message_json,
)

__all__ = ["CHUNK", "PINNED", "LineRange", "TraceLines"]

CHUNK = 512  # lines per sealed block
PINNED = 1024  # lines whose string objects are kept, so identity holds for them

TEXT = 255  # the kind of a line kept as text
_KIND_NEEDLES = {
    '"kind": "send"': SEND,
    '"kind": "deliver"': DELIVERY,
    '"kind": "drop"': DROP,
    '"kind": "timer_set"': TIMER_SET,
    '"kind": "timer_cancel"': TIMER_CANCEL,
    '"kind": "timer"': TIMER_FIRE,
}
_MESSAGE_CACHE = 4096  # messages whose place in the table is kept by identity


class _Block:
    """A sealed block: each line's kind, the recorded kinds' numbers, the text lines."""

    __slots__ = ("kinds", "text", "words")

    def __init__(self, kinds: bytes, words: bytes, text: bytes) -> None:
        self.kinds = kinds
        self.words = words  # the numbers, 64-bit (``array`` converts each through getargs)
        self.text = text  # the text lines, UTF-8, each ending in "\n"


class _Places(dict[str, int]):
    """Each distinct name's place in ``quoted`` (given the first time it is asked for)."""

    __slots__ = ("quoted",)

    def __init__(self) -> None:
        super().__init__()
        self.quoted: list[str] = []  # place -> the name as a JSON string

    def __missing__(self, name: str) -> int:
        place = self[name] = len(self.quoted)
        self.quoted.append(_quote(name))
        return place


class _Tables:
    """The distinct names (quoted) and message texts the recorded numbers point into.

    Shared by a record and its prefixes (a place, once given, never changes)."""

    __slots__ = ("alive", "by_id", "messages", "names", "quoted", "texts", "writer", "written")

    def __init__(self) -> None:
        self.names = _Places()
        self.quoted = self.names.quoted
        self.messages: dict[str, int] = {}
        self.texts: list[str] = []  # place -> a message's JSON
        # id(message) -> its place, for the messages in ``alive`` (so no other has that id)
        self.by_id: dict[int, int] = {}
        self.alive: list[Message] = []
        self.written: list[str] = []
        self.writer = SimTraceWriter(cast(IO[str], _Into(self.written.append)))  # other kinds

    def message(self, msg: Message) -> int:
        if len(self.alive) >= _MESSAGE_CACHE:
            self.by_id.clear()
            self.alive.clear()
        text = _message_json(msg)
        found = self.messages.get(text)
        if found is None:
            found = self.messages[text] = len(self.texts)
            self.texts.append(text)
        self.by_id[id(msg)] = found
        self.alive.append(msg)
        return found

    def text_of(self, kind: int, seq: int, t: int, fields: tuple[Any, ...]) -> str:
        """The line (with its newline) of an event not recorded as numbers."""
        self.writer.writers[kind](seq, t, *fields)
        return self.written.pop()


class _Into:
    """A stream whose ``write`` is any function of one line."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write


Entry = str | tuple[int, int, int, tuple[Any, ...]]  # a text line, or (kind, seq, t, fields)


def _convert(tables: _Tables, entries: Sequence[Entry]) -> tuple[bytearray, list[int], list[str]]:
    """The kinds, numbers and text lines of tail ``entries``: what a sealed block keeps."""
    kinds = bytearray()
    words: list[int] = []
    texts: list[str] = []
    kind_of, record, text = kinds.append, words.extend, texts.append
    names = tables.names
    by_id = tables.by_id
    for entry in entries:
        if isinstance(entry, str):
            kind_of(TEXT)
            text(entry)
            continue
        kind, seq, t, fields = entry
        if kind <= DROP:  # SEND, DELIVERY, DROP: a rider
            msg_id, src, dst, msg = fields[:4]
            m = by_id.get(id(msg))
            if m is None:
                m = tables.message(msg)
            kind_of(kind)
            if kind == SEND:
                arrive, copy_of = fields[4:]
                copy = -1 if copy_of is None else copy_of
                record((seq, t, msg_id, names[src], names[dst], m, arrive, copy))
            elif kind == DELIVERY:
                record((seq, t, msg_id, names[src], names[dst], m))
            else:
                record((seq, t, msg_id, names[src], names[dst], m, names[fields[4]]))
        elif kind == TIMER_SET:
            node, name, fire = fields
            kind_of(kind)
            record((seq, t, names[node], names[name], fire))
        elif kind in (TIMER_CANCEL, TIMER_FIRE):
            node, name = fields
            kind_of(kind)
            record((seq, t, names[node], names[name]))
        else:
            kind_of(TEXT)
            text(tables.text_of(kind, seq, t, fields))
    return kinds, words, texts


def _render(
    tables: _Tables, kinds: bytes | bytearray, words: Sequence[int], texts: Iterator[str]
) -> list[str]:
    """The lines of ``kinds``, numbers from ``words[0]`` on, text lines (no newline) in order.

    The recorded kinds' lines are ``SimTraceWriter``'s f-strings, field for field."""
    q = tables.quoted
    m = tables.texts
    out: list[str] = []
    add = out.append
    w = 0
    for kind in kinds:
        if kind == SEND:
            seq, t, msg_id, src, dst, msg, arrive, copy_of = words[w : w + 8]
            w += 8
            copy = "" if copy_of < 0 else f'"copy_of": {copy_of}, '
            add(
                f'{{"arrive": {arrive}, {copy}"dst": {q[dst]}, "id": {msg_id}, "kind": "send", '
                f'"msg": {m[msg]}, "seq": {seq}, "src": {q[src]}, "t": {t}}}'
            )
        elif kind == DELIVERY:
            seq, t, msg_id, src, dst, msg = words[w : w + 6]
            w += 6
            add(
                f'{{"dst": {q[dst]}, "id": {msg_id}, "kind": "deliver", '
                f'"msg": {m[msg]}, "seq": {seq}, "src": {q[src]}, "t": {t}}}'
            )
        elif kind == DROP:
            seq, t, msg_id, src, dst, msg, reason = words[w : w + 7]
            w += 7
            add(
                f'{{"dst": {q[dst]}, "id": {msg_id}, "kind": "drop", '
                f'"msg": {m[msg]}, "reason": {q[reason]}, "seq": {seq}, '
                f'"src": {q[src]}, "t": {t}}}'
            )
        elif kind == TIMER_SET:
            seq, t, node, name, fire = words[w : w + 5]
            w += 5
            add(
                f'{{"fire": {fire}, "kind": "timer_set", "name": {q[name]}, '
                f'"node": {q[node]}, "seq": {seq}, "t": {t}}}'
            )
        elif kind == TIMER_CANCEL:
            seq, t, node, name = words[w : w + 4]
            w += 4
            add(
                f'{{"kind": "timer_cancel", "name": {q[name]}, "node": {q[node]}, '
                f'"seq": {seq}, "t": {t}}}'
            )
        elif kind == TIMER_FIRE:
            seq, t, node, name = words[w : w + 4]
            w += 4
            add(
                f'{{"kind": "timer", "name": {q[name]}, "node": {q[node]}, "seq": {seq}, "t": {t}}}'
            )
        else:
            add(next(texts))
    return out


class TraceLines(Sequence[str]):
    """A growing, truncatable record of trace lines; see the module docstring."""

    __slots__ = (
        "_blocks",
        "_counts",
        "_pinned",
        "_sealed",
        "_split",
        "_starts",
        "_tables",
        "_tail",
        "append",
    )

    def __init__(self) -> None:
        self._blocks: list[_Block] = []  # sealed blocks
        self._starts: list[int] = []  # index of the first line of each block
        self._sealed = 0  # lines in the sealed blocks
        self._tables = _Tables()
        self._tail: list[Entry] = []  # not sealed yet: text lines, and events as fields
        self._pinned: dict[int, str] = {}
        self._split: tuple[int, list[str]] = (-1, [])  # the last block turned into lines
        self._counts: dict[tuple[int, str], int] = {}  # (block, needle) -> lines holding it
        # One line as text (the trace writer's ``write``, with its newline), or one of the
        # simulator's commonest events as ``(kind, seq, t, fields)`` (see ``record_into``).
        self.append = self._tail.append

    # -- writing ------------------------------------------------------------------

    def seal(self) -> None:
        """Seal the tail into a block when it holds ``CHUNK`` lines or more (cheap otherwise)."""
        tail = self._tail
        if len(tail) < CHUNK:
            return
        kinds, numbers, texts = _convert(self._tables, tail)
        words = struct.pack(f"{len(numbers)}q", *numbers)
        self._blocks.append(_Block(bytes(kinds), words, "".join(texts).encode("utf-8")))
        self._starts.append(self._sealed)
        self._sealed += len(tail)
        tail.clear()

    def drop_first(self) -> None:
        """Forget the first line (before any is sealed: the header a writer wrote first)."""
        if self._blocks:
            raise ValueError("the first line is sealed already")
        del self._tail[0]
        self._pinned.clear()

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` lines only."""
        n = max(0, n)
        if n >= len(self):
            return
        for i in [i for i in self._pinned if i >= n]:
            del self._pinned[i]
        if n >= self._sealed:
            del self._tail[n - self._sealed :]
            return
        block = bisect_right(self._starts, n) - 1
        kept = self._block_lines(block)[: n - self._starts[block]]
        self._sealed = self._starts[block]
        del self._blocks[block:]
        del self._starts[block:]
        self._split = (-1, [])
        self._counts = {key: n for key, n in self._counts.items() if key[0] < block}
        self._tail[:] = [line + "\n" for line in kept]

    def prefix(self, n: int) -> TraceLines:
        """A new record of the first ``n`` lines, sharing the sealed blocks (and the pins)."""
        n = max(0, min(n, len(self)))
        other = TraceLines()
        other._tables = self._tables
        if n >= self._sealed:
            other._blocks = list(self._blocks)
            other._starts = list(self._starts)
            other._sealed = self._sealed
            other._tail.extend(self._tail[: n - self._sealed])
        else:
            block = bisect_right(self._starts, n) - 1
            other._blocks = self._blocks[:block]
            other._starts = self._starts[:block]
            other._sealed = self._starts[block]
            kept = self._block_lines(block)[: n - self._starts[block]]
            other._tail.extend(line + "\n" for line in kept)
        other._pinned = {i: line for i, line in self._pinned.items() if i < n}
        other._counts = {key: k for key, k in self._counts.items() if key[0] < len(other._blocks)}
        return other

    # -- reading ------------------------------------------------------------------

    def _block_lines(self, block: int) -> list[str]:
        cached, lines = self._split
        if cached != block:
            b = self._blocks[block]
            texts = b.text.decode("utf-8").split("\n")  # the last, empty, is never asked for
            words = struct.unpack(f"{len(b.words) // 8}q", b.words)
            lines = _render(self._tables, b.kinds, words, iter(texts))
            self._split = (block, lines)
        return lines

    def _tail_lines(self, start: int, stop: int) -> list[str]:
        """Tail lines ``start`` to ``stop - 1`` (indices within the tail)."""
        kinds, words, texts = _convert(self._tables, self._tail[max(0, start) : stop])
        return _render(self._tables, kinds, words, (text[:-1] for text in texts))

    def __len__(self) -> int:
        return self._sealed + len(self._tail)

    def _line(self, i: int) -> str:
        """Line ``i`` (0 <= i < len), pinned."""
        pinned = self._pinned.get(i)
        if pinned is not None:
            return pinned
        sealed = self._sealed
        if i >= sealed:
            line = self._tail_lines(i - sealed, i - sealed + 1)[0]
        else:
            block = bisect_right(self._starts, i) - 1
            line = self._block_lines(block)[i - self._starts[block]]
        if len(self._pinned) >= PINNED:
            del self._pinned[next(iter(self._pinned))]  # the oldest pin goes first
        self._pinned[i] = line
        return line

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> LineRange: ...

    def __getitem__(self, index: int | slice) -> str | LineRange:
        return LineRange(self, 0, len(self))[index]

    def __iter__(self) -> Iterator[str]:
        return iter(LineRange(self, 0, len(self)))

    def __reversed__(self) -> Iterator[str]:
        return reversed(LineRange(self, 0, len(self)))

    def __eq__(self, other: object) -> bool:
        return _same_lines(self, other)

    __hash__ = None  # type: ignore[assignment]

    def count_without(self, start: int, stop: int, needles: tuple[str, ...]) -> int:
        """How many of lines ``start`` to ``stop - 1`` hold none of ``needles``.

        Each needle must be a text a line holds at most once and no line holds two of
        (a kind, ``'"kind": "timer_set"'``): a whole sealed block is then counted without
        reading its lines (its count of each needle is kept).
        """
        if not needles:
            return max(0, stop - start)
        total = 0
        i = start
        while i < stop and i < self._sealed:
            block = bisect_right(self._starts, i) - 1
            first = self._starts[block]
            end = self._starts[block + 1] if block + 1 < len(self._starts) else self._sealed
            if i == first and stop >= end:
                total += end - first - sum(self._needle_count(block, n) for n in needles)
            else:
                last = min(stop, end)
                lines = self._block_lines(block)[i - first : last - first]
                total += sum(1 for line in lines if not any(n in line for n in needles))
            i = end
        tail = self._tail_lines(max(0, i - self._sealed), max(0, stop - self._sealed))
        total += sum(1 for line in tail if not any(n in line for n in needles))
        return total

    def _needle_count(self, block: int, needle: str) -> int:
        key = (block, needle)
        found = self._counts.get(key)
        if found is None:
            b = self._blocks[block]
            kind = _KIND_NEEDLES.get(needle)
            if kind is None:  # any other text: read the lines
                found = sum(1 for line in self._block_lines(block) if needle in line)
            else:  # a recorded line holds its own kind's needle only; text lines are searched
                found = b.kinds.count(kind) + b.text.count(needle.encode("utf-8"))
            self._counts[key] = found
        return found

    def lines_of(self, start: int, stop: int) -> Iterator[str]:
        """Lines ``start`` to ``stop - 1`` in order, block by block."""
        sealed = self._sealed
        i = start
        while i < min(stop, sealed):
            block = bisect_right(self._starts, i) - 1
            lines = self._block_lines(block)
            first = i - self._starts[block]
            last = min(len(lines), stop - self._starts[block])
            yield from islice(lines, first, last)
            i = self._starts[block] + last
        yield from self._tail_lines(max(0, i - sealed), max(0, stop - sealed))

    def lines_back(self, start: int, stop: int) -> Iterator[str]:
        """Lines ``stop - 1`` down to ``start``, block by block."""
        sealed = self._sealed
        i = stop
        if i > max(start, sealed):
            yield from reversed(self._tail_lines(max(start, sealed) - sealed, i - sealed))
            i = max(start, sealed)
        while i > start:
            block = bisect_right(self._starts, i - 1) - 1
            lines = self._block_lines(block)
            first = max(start, self._starts[block])
            for j in range(i - self._starts[block] - 1, first - self._starts[block] - 1, -1):
                yield lines[j]
            i = first


class LineRange(Sequence[str]):
    """Lines ``start`` to ``stop - 1`` of a :class:`TraceLines`, read lazily."""

    __slots__ = ("_lines", "_start", "_stop")

    def __init__(self, lines: TraceLines, start: int, stop: int) -> None:
        self._lines, self._start, self._stop = lines, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> LineRange: ...

    def __getitem__(self, index: int | slice) -> str | LineRange:
        n = len(self)
        if isinstance(index, slice):
            start, stop, stride = index.indices(n)
            if stride != 1:
                raise ValueError("trace lines are sliced with a step of 1 only")
            return LineRange(self._lines, self._start + start, self._start + max(start, stop))
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("trace line index out of range")
        return self._lines._line(self._start + index)

    def __iter__(self) -> Iterator[str]:
        start, stop = self._start, self._stop
        if stop <= start:
            return
        yield from self._lines.lines_of(start, stop - 1)
        yield self._lines._line(stop - 1)  # pinned: a reader may compare it by identity

    def __reversed__(self) -> Iterator[str]:
        return self._lines.lines_back(self._start, self._stop)

    def __eq__(self, other: object) -> bool:
        return _same_lines(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LineRange({self._start}, {self._stop})"


def _same_lines(lines: Sequence[str], other: object) -> bool:
    if not isinstance(other, Sequence) or isinstance(other, str):
        return NotImplemented  # type: ignore[no-any-return]
    return len(lines) == len(other) and all(a == b for a, b in zip(lines, other, strict=True))
