"""The search: breadth-first for the shortest counterexample, or depth-first.

Theory of operation
-------------------
Both strategies keep one dictionary from every state seen to the state it was
first reached from, so any state's path back to the start can be rebuilt, and
stop at the first move that breaks an invariant. Breadth-first search expands
the states level by level, so the first broken move it meets ends the shortest
possible counterexample. Depth-first search goes deep first; its counterexample
is a real path but need not be the shortest.

One engine, several protocols: a model is anything with an ``initial`` state,
``successors(state)`` (each move, the next state and the invariant it broke, if
any), ``symmetric``, ``canonical`` and ``orbit_size`` (:class:`Walkable`). The
single-decree :class:`Model`, whose states are bit fields of one integer, is
searched breadth-first by the engine below; any other model (the journey's,
``_journey.JourneyModel``, whose states are tuples of small integers) by the
plain walk, breadth-first or depth-first, with the same bounds, progress,
Ctrl-C and results.

Breadth-first search of the single-decree model is the one built for speed
and memory: its engine (``_breadth``) stores states small, expands one level at
a time and can leave moves asleep (``por``: partial-order reduction with sleep
sets, the same states, verdicts and shortest counterexamples with fewer moves
tried). ``workers`` > 1
shares each level out among processes (``_parallel``). Depth-first search is
the plain walk over :meth:`Model.successors`.

Wall-clock time is read only to report progress and speed, never to decide
anything: the same options always visit the same states in the same order.
Ctrl-C (``KeyboardInterrupt``) ends the search early with what was covered.

``max_depth`` stops the walk at that many moves from the start: every state
within it is visited (a breadth-first walk then says whether a counterexample
of at most that many moves exists; ``stopped`` is ``"max-depth"`` when states
beyond it were left). A depth bound always takes the plain walk.

The table of states seen is what grows: ``max_states`` bounds it (checked every
few thousand transitions, so it may be passed by a few thousand).
:func:`default_max_states` is the bound the command line uses when none is
given: ``MAX_STATES``, or fewer when half the memory available would not hold
that many at ``BYTES_PER_STATE`` each (measured: 150 to 500 bytes a state,
with its share of the table and the queue, for 3 to 5 caravans).
"""

from __future__ import annotations

import gc
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._breadth import CHECK_EVERY, Breadth
from ._model import Action, Model, State

__all__ = [
    "BYTES_PER_STATE",
    "MAX_STATES",
    "Progress",
    "SearchResult",
    "Walkable",
    "default_max_states",
    "first_move",
    "search",
]

Progress = Callable[[int, int, int, float], None]  # states, transitions, depth, seconds

_CHECK_EVERY = CHECK_EVERY  # transitions between looks at the clock
MAX_STATES = 2_000_000  # the default bound on stored states (about a minute or two of search)
BYTES_PER_STATE = 1_000  # a generous allowance per stored state (150 to 500 bytes measured)
_MIN_DEFAULT = 10_000  # however little memory is free, the default bound is at least this


class Walkable(Protocol):
    """What the plain walk needs of a model (the single-decree :class:`Model` has it too)."""

    symmetric: bool

    @property
    def initial(self) -> Any: ...

    def successors(self, state: Any) -> list[tuple[Any, Any, str | None]]: ...

    def canonical(self, state: Any) -> tuple[Any, Any]: ...

    def orbit_size(self, state: Any) -> int: ...


def default_max_states() -> int:
    """``MAX_STATES``, or fewer: as many states as half the memory available now holds."""
    available = _available_memory()
    if available is None:
        return MAX_STATES
    return max(_MIN_DEFAULT, min(MAX_STATES, available // 2 // BYTES_PER_STATE))


def _available_memory() -> int | None:
    """Bytes of memory available to this process now, or None if the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


@dataclass(slots=True)
class SearchResult:
    strategy: str
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # None: exhausted; "max-states", "max-depth" or "interrupted"
    violation: str | None = None  # the invariant that broke
    symmetric_states: int = 0  # with symmetry: how many states the visited ones stand for
    path: list[Any] = field(default_factory=list)  # start ... the state where it broke
    pruned: int = 0  # with partial-order reduction: moves not tried (asleep)
    workers: int = 1  # processes that searched

    @property
    def complete(self) -> bool:
        return self.stopped is None and self.violation is None

    @property
    def rate(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0


def search(
    model: Model | Walkable,
    *,
    strategy: str = "bfs",
    max_states: int | None = None,
    progress: Progress | None = None,
    progress_every: float = 1.0,
    por: bool = False,
    workers: int = 1,
    max_depth: int | None = None,
) -> SearchResult:
    """Explore every state reachable in ``model``; see the module docstring."""
    if strategy not in ("bfs", "dfs"):
        raise ValueError(f"strategy must be bfs or dfs, got {strategy!r}")
    if por and strategy != "bfs":
        raise ValueError("partial-order reduction works with the breadth-first search only")
    packed = isinstance(model, Model) and max_depth is None
    if not packed and (por or workers != 1):
        raise ValueError(
            "partial-order reduction and workers need the single-decree model's "
            "breadth-first engine (no depth bound)"
        )
    if workers != 1:
        assert isinstance(model, Model)
        if strategy != "bfs":
            raise ValueError("a parallel search is breadth-first only")
        from ._parallel import parallel_search

        return parallel_search(
            model,
            workers,
            max_states=max_states,
            progress=progress,
            progress_every=progress_every,
            por=por,
        )
    result = SearchResult(strategy=strategy)
    started = time.perf_counter()
    # The search makes millions of short-lived tuples and no reference cycles, so the cycle
    # collector would only walk the growing tables again and again; it is back on afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if strategy == "bfs" and packed and isinstance(model, Model):
            _bfs(model, result, max_states, progress, progress_every, started, por)
        else:
            parent: dict[Any, Any] = {model.initial: None}
            if model.symmetric:
                result.symmetric_states = model.orbit_size(model.initial)
            try:
                _walk(
                    model,
                    parent,
                    result,
                    max_states,
                    progress,
                    progress_every,
                    started,
                    max_depth,
                )
            finally:
                result.states = len(parent)
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    finally:
        if collecting:
            gc.enable()
    result.seconds = time.perf_counter() - started
    return result


def _path_to(parent: dict[Any, Any], state: Any) -> list[Any]:
    path = [state]
    before = parent[state]
    while before is not None:
        path.append(before)
        before = parent[before]
    path.reverse()
    return path


def _walk(
    model: Model | Walkable,
    parent: dict[Any, Any],
    result: SearchResult,
    max_states: int | None,
    progress: Progress | None,
    every: float,
    started: float,
    max_depth: int | None = None,
) -> None:
    """Breadth-first (a queue) or depth-first (a stack); stops at the first broken move."""
    successors = model.successors
    canonical = model.canonical if model.symmetric else None
    orbit = model.orbit_size if model.symmetric else None
    limit = max_states if max_states is not None else -1
    pending: deque[tuple[Any, int]] = deque([(model.initial, 0)])
    breadth_first = result.strategy == "bfs"
    take = pending.popleft if breadth_first else pending.pop
    push = pending.append
    next_check = _CHECK_EVERY
    last_report = started
    transitions = deepest = 0
    try:
        while pending:
            state, depth = take()
            if depth > deepest:
                deepest = depth
            if depth == max_depth:
                result.stopped = "max-depth"
                continue
            moves = successors(state)
            transitions += len(moves)
            # A stack takes the last pushed first: push in reverse so the first move goes first.
            for _action, nxt, broken in moves if breadth_first else reversed(moves):
                if canonical is not None:
                    nxt = canonical(nxt)[0]
                if broken is not None:
                    result.violation = broken
                    result.path = [*_path_to(parent, state), nxt]
                    deepest = max(deepest, depth + 1)
                    return
                if nxt in parent:
                    continue
                parent[nxt] = state
                push((nxt, depth + 1))
                if orbit is not None:
                    result.symmetric_states += orbit(nxt)
            if transitions >= next_check:
                next_check = transitions + _CHECK_EVERY
                if len(parent) >= limit > 0:
                    result.stopped = "max-states"
                    return
                if progress is not None:
                    now = time.perf_counter()
                    if now - last_report >= every:
                        last_report = now
                        progress(len(parent), transitions, deepest, now - started)
        if 0 < limit <= len(parent) and pending:
            result.stopped = "max-states"
    finally:
        result.transitions = transitions
        result.depth = deepest


def _bfs(
    model: Model,
    result: SearchResult,
    max_states: int | None,
    progress: Progress | None,
    every: float,
    started: float,
    por: bool,
) -> None:
    """Breadth-first, level by level (see ``_breadth``): the shortest counterexample."""
    # Whole states are faster to store; with symmetry, where memory is the point, small ones.
    engine = Breadth(model, por=por, wide=not model.symmetric)
    limit = max_states if max_states is not None else -1
    level, sleeps = engine.start(model.initial)
    depth = 0
    last_report = started

    def tick(states: int, transitions: int) -> None:
        nonlocal last_report
        if progress is not None:
            now = time.perf_counter()
            if now - last_report >= every:
                last_report = now
                progress(states, transitions, depth, now - started)

    try:
        while level:
            next_level, next_sleeps, done = engine.expand(level, sleeps, limit, tick)
            if engine.violation is not None and engine.broken is not None:
                key, broken = engine.broken
                result.violation = engine.violation
                result.path = [*engine.path_to(key), broken]
                depth += 1
                return
            if done < len(level) or (0 < limit <= engine.states and next_level):
                result.stopped = "max-states"
                return
            level, sleeps = next_level, next_sleeps
            if level:
                depth += 1
    finally:
        result.transitions = engine.transitions
        result.pruned = engine.pruned
        result.symmetric_states = engine.symmetric_states
        result.depth = depth
        result.states = engine.states


def first_move(model: Model, state: State, target: State) -> tuple[Action, State]:
    """A move from the concrete ``state`` whose (canonical) result is ``target``, and its result."""
    for action, nxt, _broken in model.successors(state):
        if model.canonical(nxt)[0] == target:
            return action, nxt
    raise LookupError("no move leads to the next state of the path")  # pragma: no cover
