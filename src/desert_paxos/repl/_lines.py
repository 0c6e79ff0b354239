"""The recorded trace lines of a REPL session, kept as a few large blocks.

Theory of operation
-------------------
A session records every trace line of its run, up to millions. One Python
string per line would cost its text plus about 57 bytes (the string object's
header and a list slot); here the simulator's trace writer appends each line
(with its newline) to a short *tail* list, and every ``CHUNK`` lines or so the
tail is *sealed*: joined and encoded as one UTF-8 ``bytes`` block. A sealed line
costs its UTF-8 bytes and nothing else, and stays one byte a character whatever
names a scenario uses.

:class:`TraceLines` reads like the list it replaces: ``len``, ``lines[i]`` (the
line without its newline), ``lines[a:b]`` (a lazy :class:`LineRange` that
iterates forwards or ``reversed`` block by block, never materialising the whole
record), iteration and ``==`` with any sequence of strings. Reading a sealed
line decodes and splits its block (the last one split is kept).

Readers compare lines by identity to notice a forked timeline (the REPL's
story keeper, the live page's feed): ``lines[i]`` therefore hands out the same
string object for the same ``i`` while it is *pinned* (the last ``PINNED``
lines read by index, and the last line of every range iterated), and a prefix
(:meth:`TraceLines.prefix`, what a fork keeps) keeps its pins. An unpinned line
is equal, not identical, which costs such a reader a comparison, never a wrong
answer.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import overload

__all__ = ["CHUNK", "PINNED", "LineRange", "TraceLines"]

CHUNK = 512  # lines per sealed block, about 70 KB of trace
PINNED = 1024  # lines whose string objects are kept, so identity holds for them


class TraceLines(Sequence[str]):
    """A growing, truncatable record of trace lines; see the module docstring."""

    __slots__ = (
        "_blocks",
        "_counts",
        "_pinned",
        "_sealed",
        "_split",
        "_starts",
        "_tail",
        "append",
    )

    def __init__(self) -> None:
        self._blocks: list[bytes] = []  # sealed blocks: UTF-8 lines, each ending in "\n"
        self._starts: list[int] = []  # index of the first line of each block
        self._sealed = 0  # lines in the sealed blocks
        self._tail: list[str] = []  # lines not sealed yet, each ending in "\n"
        self._pinned: dict[int, str] = {}
        self._split: tuple[int, list[str]] = (-1, [])  # the last block split into lines
        self._counts: dict[tuple[int, str], int] = {}  # (block, needle) -> lines holding it
        self.append = self._tail.append  # the writer's ``write``: one line and its newline

    # -- writing ------------------------------------------------------------------

    def seal(self) -> None:
        """Seal the tail into a block when it holds ``CHUNK`` lines or more (cheap otherwise)."""
        tail = self._tail
        if len(tail) < CHUNK:
            return
        self._blocks.append("".join(tail).encode("utf-8"))
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
            lines = self._blocks[block].decode("utf-8").split("\n")
            lines.pop()  # the empty string after the last newline
            self._split = (block, lines)
        return lines

    def __len__(self) -> int:
        return self._sealed + len(self._tail)

    def _line(self, i: int) -> str:
        """Line ``i`` (0 <= i < len), pinned."""
        pinned = self._pinned.get(i)
        if pinned is not None:
            return pinned
        sealed = self._sealed
        if i >= sealed:
            line = self._tail[i - sealed][:-1]
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
        for line in islice(self._tail, max(0, i - self._sealed), max(0, stop - self._sealed)):
            if not any(n in line for n in needles):
                total += 1
        return total

    def _needle_count(self, block: int, needle: str) -> int:
        key = (block, needle)
        found = self._counts.get(key)
        if found is None:
            found = self._counts[key] = self._blocks[block].count(needle.encode("utf-8"))
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
        for line in islice(self._tail, max(0, i - sealed), max(0, stop - sealed)):
            yield line[:-1]

    def lines_back(self, start: int, stop: int) -> Iterator[str]:
        """Lines ``stop - 1`` down to ``start``, block by block."""
        sealed = self._sealed
        tail = self._tail
        i = stop
        while i > max(start, sealed):
            i -= 1
            yield tail[i - sealed][:-1]
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
