"""The breadth-first search's engine: one level at a time, states stored small.

Theory of operation
-------------------
:class:`Breadth` expands one level of the search into the next (``expand``);
the serial search calls it level after level, and each process of a parallel
search calls it on its share of a level (see ``_parallel``).

*Storage.* A state is kept as itself (``wide``: the serial search without
symmetry, fastest), or as one small integer, ``a + (f << A_BITS)``: ``a``
numbers its *low part* (crashes, ghost, the caravans' local codes, votes) and
``f`` its riders on the way, each in a table of the distinct values met (far
fewer than states: many states share a low part, many share their riders). The
serial search then keeps no object per state (*packed*, ``_expand_packed``):
the states seen are the sorted ``f`` of each low part in an array of 4-byte
integers, and each level is two arrays, its keys and where each one's parent
sits in the level before, so a path is followed back through the arrays. A
parallel search keeps a dictionary from each key to its parent, a whole state.

*Moves.* The moves of a state are made first (the next states, in the order of
:meth:`Model.successors`), then taken in that order up to the first one that
breaks an invariant, so the search visits exactly what the plain walk visits.
The caravans' own moves (timers, proposing, collapsing, getting up) depend only
on the low part: they are computed once per low part, ghost and verdict
included. With symmetry each next state is renamed to its canonical form
(:meth:`Model.canonical_pair`, inlined here: it is the commonest step; with
``INLINE`` off a profile sees it as the method, doing the same work).

*Partial-order reduction* (``por``) keeps a *sleep set* per state of the next
level: the deliveries that need not be tried from it because an interleaving of
the same length that tries them first has been explored already. Two
deliveries are independent when they go to different caravans and at most one
of them changes the ghost state (a vote or a decision): then either order
reaches the same state, with the same verdict on each move. A move's child
sleeps on everything the parent slept on or explored before that move, if
independent of it; a state reached several times on one level sleeps on what
all its arrivals agree on; a renamed child's sleep set is renamed with it.
Sleep sets never lose a state, and every state is still reached at its least
depth along the lexicographically least shortest path (a move asleep there
could be moved earlier, giving a smaller path), so the states, the verdicts and
the shortest counterexamples are those of the plain search; only fewer moves
are tried (``pruned`` counts the others). A label is ``4 * rider + kind``
(deliver, duplicate, lose, drop), a sleep set one integer of labels.

*Shards.* In a parallel search (``shard = (me, of)``) a next state belongs to
the process :func:`owner` names; the others' are put in ``outbox`` (with their
parent and sleep set) instead of being stored, and :meth:`receive` stores what
the others sent. Parents are then whole states, so a path can be followed back
across processes.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, MutableSequence
from typing import Any

from ._model import _CODE_MASK, _EV_OFFSET, _KEY_STRIDE, Model, State, _trim

__all__ = ["A_BITS", "Breadth", "owner"]

A_BITS = 28  # a stored state is a + (f << A_BITS): at most 2**28 distinct low parts
_A_MASK = (1 << A_BITS) - 1
_MOVE_CACHE = 1 << 13  # low parts whose moves are kept (the cache starts again when full)
_PACKED_CACHE = 1 << 15  # the same, for the packed search (its states cost less, so more kept)
_POS_BITS = 32  # where a state of the packed search sits: level << _POS_BITS | position
_LABELS = {"deliver": 0, "duplicate": 1, "lose": 2, "drop": 3}  # a delivery's label: 4 mid + this
CHECK_EVERY = 4096  # transitions between looks at the bound (and the clock)
INLINE = True  # False: canonicalise through Model's methods (a profile can then see it)
_MIX = 0x9E3779B97F4A7C15  # Fibonacci hashing: every bit of a state's hash moves its owner
_MIX_MASK = (1 << 64) - 1


def owner(state: State, of: int, low_mask: int) -> int:
    """The process (of ``of``) a state belongs to in a parallel search.

    Chosen by the state's low part alone (``state & low_mask``: everything but the
    riders in flight), so every state of one low part is expanded by one process and
    the moves of a low part, which are made once and kept, are made in one process
    only: owned by the whole state's hash, each process met nearly every low part and
    made its moves again, and two processes did twice the serial search's work.
    ``hash`` of an integer is the same in every process, but it is the integer modulo
    2**61 - 1, whose low bits come from a few fields only; multiplied by an odd constant
    and taken from the middle, every bit of it counts, and the shares come out even.
    """
    return (((hash(state & low_mask) * _MIX) & _MIX_MASK) >> 32) % of


class Breadth:
    """The visited states, the moves tried and the level being expanded."""

    def __init__(
        self,
        model: Model,
        *,
        por: bool = False,
        shard: tuple[int, int] | None = None,
        wide: bool = False,
    ) -> None:
        self.model = model
        self.wide = wide  # store whole states (faster, about twice the memory)
        self.por = por
        self.shard = shard
        self.low_ids: dict[int, int] = {}
        self.lows: list[int] = []
        self.raw_ids: dict[int, int] = {}
        self.raws: list[int] = []
        self.parent: dict[int, int | None] = {}  # stored state -> its parent (key, or whole)
        self.transitions = 0
        self.pruned = 0
        self.symmetric_states = 0
        self.violation: str | None = None
        self.broken: tuple[int, State] | None = None  # (stored parent, next state) of the break
        self.outbox: list[dict[State, tuple[State, int]]] = [
            {} for _ in range(shard[1] if shard else 1)
        ]
        self._low_cache: dict[int, tuple[Any, dict[int, Any]]] = {}  # low part -> its moves
        self._to: list[int] = [0] * model.n  # per caravan, the labels of the riders to it
        self._known_mids = 0
        # The packed search (serial, small keys): see ``_expand_packed``.
        self.packed = not wide and shard is None
        self._buckets: list[array[int]] = []  # per low part: the riders' numbers seen, sorted
        self._levels: list[tuple[array[int], array[int]]] = []  # per level: keys, parents
        self._count = 0
        self._packed_cache: dict[int, tuple[tuple[Any, ...], dict[int, tuple[Any, ...]]]] = {}
        self._ints: dict[int, int] = {}  # one object for each rider delta and label kept
        self._ties: dict[tuple[int, ...], tuple[int, ...]] = {}  # and for each set of renamings

    # -- storage ------------------------------------------------------------------------

    @property
    def states(self) -> int:
        return self._count if self.packed else len(self.parent)

    def key(self, state: State) -> int:
        """The stored form of ``state`` (numbering its parts when they are new)."""
        if self.wide:
            return state
        off = self.model._inflight_off
        low = state & self.model._low_mask
        raw = state >> off
        a = self.low_ids.get(low)
        if a is None:
            a = self.low_ids[low] = len(self.lows)
            if a > _A_MASK:
                raise OverflowError("more distinct low parts than the search can number")
            self.lows.append(low)
            if self.packed:
                self._buckets.append(array("I"))
        f = self.raw_ids.get(raw)
        if f is None:
            f = self.raw_ids[raw] = len(self.raws)
            self.raws.append(raw)
        return a + (f << A_BITS)

    def state(self, key: int) -> State:
        """The whole state a stored key stands for."""
        if self.wide:
            return key
        return self.lows[key & _A_MASK] | (self.raws[key >> A_BITS] << self.model._inflight_off)

    def path_to(self, key: int) -> list[State]:
        """The states from the start to stored ``key`` (serial search: parents are keys).

        In the packed search ``key`` is where the state sits: ``level << 32 | position``.
        """
        if self.packed:
            depth, pos = key >> _POS_BITS, key & ((1 << _POS_BITS) - 1)
            path = []
            while depth >= 0:
                keys, parents = self._levels[depth]
                path.append(self.state(keys[pos]))
                pos = parents[pos]
                depth -= 1
            path.reverse()
            return path
        path = [self.state(key)]
        before = self.parent[key]
        while before is not None:
            path.append(self.state(before))
            before = self.parent[before]
        path.reverse()
        return path

    def start(self, state: State) -> tuple[MutableSequence[int], dict[int, int]]:
        """Store the initial state: the first level and its sleep sets."""
        key = self.key(state)
        if self.packed:
            self._buckets[key & _A_MASK].append(key >> A_BITS)
            self._levels.append((array("Q", [key]), array("I", [0])))
            self._count = 1
            if self.model.symmetric:
                self.symmetric_states += self.model.orbit_size(state)
            return self._levels[0][0], {key: 0}
        self.parent[key] = None
        if self.model.symmetric:
            self.symmetric_states += self.model.orbit_size(state)
        level: MutableSequence[int] = [key]
        return level, {key: 0}

    def receive(
        self,
        arrivals: list[tuple[State, State, int]],
        level: MutableSequence[int],
        sleeps: dict[int, int],
    ) -> None:
        """Store the states other processes sent for this one (next state, parent, sleep set)."""
        orbit = self.model.orbit_of_canonical
        symmetric = self.model.symmetric
        for state, parent, sleep in arrivals:
            key = self.key(state)
            if key in self.parent:
                if key in sleeps:
                    sleeps[key] &= sleep
                continue
            self.parent[key] = parent
            level.append(key)
            sleeps[key] = sleep
            if symmetric:
                self.symmetric_states += orbit(state)

    def _riders_to(self) -> list[int]:
        """Per caravan: the delivery labels of the riders to it."""
        to = [0] * self.model.n
        for mid, dst in enumerate(self.model.msg_dst):
            if dst >= 0:
                to[dst] |= 0b1111 << (4 * mid)
        return to

    # -- one level --------------------------------------------------------------------

    def expand(
        self,
        level: MutableSequence[int],
        sleeps: dict[int, int],
        limit: int = -1,
        tick: Callable[[int, int], None] | None = None,
    ) -> tuple[MutableSequence[int], dict[int, int], int]:
        """Expand ``level``: the next level, its sleep sets, and how many of ``level`` were done.

        Stops early at the first broken move (``violation``, ``broken``) or when ``limit``
        states are stored; both, and ``tick(states, transitions)`` (progress, Ctrl-C),
        are looked at every ``CHECK_EVERY`` transitions.
        """
        if self.packed:
            return self._expand_packed(level, sleeps, limit, tick)
        model = self.model
        por = self.por
        parent = self.parent
        low_ids, raw_ids = self.low_ids, self.raw_ids
        lows, raws = self.lows, self.raws
        store_key = self.key
        off = model._inflight_off
        low_mask = model._low_mask
        decoded = model._decoded
        mids_of = model.in_flight
        symmetric = model.symmetric
        canon_info = model._canon_info
        sorting_renamings = model._sorting_renamings
        flight_renames = model._flight_renames
        renamed_raw = model._renamed_raw
        renamed_bits = model.renamed_bits
        orbit = model.orbit_of_canonical
        low_cache = self._low_cache
        sharded = self.shard is not None
        wide = self.wide
        me, of = self.shard if self.shard is not None else (0, 1)
        outbox = self.outbox
        to = self._to
        transitions = self.transitions
        pruned = self.pruned
        symmetric_states = self.symmetric_states
        next_check = transitions + CHECK_EVERY
        next_level: list[int] = []
        next_sleeps: dict[int, int] = {}
        append = next_level.append
        kid_sleeps: list[int] = []
        sleep = 0
        done = 0
        try:
            for key in level:
                if wide:
                    state = key
                    low = key & low_mask
                    raw = key >> off
                else:
                    low = lows[key & _A_MASK]
                    raw = raws[key >> A_BITS]
                    state = low | (raw << off)
                kids: list[int] = []  # the next states, in the order of the moves
                kid = kids.append
                cells: list[
                    list[Any]
                ] = []  # with symmetry: each move's [child's canonical info, its id]
                cell = cells.append
                broken_at = -1  # the first move that breaks an invariant, and which
                broken_by: str | None = None
                if por:
                    sleep = sleeps[key]
                    kid_sleeps = []
                # Every move depends on the low part and the rider alone: kept per low part.
                entry = low_cache.get(low)
                if entry is None:
                    if len(low_cache) >= _MOVE_CACHE:
                        low_cache.clear()
                    entry = low_cache[low] = (_own_moves(model, low), {})
                own, deliveries = entry
                if raw:
                    mids = decoded.get(raw)
                    if mids is None:
                        mids = mids_of(state)
                    if not por:
                        for mid in mids:
                            moves = deliveries.get(mid)
                            if moves is None:
                                moves = deliveries[mid] = _deliveries(model, low, mid)
                            for add, join, broken, _bit, _dst, _ops, known in moves:
                                if broken is not None and broken_at < 0:
                                    broken_at, broken_by = len(kids), broken
                                kid((state | join) + add)
                                cell(known)
                    else:
                        if model.riders_numbered != self._known_mids:
                            self._known_mids = model.riders_numbered
                            to = self._to = self._riders_to()
                        found: list[tuple[int, int, str | None, int, int, bool, list[Any]]] = []
                        ops_mask = 0
                        for mid in mids:
                            moves = deliveries.get(mid)
                            if moves is None:
                                moves = deliveries[mid] = _deliveries(model, low, mid)
                            for move in moves:
                                if move[5]:
                                    ops_mask |= move[3]
                                found.append(move)
                        explored = 0
                        for add, join, broken, bit, dst, ops, known in found:
                            if sleep & bit:
                                pruned += 1
                                continue
                            keep = sleep | explored  # asleep in the child, if independent
                            if keep:
                                keep = (keep | to[dst]) ^ to[dst]
                                if ops and keep:
                                    keep = (keep | ops_mask) ^ ops_mask
                            if broken is not None and broken_at < 0:
                                broken_at, broken_by = len(kids), broken
                            explored |= bit
                            kid((state | join) + add)
                            cell(known)
                            kid_sleeps.append(keep)
                for add, join, broken, known in own:
                    if broken is not None and broken_at < 0:
                        broken_at, broken_by = len(kids), broken
                    kid((state | join) + add)
                    cell(known)
                if por:
                    kid_sleeps.extend([0] * (len(kids) - len(kid_sleeps)))
                transitions += len(kids)
                if broken_at >= 0:
                    del kids[broken_at + 1 :]  # the moves after the first broken one are not taken
                for j, nxt in enumerate(kids):
                    if symmetric and not INLINE:
                        nxt, index = model.canonical_pair(nxt)  # what follows, not inlined
                        known, renamed_low = cells[j], nxt & low_mask
                        if por and index and kid_sleeps[j]:
                            kid_sleeps[j] = renamed_bits(kid_sleeps[j], index, 4)
                    elif symmetric:
                        # The canonical renaming (Model.canonical_pair, inlined). The child's
                        # low part, and so what renames it, depends on the move alone: kept.
                        known = cells[j]
                        info = known[0]
                        if info is None:
                            info = canon_info.get(nxt & low_mask)
                            if info is None:
                                info = sorting_renamings(nxt & low_mask)
                            known[0] = info
                        renamed_low, indices = info
                        kid_raw = nxt >> off
                        index = indices[0]
                        if not kid_raw:
                            nxt = renamed_low
                        elif len(indices) == 1:
                            if index:
                                flight = flight_renames[index].get(kid_raw)
                                if flight is None:
                                    flight = renamed_raw(kid_raw, index)
                                nxt = renamed_low | (flight << off)
                        else:
                            best = -1
                            for candidate in indices:
                                if candidate:
                                    flight = flight_renames[candidate].get(kid_raw)
                                    if flight is None:
                                        flight = renamed_raw(kid_raw, candidate)
                                else:
                                    flight = kid_raw
                                if best < 0 or flight < best:
                                    best, index = flight, candidate
                            nxt = renamed_low | (best << off)
                        if por and index and kid_sleeps[j]:
                            kid_sleeps[j] = renamed_bits(kid_sleeps[j], index, 4)
                    if j == broken_at:
                        self.violation = broken_by
                        self.broken = (key, nxt)
                        return next_level, next_sleeps, done
                    if sharded:
                        belongs = (
                            ((hash(nxt & low_mask) * _MIX) & _MIX_MASK) >> 32
                        ) % of  # owner()
                        if belongs != me:
                            box = outbox[belongs]
                            sent = box.get(nxt)
                            if sent is None:
                                box[nxt] = (state, kid_sleeps[j] if por else 0)
                            elif por:
                                box[nxt] = (sent[0], sent[1] & kid_sleeps[j])
                            continue
                    if wide:
                        child = nxt
                        if child in parent:
                            if por and child in next_sleeps:
                                next_sleeps[child] &= kid_sleeps[j]
                            continue
                    else:
                        if symmetric:  # the canonical low part's number, kept with the move
                            a = known[1]
                            if a is None:
                                a = known[1] = low_ids.get(renamed_low)
                        else:
                            a = low_ids.get(nxt & low_mask)
                        f = raw_ids.get(nxt >> off)
                        if a is None or f is None:
                            child = store_key(nxt)
                            if symmetric:
                                known[1] = child & _A_MASK
                        else:
                            child = a + (f << A_BITS)
                            if child in parent:
                                if por and child in next_sleeps:
                                    next_sleeps[child] &= kid_sleeps[j]
                                continue
                    parent[child] = state if sharded else key
                    append(child)
                    if por:
                        next_sleeps[child] = kid_sleeps[j]
                    if symmetric:
                        symmetric_states += orbit(nxt)
                done += 1
                if transitions >= next_check:
                    next_check = transitions + CHECK_EVERY
                    if tick is not None:
                        tick(len(parent), transitions)
                    if len(parent) >= limit > 0:
                        break
        finally:
            self.transitions = transitions
            self.pruned = pruned
            self.symmetric_states = symmetric_states
        return next_level, next_sleeps, done

    # -- the packed search ------------------------------------------------------------------

    def _low_id(self, low: int) -> int:
        """The number of low part ``low`` (numbering it, with an empty bucket, when new)."""
        a = self.low_ids.get(low)
        if a is None:
            a = self.low_ids[low] = len(self.lows)
            if a > _A_MASK:
                raise OverflowError("more distinct low parts than the search can number")
            self.lows.append(low)
            self._buckets.append(array("I"))
        return a

    def _packed_move(
        self, low: int, add: int, join: int, broken: str | None, bit: int, dst: int, ops: bool
    ) -> tuple[Any, ...]:
        """One move from a state of low part ``low``, as the packed search takes it.

        (riders added, riders joined, broken, the canonical next low part's number, the
        renaming's index or -1 when several tie, the tied ones, label, caravan, ghost): the
        next state's riders are ``(riders | joined) + added`` before renaming, its low part
        is known (renamed) from the move alone.
        """
        model = self.model
        after = low + add  # the low part and, above it, the riders' change
        child_low = after & model._low_mask
        radd = after >> model._inflight_off
        radd = self._ints.setdefault(radd, radd)
        rjoin = join >> model._inflight_off
        rjoin = self._ints.setdefault(rjoin, rjoin)
        if model.symmetric:
            info = model._canon_info.get(child_low)
            if info is None:
                info = model._sorting_renamings(child_low)
            renamed_low, ties = info
        else:
            renamed_low, ties = child_low, (0,)
        index = ties[0] if len(ties) == 1 else -1
        bit = self._ints.setdefault(bit, bit)
        ties = self._ties.setdefault(ties, ties)
        return (radd, rjoin, broken, self._low_id(renamed_low), index, ties, bit, dst, ops)

    def _packed_own(self, low: int) -> tuple[tuple[Any, ...], ...]:
        return tuple(
            self._packed_move(low, add, join, broken, 0, -1, False)
            for add, join, broken, _known in _own_moves(self.model, low)
        )

    def _packed_deliveries(self, low: int, mid: int) -> tuple[tuple[Any, ...], ...]:
        return tuple(
            self._packed_move(low, add, join, broken, bit, dst, ops)
            for add, join, broken, bit, dst, ops, _known in _deliveries(self.model, low, mid)
        )

    def _expand_packed(
        self,
        level: MutableSequence[int],
        sleeps: dict[int, int],
        limit: int,
        tick: Callable[[int, int], None] | None,
    ) -> tuple[MutableSequence[int], dict[int, int], int]:
        """:meth:`expand` for the packed search (serial, states as small keys).

        A state is the key ``a + (f << A_BITS)`` of its (canonical) low part's number
        ``a`` and its riders' number ``f``; the states seen are kept per low part, as the
        sorted numbers of their riders in an array of 4-byte integers (``_buckets``), and
        each level as two arrays, the keys and where each one's parent sits in the level
        before (``_levels``): a few bytes a state, no object each. A state's moves are
        kept per low part with the next state's low part already renamed and numbered, so
        a move is its riders' change, their renaming (only when the renaming is not the
        identity) and a look-up; the orbit of the next state comes from the same renamings.
        """
        model = self.model
        por = self.por
        lows, raws, raw_ids = self.lows, self.raws, self.raw_ids
        buckets = self._buckets
        off = model._inflight_off
        decoded = model._decoded
        mids_of = model.in_flight
        flight_renames = model._flight_renames
        renamed_raw = model._renamed_raw
        renamed_bits = model.renamed_bits
        canonical_riders = model.canonical_riders
        nperms = len(model._perms)
        cache = self._packed_cache
        depth = len(self._levels) - 1
        next_keys: array[int] = array("Q")
        next_parents: array[int] = array("I")
        self._levels.append((next_keys, next_parents))
        add_key = next_keys.append
        add_parent = next_parents.append
        next_sleeps: dict[int, int] = {}
        to = self._to
        count = self._count
        transitions = self.transitions
        pruned = self.pruned
        symmetric_states = self.symmetric_states
        next_check = transitions + CHECK_EVERY
        kid_sleeps: list[int] = []
        done = 0
        try:
            for pos, key in enumerate(level):
                low = lows[key & _A_MASK]
                raw = raws[key >> A_BITS]
                entry = cache.get(low)
                if entry is None:
                    if len(cache) >= _PACKED_CACHE:
                        _trim(cache)
                    entry = cache[low] = (self._packed_own(low), {})
                own, deliveries = entry
                todo: list[tuple[Any, ...]] | tuple[tuple[Any, ...], ...]
                if not raw:
                    todo = own
                    if por:
                        kid_sleeps = [0] * len(own)
                else:
                    mids = decoded.get(raw)
                    if mids is None:
                        mids = mids_of(raw << off)
                    todo = []
                    if not por:
                        for mid in mids:
                            moves = deliveries.get(mid)
                            if moves is None:
                                moves = deliveries[mid] = self._packed_deliveries(low, mid)
                            todo += moves
                    else:
                        if model.riders_numbered != self._known_mids:
                            self._known_mids = model.riders_numbered
                            to = self._to = self._riders_to()
                        sleep = sleeps[key]
                        found: list[tuple[Any, ...]] = []
                        ops_mask = 0
                        for mid in mids:
                            moves = deliveries.get(mid)
                            if moves is None:
                                moves = deliveries[mid] = self._packed_deliveries(low, mid)
                            for move in moves:
                                if move[8]:
                                    ops_mask |= move[6]
                            found += moves
                        explored = 0
                        kid_sleeps = []
                        for move in found:
                            bit = move[6]
                            if sleep & bit:
                                pruned += 1
                                continue
                            keep = sleep | explored  # asleep in the child, if independent
                            if keep:
                                dst = move[7]
                                keep = (keep | to[dst]) ^ to[dst]
                                if move[8] and keep:
                                    keep = (keep | ops_mask) ^ ops_mask
                            explored |= bit
                            todo.append(move)
                            kid_sleeps.append(keep)
                        kid_sleeps.extend([0] * len(own))
                    todo += own
                transitions += len(todo)
                j = -1
                for radd, rjoin, broken, a, index, ties, _bit, _dst, _ops in todo:
                    j += 1
                    kraw = (raw | rjoin) + radd if rjoin else raw + radd
                    if index == 0:  # the low part is its own least: nothing to rename
                        craw = kraw
                        orbit = nperms
                    elif not INLINE:  # Model.canonical_riders, which the rest inlines
                        craw, index, orbit = canonical_riders(kraw, index, ties)
                    elif index > 0:
                        craw = 0
                        if kraw:
                            craw = flight_renames[index].get(kraw)
                            if craw is None:
                                craw = renamed_raw(kraw, index)
                        orbit = nperms
                    elif kraw:  # several renamings give the least low part: the least riders
                        craw = -1
                        same = 0
                        for candidate in ties:
                            if candidate:
                                flight = flight_renames[candidate].get(kraw)
                                if flight is None:
                                    flight = renamed_raw(kraw, candidate)
                            else:
                                flight = kraw
                            if craw < 0 or flight < craw:
                                craw, index, same = flight, candidate, 1
                            elif flight == craw:
                                same += 1
                        orbit = nperms // same  # the renamings that fix the state: `same`
                    else:
                        craw = 0
                        index = ties[0]
                        orbit = nperms // len(ties)
                    if broken is not None:
                        self.violation = broken
                        self.broken = ((depth << _POS_BITS) | pos, lows[a] | (craw << off))
                        return next_keys, next_sleeps, done
                    if por:
                        sleep_j = kid_sleeps[j]
                        if index > 0 and sleep_j:  # renamed with the state
                            sleep_j = renamed_bits(sleep_j, index, 4)
                    f = raw_ids.get(craw)
                    if f is None:
                        f = raw_ids[craw] = len(raws)
                        raws.append(craw)
                        buckets[a].append(f)  # the greatest number yet: the bucket stays sorted
                    else:
                        bucket = buckets[a]
                        at = bisect_left(bucket, f)
                        if at < len(bucket) and bucket[at] == f:
                            if por:
                                child = a | (f << A_BITS)
                                if child in next_sleeps:
                                    next_sleeps[child] &= sleep_j
                            continue
                        bucket.insert(at, f)
                    child = a | (f << A_BITS)
                    add_key(child)
                    add_parent(pos)
                    count += 1
                    symmetric_states += orbit
                    if por:
                        next_sleeps[child] = sleep_j
                done += 1
                if transitions >= next_check:
                    next_check = transitions + CHECK_EVERY
                    if tick is not None:
                        tick(count, transitions)
                    if count >= limit > 0:
                        break
        finally:
            self._count = count
            self.transitions = transitions
            self.pruned = pruned
            self.symmetric_states = symmetric_states
        return next_keys, next_sleeps, done


def _deliveries(
    model: Model, low: int, mid: int
) -> tuple[tuple[int, int, str | None, int, int, bool, list[Any]], ...]:
    """The moves of rider ``mid`` from a state of low part ``low``.

    Each is (add, join, broken, label, caravan, touches the ghost, known): the next state
    is ``(state | join) + add``, the ghost's verdict folded in as for the caravans' own
    moves; the label and the caravan are for the sleep sets; ``known`` is filled by the
    search, with symmetry, with what renames the next state's low part and its number.
    """
    dst = model.msg_dst[mid]
    code = (low >> model._field_off[dst]) & _CODE_MASK
    moves = model._memo[dst].get(code * _KEY_STRIDE + mid + _EV_OFFSET)
    if moves is None:
        moves = model._delivery_moves(dst, code, mid)
    out: list[tuple[int, int, str | None, int, int, bool, list[Any]]] = []
    for action, add, join, ops in moves:
        bit = 1 << (4 * mid + _LABELS[action[0]])
        if ops is None:
            out.append((add, join, None, bit, dst, False, [None, None]))
        else:
            delta, broken = model.ghost_delta(((low | join) + add) & model._low_mask, dst, ops)
            out.append((add + delta, join, broken, bit, dst, True, [None, None]))
    return tuple(out)


def _own_moves(model: Model, low: int) -> tuple[tuple[int, int, str | None, list[Any]], ...]:
    """Every caravan's own moves from a state of low part ``low``: (add, join, broken, known).

    The next state is ``(state | join) + add``; the ghost's verdict is folded in, since
    it depends only on the low part (votes, decisions and the proposers' codes).
    """
    field_off = model._field_off
    low_mask = model._low_mask
    out: list[tuple[int, int, str | None, list[Any]]] = []
    may_crash = low & model._crash_mask < model.options.crashes
    for i in range(model.n):
        code = (low >> field_off[i]) & _CODE_MASK
        moves = model._caravan_moves[i].get(code)
        if moves is None:
            moves = model._moves_of(i, code)
        for _action, add, join, ops in moves:
            if ops is None:
                out.append((add, join, None, [None, None]))
            else:
                delta, broken = model.ghost_delta(((low | join) + add) & low_mask, i, ops)
                out.append((add + delta, join, broken, [None, None]))
        if may_crash and not model._down[code]:
            crash = model._crash_moves[i].get(code)
            if crash is None:
                crash = model._crash_move(i, code)
            out.append((crash[1], 0, None, [None, None]))
    return tuple(out)
