"""Ticks on the wall clock, and the part files each process writes its events to.

Theory of operation
-------------------
Every process of one desert runs on the same machine, so they share one
clock: ``CLOCK_MONOTONIC`` (``time.monotonic_ns``, and asyncio's ``loop.time``).
The coordinator picks the moment the desert starts (``epoch_ns``) and every
process counts ticks from it, ``tick_ms`` milliseconds each: a timer of 150
ticks is 750 ms at the default 5 ms, and tick ``T`` is
``epoch_ns + T * tick_ms`` on that shared clock, whoever reads it.

Each process writes what happens to it into its own *part* file, one JSON
line per event, each stamped with ``ns``, the shared clock's reading when the
event happened. A line is written with one ``write`` on a file opened for
appending and unbuffered, so everything before a ``SIGKILL`` is in the file
and a process killed outright leaves whole lines (a line is never split
between two writes). ``desert merge`` puts the parts together in the order
of ``ns``, which is the order things really happened in, since every rider's
``send`` line is written before it leaves and its ``deliver`` line after it
arrived.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..trace import dump_event

__all__ = ["Clock", "PartWriter"]


class Clock:
    """Ticks of ``tick_ms`` counted from ``epoch_ns`` on the shared monotonic clock."""

    __slots__ = ("epoch_ns", "tick_ns")

    def __init__(self, epoch_ns: int, tick_ms: int) -> None:
        self.epoch_ns = epoch_ns
        self.tick_ns = tick_ms * 1_000_000

    def tick(self, ns: int | None = None) -> int:
        """The tick at ``ns`` (now by default); 0 before the desert starts."""
        if ns is None:
            ns = time.monotonic_ns()
        return max(0, (ns - self.epoch_ns) // self.tick_ns)

    def ns(self, tick: int) -> int:
        """When tick ``tick`` begins, on the shared clock."""
        return self.epoch_ns + tick * self.tick_ns

    def loop_time(self, tick: int) -> float:
        """When tick ``tick`` begins, as asyncio's ``loop.time()`` counts (seconds)."""
        return self.ns(tick) / 1e9


class PartWriter:
    """One process's events, appended to its part file as whole lines, each at once."""

    __slots__ = ("_clock", "_fd", "path")

    def __init__(self, path: str | os.PathLike[str], clock: Clock | None) -> None:
        self.path = Path(path)
        self._clock = clock
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self.path, flags, 0o644)

    def set_clock(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, event: dict[str, Any]) -> int:
        """Write ``event`` with ``ns`` (now) and its tick ``t``; returns ``ns``."""
        ns = time.monotonic_ns()
        line = dict(event)
        line["ns"] = ns
        if self._clock is not None:
            line["t"] = self._clock.tick(ns)
        data = (dump_event(line) + "\n").encode("utf-8")
        while data:  # a regular file takes it whole; the loop is for the rare short write
            written = os.write(self._fd, data)
            data = data[written:]
        return ns

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
