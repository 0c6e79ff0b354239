"""Linearizability: can the answers travellers saw come from one copy of the supplies?

Theory of operation
-------------------
A history is what clients saw, in real-time order: each operation was invoked
at one moment and, unless its outcome is unknown, completed at a later one. It
is *linearizable* when every operation can be given one point between its
invocation and its completion (an operation of unknown outcome: any point after
its invocation, or none at all) such that, taken in the order of those points,
the operations get exactly the answers one atomic copy of the data would give.

The search is Wing & Gong's. The invocations and completions lie in a doubly
linked list in real-time order. Walking it from the front, an invocation is a
candidate: if the model accepts its operation from the current state, the
operation is placed next (linearized), its two entries are lifted out of the
list and the walk starts again at the front. Reaching a completion whose
operation is not placed means the operation had to take effect by then and
could not: the last placement was wrong, so it is undone (backtrack) and the
walk goes on to the next candidate after it. No placement left to undo means
no order exists: the history is not linearizable.

Lowe's memoisation makes this fast on real histories: every (set of placed
operations, model state) pair the search reaches is remembered, the set as a
bitmask. Two paths that placed the same operations and left the same state
have the same future, so the second is cut at once. One more cut keeps many
concurrent reads from multiplying the placed sets: an operation that changes
nothing (a read, a failed cas) and fits the current state is placed at once,
with no other choice tried in its stead, since any order going on from here
could have it at this point.

P-compositionality (Herlihy & Wing's locality): a history over independent keys
is linearizable exactly when each key's sub-history is. The ``kv`` model checks
each key on its own, so a bitmask and a search are only as large as one key's
operations; the ``register`` model is a single key.

Operations of unknown outcome (``info``, or an invocation that never completed)
have no completion in the list, so nothing forces them: the search may place
them at any later point, and it succeeds once every operation with a known
outcome is placed (one left over never took effect). An unknown read observes
nothing and is left out at once; an unknown cas is placed only as a successful
one (a cas that failed wrote nothing, the same as one that never happened).

Every search is bounded: a time limit, read every few hundred steps from an
injectable clock (this is a checker, not the simulation), and a limit on the
states remembered for one key. Either one ending the search makes the answer
``unknown``, never a wrong verdict; a violation found before that stands.

The result names, for a violation, the first operation that cannot be placed:
the one whose completion no order the search tried could get past (every
operation that completed before it was placed, in the longest linearizable
prefix that is reported with it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from .._untrusted import (
    InputError,
    JsonReader,
    SizeLimit,
    decode_utf8,
    kind_of,
    printable,
    read_file,
)

__all__ = [
    "DEFAULT_MAX_STATES",
    "HISTORY_LIMIT",
    "MODELS",
    "STATE_BYTES",
    "HistoryError",
    "KeyResult",
    "LinearizabilityResult",
    "Operation",
    "check_events",
    "check_history",
    "describe_operation",
    "parse_history",
    "plural",
    "read_history",
]

MODELS: Final = ("kv", "register")
Model = Literal["kv", "register"]
Verdict = Literal["linearizable", "not linearizable", "unknown"]

# A key whose search remembers this many (placed set, state) pairs stops with "unknown". A pair
# takes about 128 bytes plus one bit per operation of the key (its placed set), so a key of
# 2,000 operations stays near 400 MB; a key of more operations gets fewer pairs, so that no key
# takes much more than STATE_BYTES (a register of 10,000 operations: about 360,000 pairs).
DEFAULT_MAX_STATES: Final = 1_000_000
STATE_BYTES: Final = 500_000_000
# 10,000 operations take about 1 MB; the limit leaves room for histories a hundred times longer.
HISTORY_LIMIT: Final = SizeLimit("history file", "DESERT_PAXOS_MAX_HISTORY_MB", 300)

_TYPES: Final = ("invoke", "ok", "fail", "info")
_FUNCTIONS: Final = ("read", "write", "cas")
_CHECK_CLOCK_EVERY: Final = 512  # search steps between two looks at the clock

# The model's step, per operation: what it needs of the state and what it leaves.
_READ, _WRITE, _CAS, _CAS_FAIL = 0, 1, 2, 3


class HistoryError(Exception):
    """A history that cannot be checked: ``line`` (1-based, 0 for the whole file) and
    ``field`` name the place, ``message`` says what is wrong and what would be right."""

    def __init__(self, message: str, line: int = 0, field: str = "", source: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field
        self.source = source

    def __str__(self) -> str:
        where = self.source or "history"
        if self.line:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field}"
        return printable(f"{where}: {self.message}")


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a history, its invocation and completion matched."""

    index: int  # place among the history's invocations, from 0
    process: int | str
    f: str  # "read", "write" or "cas"
    key: Any  # None in the register model
    value: Any  # the invocation's value: written value, [expected, new] for a cas, None for a read
    output: Any  # what an ok read returned (None: a missing key); None otherwise
    status: str  # "ok", "fail" or "info" (an invocation never completed counts as "info")
    call: int  # the invocation's line
    ret: int | None  # the completion's line; None when the outcome is unknown


@dataclass(frozen=True, slots=True)
class History:
    """The operations of a checked-well-formed history, in invocation order."""

    model: str
    operations: tuple[Operation, ...]
    lines: int  # the last line number (a time axis for views)


@dataclass(frozen=True, slots=True)
class KeyResult:
    """The search on one key (the whole history in the register model)."""

    key: Any
    verdict: Verdict
    operations: tuple[int, ...]  # indices of this key's operations, in invocation order
    # linearizable: an order of the placed operations (unknown ones left out never took
    # effect); not: the longest linearizable prefix found; unknown: empty
    order: tuple[int, ...]
    blocked: int | None  # not: the first operation that cannot be placed
    states: int  # (placed set, state) pairs remembered
    steps: int  # search steps taken


@dataclass(frozen=True, slots=True)
class LinearizabilityResult:
    """The verdict on a whole history, with what explains it."""

    verdict: Verdict
    model: str
    operations: tuple[Operation, ...]
    keys: tuple[KeyResult, ...]  # one per key checked, in the order keys first appear
    first_unplaceable: Operation | None  # not: the earliest-completing one over all keys
    longest_prefix: tuple[Operation, ...]  # not: on that operation's key
    reason: str  # unknown: which limit ended the search
    keys_total: int  # keys in the history (keys checked may be fewer when a limit ends it)
    seconds: float
    lines: int

    @property
    def linearizable(self) -> bool | None:
        """True, False, or None when unknown."""
        return {"linearizable": True, "not linearizable": False}.get(self.verdict)

    @property
    def states(self) -> int:
        return sum(k.states for k in self.keys)

    def counts(self) -> dict[str, int]:
        """How many operations of each outcome, keys, and states searched."""
        statuses = [op.status for op in self.operations]
        return {
            "operations": len(statuses),
            "ok": statuses.count("ok"),
            "fail": statuses.count("fail"),
            "info": statuses.count("info"),
            "keys": self.keys_total,
            "keys_checked": len(self.keys),
            "states": self.states,
        }


# -- reading a history -------------------------------------------------------------------


def read_history(path: str | Path, model: str = "kv") -> History:
    """Read and check a JSON Lines history file, or raise :class:`HistoryError`."""
    source = str(path)
    try:
        text = decode_utf8(read_file(Path(path), HISTORY_LIMIT), "history (JSON Lines)")
    except InputError as exc:
        raise HistoryError(exc.message, source=source) from None
    try:
        return parse_history(_lines(text), model)
    except HistoryError as exc:
        exc.source = source
        raise


def _lines(text: str) -> Iterator[str]:
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def parse_history(lines: Iterable[str], model: str = "kv") -> History:
    """A history from its JSON Lines text, one event per line (blank lines skipped)."""
    reader = JsonReader(one_line=True)

    def events() -> Iterator[tuple[int, Any]]:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, reader.loads(line)
            except InputError as exc:
                raise HistoryError(exc.message, number, exc.path) from None

    return _build(events(), model)


def check_events(
    events: Iterable[Mapping[str, Any]],
    model: str = "kv",
    *,
    timeout: float | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    clock: Callable[[], float] = time.monotonic,
) -> LinearizabilityResult:
    """Check a history given as event objects (as a history file's lines hold them).

    The events' positions are their times (the first is line 1). A malformed event
    raises :class:`HistoryError` naming it.
    """
    history = _build(enumerate(events, start=1), model)
    return check_history(history, timeout=timeout, max_states=max_states, clock=clock)


@dataclass(slots=True)
class _Pending:
    process: int | str
    f: str
    key: Any
    value: Any
    call: int


def _build(events: Iterable[tuple[int, Any]], model: str) -> History:
    if model not in MODELS:
        raise HistoryError(f"unknown model {model!r}; the models are {', '.join(MODELS)}")
    keyed = model == "kv"
    pending: dict[int | str, _Pending] = {}
    unknown_since: dict[int | str, int] = {}  # process -> line of its info completion
    done: list[tuple[_Pending, str, Any, int | None]] = []
    last = 0
    for number, event in events:
        last = number
        if not isinstance(event, Mapping):
            raise HistoryError(
                'every line is one event, a JSON object such as {"process": 0, "type": '
                '"invoke", "f": "read", "key": "x", "value": null}',
                number,
            )
        process = _field_process(event, number)
        kind = _field_choice(event, "type", _TYPES, number)
        f = _field_choice(event, "f", _FUNCTIONS, number)
        key = _field_key(event, number, keyed)
        if kind == "invoke":
            if process in pending:
                earlier = pending[process]
                raise HistoryError(
                    f"process {_shown(process)} already has a {earlier.f} invoked at line "
                    f"{earlier.call} and not completed; a process runs one operation at a time "
                    "(complete it first with ok, fail or info)",
                    number,
                    "type",
                )
            if process in unknown_since:
                raise HistoryError(
                    f"process {_shown(process)} had an operation of unknown outcome (info at "
                    f"line {unknown_since[process]}), so it invokes nothing more; give the "
                    "next operation a new process id",
                    number,
                    "process",
                )
            pending[process] = _Pending(process, f, key, _invoke_value(event, f, number), number)
            continue
        invoked = pending.pop(process, None)
        if invoked is None:
            raise HistoryError(
                f"process {_shown(process)} has no invoked operation for this {kind} to "
                'complete; every completion follows its process\'s "invoke"',
                number,
                "type",
            )
        if f != invoked.f:
            raise HistoryError(
                f"a completion repeats its invocation's f ({invoked.f!r} at line "
                f"{invoked.call}), got {f!r}",
                number,
                "f",
            )
        if "key" in event and key != invoked.key:
            raise HistoryError(
                f"a completion is for its invocation's key ({_shown(invoked.key)} at line "
                f"{invoked.call}), got {_shown(key)}",
                number,
                "key",
            )
        output = None
        if kind == "fail" and f != "cas":
            raise HistoryError(
                f'"fail" means a cas whose expected value did not match (it took effect and '
                f"wrote nothing); a {f} cannot fail that way. A {f} whose outcome is unknown "
                'is "info"',
                number,
                "type",
            )
        if kind == "ok" and f == "read":
            if "value" not in event:
                raise HistoryError(
                    "an ok read's completion carries the value it read (null for a missing key)",
                    number,
                    "value",
                )
            output = event["value"]
        if kind == "info":
            unknown_since[process] = number
        done.append((invoked, kind, output, None if kind == "info" else number))
    for invoked in pending.values():  # never completed: the outcome is unknown
        done.append((invoked, "info", None, None))
    done.sort(key=lambda item: item[0].call)
    operations = tuple(
        Operation(
            index=i,
            process=p.process,
            f=p.f,
            key=p.key,
            value=p.value,
            output=output,
            status=kind,
            call=p.call,
            ret=ret,
        )
        for i, (p, kind, output, ret) in enumerate(done)
    )
    return History(model, operations, last)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _field_process(event: Mapping[str, Any], number: int) -> int | str:
    if "process" not in event:
        raise HistoryError(
            "missing; every event names the client process (a whole number or a string)",
            number,
            "process",
        )
    process = event["process"]
    if isinstance(process, bool) or not isinstance(process, int | str):
        raise HistoryError(
            f"a process is a whole number or a string, got {kind_of(process)}", number, "process"
        )
    return process


def _field_choice(event: Mapping[str, Any], name: str, choices: Sequence[str], number: int) -> str:
    one_of = ", ".join(f'"{c}"' for c in choices)
    if name not in event:
        raise HistoryError(f"missing; it is one of {one_of}", number, name)
    value = event[name]
    if value not in choices or not isinstance(value, str):
        got = _shown(value) if isinstance(value, str) else kind_of(value)
        raise HistoryError(f"must be one of {one_of}, got {got}", number, name)
    return value


def _field_key(event: Mapping[str, Any], number: int, keyed: bool) -> Any:
    key = event.get("key")
    if not keyed:
        if key is not None:
            raise HistoryError(
                f"the register model has no keys, got {_shown(key)}; check a history "
                "with keys with --model kv",
                number,
                "key",
            )
        return None
    if "key" not in event:
        raise HistoryError(
            "missing; in the kv model every event names its key (a string or a whole "
            "number); a history of one register without keys is --model register",
            number,
            "key",
        )
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise HistoryError(
            f"a key is a string or a whole number, got {kind_of(key)}", number, "key"
        )
    return key


def _invoke_value(event: Mapping[str, Any], f: str, number: int) -> Any:
    value = event.get("value")
    if f == "read":
        if value is not None:
            raise HistoryError(
                "a read's invocation carries no value (null or left out); the value read "
                "goes on its ok completion",
                number,
                "value",
            )
        return None
    if "value" not in event:
        what = "the value written" if f == "write" else "[expected, new]"
        raise HistoryError(f"missing; a {f}'s invocation carries {what}", number, "value")
    if f == "cas" and (not isinstance(value, list) or len(value) != 2):
        got = f"a list of {len(value)}" if isinstance(value, list) else kind_of(value)
        raise HistoryError(
            f"a cas's invocation carries [expected, new], a list of two values, got {got}",
            number,
            "value",
        )
    return value  # any JSON value (JsonReader has refused what no value may be)


class _Values:
    """Interns values as small integers: the model state is one, so remembering a state
    is cheap. Values compare as JSON values: numbers by value, ``true`` is not ``1``."""

    def __init__(self) -> None:
        self._ids: dict[Hashable, int] = {}

    def id(self, value: Any) -> int:
        canonical: Hashable
        if value is None:
            canonical = None
        elif isinstance(value, bool):
            canonical = ("b", value)
        elif isinstance(value, int | float):
            canonical = ("n", value)
        elif isinstance(value, str):
            canonical = ("s", value)
        else:
            canonical = ("j", json.dumps(value, sort_keys=True, separators=(",", ":")))
        return self._ids.setdefault(canonical, len(self._ids))


# -- the search ----------------------------------------------------------------------------


class _Stop(Exception):
    """A limit ended the search."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.states = 0  # what the search had done by then
        self.steps = 0


def check_history(
    history: History,
    *,
    timeout: float | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    clock: Callable[[], float] = time.monotonic,
) -> LinearizabilityResult:
    """Is ``history`` linearizable? ``timeout`` (seconds on ``clock``; None: no time limit)
    and ``max_states`` (per key, fewer for a key so long that they would take more than
    :data:`STATE_BYTES`) end a search that would run too long with ``unknown``."""
    if max_states < 1:
        raise ValueError("max_states must be 1 or more")
    start = clock()
    deadline = None if timeout is None else start + timeout
    groups: dict[Hashable, list[Operation]] = {}
    for op in history.operations:
        groups.setdefault(op.key, []).append(op)
    results: list[KeyResult] = []
    reason = ""
    for key, ops in groups.items():
        most = max(1, min(max_states, STATE_BYTES // (128 + len(ops) // 8)))
        try:
            results.append(_search(key, ops, deadline, most, clock))
        except _Stop as stop:
            limit = (
                f"the time limit of {timeout:g} s"
                if stop.reason == "time"
                else f"the limit of {most:,} states remembered for one key"
                + ("" if most == max_states else f" of {len(ops):,} operations (memory)")
            )
            reason = f"{limit} ended the search on key {_shown(key)}"
            if history.model == "register":
                reason = f"{limit} ended the search"
            indices = tuple(o.index for o in ops)
            results.append(KeyResult(key, "unknown", indices, (), None, stop.states, stop.steps))
            break
    failed = [r for r in results if r.verdict == "not linearizable"]
    ops_by_index = history.operations
    first: Operation | None = None
    prefix: tuple[Operation, ...] = ()
    if failed:
        verdict: Verdict = "not linearizable"
        worst = min(failed, key=lambda r: _ret_of(ops_by_index[r.blocked or 0]))
        first = ops_by_index[worst.blocked or 0]
        prefix = tuple(ops_by_index[i] for i in worst.order)
        reason = ""
    elif reason:
        verdict = "unknown"
    else:
        verdict = "linearizable"
    return LinearizabilityResult(
        verdict=verdict,
        model=history.model,
        operations=history.operations,
        keys=tuple(results),
        first_unplaceable=first,
        longest_prefix=prefix,
        reason=reason,
        keys_total=len(groups),
        seconds=max(0.0, clock() - start),
        lines=history.lines,
    )


def _ret_of(op: Operation) -> float:
    return float("inf") if op.ret is None else op.ret


def _search(
    key: Any,
    ops: list[Operation],
    deadline: float | None,
    max_states: int,
    clock: Callable[[], float],
) -> KeyResult:
    """Wing & Gong's search with Lowe's memoisation over one key's operations."""
    values = _Values()
    initial = values.id(None)
    # Unknown reads observe nothing: they are left out of the search.
    live = [op for op in ops if not (op.f == "read" and op.status == "info")]
    n = len(live)
    kind = [0] * n
    arg_a = [0] * n
    arg_b = [0] * n
    for i, op in enumerate(live):
        if op.f == "read":
            kind[i], arg_a[i] = _READ, values.id(op.output)
        elif op.f == "write":
            kind[i], arg_a[i] = _WRITE, values.id(op.value)
        else:
            kind[i] = _CAS_FAIL if op.status == "fail" else _CAS
            arg_a[i], arg_b[i] = values.id(op.value[0]), values.id(op.value[1])
    # The list's entries in real-time order: (time, is_call, op); a completion's line is
    # after its invocation's, and no two events share a line.
    timeline = sorted(
        [(op.call, 1, i) for i, op in enumerate(live)]
        + [(op.ret, 0, i) for i, op in enumerate(live) if op.ret is not None]
    )
    size = len(timeline)
    head = size  # the sentinel before the first entry; -1 ends the list
    nxt = [*range(1, size), -1, 0] if size else [-1]
    prv = [head, *range(size - 1), -1] if size else [-1]
    entry_op = [op for _, _, op in timeline]
    is_call = [c == 1 for _, c, _ in timeline]
    entry_time = [t for t, _, _ in timeline]
    match = [-1] * size  # an invocation's completion entry (-1: unknown outcome)
    where_call = [0] * n
    for e, (_, c, i) in enumerate(timeline):
        if c:
            where_call[i] = e
        else:
            match[where_call[i]] = e
    bit = [1 << i for i in range(n)]

    remaining = sum(1 for op in live if op.ret is not None)
    state = initial
    placed = 0  # bitmask of placed operations
    stack: list[int] = []  # the invocation entries placed, in order
    saved: list[int] = []  # the state before each
    forced: list[bool] = []  # placed by the rule for operations that change nothing
    seen: set[tuple[int, int]] = set()
    known = remaining
    best, best_stack, blocked = (-1, -1, 0), [], -1
    steps = 0

    def stop(reason: str) -> _Stop:
        """A limit ends the search: say how far it got."""
        stopped = _Stop(reason)
        stopped.states, stopped.steps = len(seen), steps
        return stopped

    def place(e: int, new: int, memo: tuple[int, int], free: bool) -> None:
        """Place the operation of invocation ``e``: lift it, then its completion."""
        nonlocal state, placed, remaining
        if len(seen) >= max_states:
            raise stop("states")
        seen.add(memo)
        stack.append(e)
        saved.append(state)
        forced.append(not free)
        state, placed = new, memo[0]
        for x in (e, match[e]):
            if x >= 0:
                before, after = prv[x], nxt[x]
                nxt[before] = after
                if after >= 0:
                    prv[after] = before
        if match[e] >= 0:
            remaining -= 1

    def backtrack() -> int | None:
        """Undo placements back to the last free choice; the entry to try after it
        (None: no choice is left)."""
        nonlocal state, placed, remaining
        while stack:
            e = stack.pop()
            state = saved.pop()
            placed ^= bit[entry_op[e]]
            for x in (match[e], e):  # in the reverse order of lifting
                if x >= 0:
                    nxt[prv[x]] = x
                    if nxt[x] >= 0:
                        prv[nxt[x]] = x
            if match[e] >= 0:
                remaining += 1
            if not forced.pop():
                return nxt[e]
        return None

    entry = nxt[head]
    settle = True
    while remaining:
        steps += 1
        if deadline is not None and not steps % _CHECK_CLOCK_EVERY and clock() > deadline:
            raise stop("time")
        if settle:
            # An operation that changes nothing (a read, a failed cas) and fits the state now
            # is placed at once, with no other choice tried in its stead: in any order that
            # goes on from here it could be moved to this point (every operation that had to
            # come before it is placed already). If that leads nowhere, neither does the
            # prefix before it, so backtracking goes straight past it.
            settle, dead = False, False
            e = nxt[head]
            while e >= 0 and is_call[e] and remaining:
                o = entry_op[e]
                k = kind[o]
                if (k == _READ and state == arg_a[o]) or (k == _CAS_FAIL and state != arg_a[o]):
                    memo = (placed | bit[o], state)
                    if memo in seen:  # tried before, and it led nowhere
                        dead = True
                        break
                    place(e, state, memo, free=False)
                    e = nxt[head]
                else:
                    e = nxt[e]
            if not dead:
                entry = nxt[head]
                continue
            after = backtrack()
            if after is None:
                break
            entry = after
            continue
        if is_call[entry]:
            o = entry_op[entry]
            k = kind[o]
            if k == _READ:
                ok, new = state == arg_a[o], state
            elif k == _WRITE:
                ok, new = True, arg_a[o]
            elif k == _CAS:
                ok, new = state == arg_a[o], arg_b[o]
            else:
                ok, new = state != arg_a[o], state
            if ok:
                memo = (placed | bit[o], new)
                if memo not in seen:
                    place(entry, new, memo, free=True)
                    settle = True
                    continue
            entry = nxt[entry]
            continue
        # A completion whose operation is not placed: it cannot be, after this prefix.
        # The furthest in time any order got; then the most operations of known outcome
        # placed, then the fewest of unknown outcome.
        placed_known = known - remaining
        score = (entry_time[entry], placed_known, placed_known - len(stack))
        if score > best:
            best, best_stack, blocked = score, stack.copy(), entry_op[entry]
        after = backtrack()
        if after is None:
            break
        entry = after
    indices = tuple(o.index for o in ops)
    if remaining:
        if blocked < 0:  # every path ended at a placement tried before: the first completion
            blocked = next(entry_op[e] for e in range(size) if not is_call[e])
        order = tuple(live[entry_op[e]].index for e in best_stack)
        return KeyResult(
            key, "not linearizable", indices, order, live[blocked].index, len(seen), steps
        )
    order = tuple(live[entry_op[e]].index for e in stack)
    return KeyResult(key, "linearizable", indices, order, None, len(seen), steps)


# -- telling -------------------------------------------------------------------------------


def describe_operation(op: Operation, model: str = "kv") -> str:
    """One operation in words, e.g. ``process 3's read of "x" → 2 (invoked at line 40,
    ok at line 45)``; text from the history is escaped for a terminal."""
    on = f" of {_shown(op.key)}" if model == "kv" else ""
    if op.f == "read":
        what = f"read{on}"
        if op.status == "ok":
            what += f" → {_shown(op.output)}"
    elif op.f == "write":
        what = f"write{on} {_shown(op.value)}"
    else:
        what = f"cas{on} {_shown(op.value[0])} → {_shown(op.value[1])}"
        what += {"ok": " (succeeded)", "fail": " (failed: another value)"}.get(op.status, "")
    ended = "outcome unknown" if op.ret is None else f"{op.status} at line {op.ret}"
    return printable(f"process {_shown(op.process)}'s {what} (invoked at line {op.call}, {ended})")


def plural(n: int, word: str) -> str:
    """``1 key``, ``5 keys``, ``1,000 operations``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"
