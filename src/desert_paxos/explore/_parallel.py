"""``explore --workers N``: each level of the breadth-first search shared out among processes.

Theory of operation
-------------------
Every state belongs to one process, named by its hash (a state is an integer,
whose hash is the same in every process; see ``_breadth.owner``). Each process
keeps the states it owns, and expands them level by level with the serial search's own engine
(:class:`~desert_paxos.explore._breadth.Breadth` with a ``shard``): a next state
it owns is stored at once, one it does not is put in the outbox of its owner,
with its parent and its sleep set. At the end of a level the coordinator (this
process) hands every process what the others sent it, and the next level
begins. Levels are kept in step, so the first level that breaks an invariant is
the shortest counterexample's, as in the serial search, and the states found
are the serial search's: the same count, which a test checks.

A state means the same in every process only if every process numbers local
codes, riders and proposals alike. The coordinator's model is the one
numbering: a worker's model asks it for the number of anything new (a round
trip, a few thousand times in a whole search), and at each level every worker
is sent what was numbered since the last (the log), before any state that
could use it. Which process asks first varies from run to run, so the numbers
(and, with symmetry, which renaming of a state is stored) may too; the states,
their count and the verdict do not.

A counterexample's path is followed back from its last state through the
owners of each parent. Workers leave Ctrl-C to the coordinator, end when it
goes, and are stopped (and joined) when the search ends, however it ends.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import time
from collections.abc import MutableSequence
from multiprocessing.connection import Connection, wait
from typing import Any

from ._breadth import Breadth, owner
from ._model import ExploreOptions, Model, State
from ._search import Progress, SearchResult

__all__ = ["MAX_WORKERS", "parallel_search"]

MAX_WORKERS = 64  # --workers is bounded: a process each, and a pipe each to the coordinator
_JOIN_SECONDS = 5.0  # how long a worker is given to end by itself before it is terminated


def parallel_search(
    model: Model,
    workers: int,
    *,
    max_states: int | None = None,
    progress: Progress | None = None,
    progress_every: float = 1.0,
    por: bool = False,
) -> SearchResult:
    """The breadth-first search of ``model`` on ``workers`` processes; see the module docstring."""
    if not 2 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be 2 to {MAX_WORKERS}, got {workers}")
    result = SearchResult(strategy="bfs", workers=workers)
    started = time.perf_counter()
    context = multiprocessing.get_context()
    conns: list[Connection] = []
    processes: list[Any] = []
    try:
        for me in range(workers):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_worker,
                args=(theirs, model.options, me, workers, por, os.getpid()),
                name=f"desert-paxos-explore-{me}",
                daemon=True,
            )
            process.start()
            theirs.close()
            conns.append(mine)
            processes.append(process)
        _coordinate(model, conns, result, max_states, progress, progress_every, started)
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    finally:
        _stop(conns, processes)
    result.seconds = time.perf_counter() - started
    return result


class _Numbering:
    """The coordinator's model numbering for everyone, and the log of what it numbered."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.log: list[tuple[str, int, Any]] = []
        self._logged: set[tuple[str, int]] = set()

    def number(self, kind: str, key: Any) -> int:
        model = self.model
        if kind == "local":
            number = model._intern_local(key)
        elif kind == "code":
            number = model._intern_code(*key)
        elif kind == "rider":
            number = model._intern_message(*key)
        else:
            number = model._intern_proposal(*key)
        if (kind, number) not in self._logged:
            self._logged.add((kind, number))
            self.log.append((kind, number, key))
        return number


def _coordinate(
    model: Model,
    conns: list[Connection],
    result: SearchResult,
    max_states: int | None,
    progress: Progress | None,
    every: float,
    started: float,
) -> None:
    workers = len(conns)
    numbering = _Numbering(model)
    share = -1 if max_states is None else -(-max_states // workers)  # each worker's bound
    initial = model.initial
    inbox: list[list[bytes]] = [[] for _ in range(workers)]
    inbox[owner(initial, workers, model._low_mask)].append(pickle.dumps([(initial, None, 0)]))
    sent = [0] * workers  # how much of the log each worker has been sent
    depth = 0
    last_report = started
    _gather(conns, numbering)  # each worker's model is built (numbered through ours)
    while True:
        for me, conn in enumerate(conns):
            conn.send(("level", numbering.log[sent[me] :], inbox[me], share))
            sent[me] = len(numbering.log)
        inbox = [[] for _ in range(workers)]
        done = _gather(conns, numbering)
        result.states = sum(m[1] for m in done.values())
        result.transitions = sum(m[2] for m in done.values())
        result.pruned = sum(m[3] for m in done.values())
        result.symmetric_states = sum(m[4] for m in done.values())
        if not sum(m[9] for m in done.values()):  # nothing new was left to expand: the end
            result.depth = depth - 1
            return
        broken = [(me, m[7]) for me, m in sorted(done.items()) if m[7] is not None]
        if broken:  # the first worker's, so the same run tells the same story
            me, (invariant, before, after) = broken[0]
            result.violation = invariant
            result.path = [*_path_back(conns, before, model._low_mask), after]
            result.depth = depth + 1
            return
        result.depth = depth
        if any(not m[5] for m in done.values()):
            result.stopped = "max-states"
            return
        waiting = 0
        for message in done.values():
            waiting += message[6]
            for to, blob in enumerate(message[8]):
                if blob:
                    inbox[to].append(blob)
                    waiting += 1
        if not waiting:
            return
        depth += 1
        if max_states is not None and result.states >= max_states:
            result.stopped = "max-states"
            return
        if progress is not None:
            now = time.perf_counter()
            if now - last_report >= every:
                last_report = now
                progress(result.states, result.transitions, depth, now - started)


def _gather(conns: list[Connection], numbering: _Numbering) -> dict[int, tuple[Any, ...]]:
    """Every worker's next message but a request for a number, serving those meanwhile."""
    done: dict[int, tuple[Any, ...]] = {}
    while len(done) < len(conns):
        for ready in wait(conns):
            me = next(i for i, conn in enumerate(conns) if conn is ready)
            message = conns[me].recv()
            if message[0] == "number":
                conns[me].send(numbering.number(message[1], message[2]))
            else:
                done[me] = message
    return done


def _path_back(conns: list[Connection], state: State, low_mask: int) -> list[State]:
    """The states from the start to ``state``, each parent asked of its owner."""
    path = [state]
    while True:
        conn = conns[owner(path[-1], len(conns), low_mask)]
        conn.send(("parent", path[-1]))
        before = conn.recv()
        if before is None:
            break
        path.append(before)
    path.reverse()
    return path


def _stop(conns: list[Connection], processes: list[Any]) -> None:
    """Ask every worker to end, then make sure it has (terminate what does not)."""
    for conn in conns:
        with contextlib.suppress(OSError, ValueError):  # it is gone already
            conn.send(("stop",))
    deadline = time.monotonic() + _JOIN_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.terminate()
            process.join()
    for conn in conns:
        conn.close()


def _worker(
    conn: Connection, options: ExploreOptions, me: int, of: int, por: bool, parent: int
) -> None:
    """One process of the search: expand the states it owns, a level at a time."""
    import gc

    from ..swarm._run import worker_init

    worker_init(parent)  # Ctrl-C is the coordinator's; end when the coordinator is gone
    gc.disable()  # as in the serial search: millions of short-lived tuples, no cycles

    def number(kind: str, key: Any) -> int:
        conn.send(("number", kind, key))
        answer: int = conn.recv()
        return answer

    model = Model(options, numbering=number)
    conn.send(("ready",))
    engine = Breadth(model, por=por, shard=(me, of))
    level: MutableSequence[int] = []
    sleeps: dict[int, int] = {}
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        if message[0] == "parent":
            conn.send(engine.parent.get(engine.key(message[1])))
            continue
        _, log, blobs, share = message
        for kind, numbered, key in log:
            model.install(kind, numbered, key)
        for blob in blobs:
            engine.receive(pickle.loads(blob), level, sleeps)
        next_level, next_sleeps, done = engine.expand(level, sleeps, share)
        broken = None
        if engine.violation is not None and engine.broken is not None:
            key, after = engine.broken
            broken = (engine.violation, engine.state(key), after)
        boxes = [
            pickle.dumps([(s, p, z) for s, (p, z) in box.items()]) if box and owner != me else b""
            for owner, box in enumerate(engine.outbox)
        ]
        for box in engine.outbox:
            box.clear()
        conn.send(
            (
                "done",
                engine.states,
                engine.transitions,
                engine.pruned,
                engine.symmetric_states,
                done == len(level),
                len(next_level),
                broken,
                boxes,
                len(level),
            )
        )
        level, sleeps = next_level, next_sleeps
