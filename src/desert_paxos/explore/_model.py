"""The explorer's model: every move the desert can make, over the real caravans.

Theory of operation
-------------------
A global state is one Python integer, read as bit fields (low bits first):

``crashes | decided | chosen | caravan_0 | ... | caravan_{n-1} | votes | in_flight``

* ``caravan_i`` numbers a *local code*: caravan ``i``'s ``Caravan.snapshot()``
  (or, when it has collapsed, ``("down", record, promise held)``: the durable
  record it will wake with and the promise the promise-monotonic rule compares
  against), together with its armed timers, whether it has proposed (or has
  proposed, collapsed and got up, so that it may propose again), and how
  many inquiries it has sent.
* ``in_flight`` is the multiset of riders on the way: four bits of count per
  distinct ``(src, dst, message)``. When duplication is on it is a set (one bit
  each): any rider may then arrive again and again, so the number of copies no
  longer matters.
* ``crashes`` spends the crash budget; ``votes`` (one bit per acceptor per
  proposal), ``decided`` and ``chosen`` are ghost state for the invariants, the
  same facts the simulator's :class:`~desert_paxos.check.SafetyMonitor` keeps.

A move changes one caravan. The caravan is rebuilt with ``Caravan.restore`` and
driven through ``on_message``, ``on_timer``, ``propose`` or ``on_start`` (the
entry points the simulator uses: there is no second Paxos here); its new
snapshot and effects are boiled down to an integer *delta* (new local code
minus old, plus the riders it sends) and a few ghost operations. A caravan is
deterministic, so that outcome depends only on (caravan, local code, input)
and is memoised: the protocol code runs once per distinct local step, and the
search itself is integer additions, dictionary look-ups and hashing of ints.

Time is left out: every armed timer may fire and every rider may arrive at any
moment, which covers every timing the simulator can produce. Bounds keep the
space finite: no ballot above ``max_round``; at most ``crashes`` collapses; at
most ``inquiries`` learn-timer firings per caravan (zero by default: an inquiry
is only ever answered with a value someone already decided, so it cannot break
safety; see ``docs/variants.md``). The proposers are the first ``proposers``
caravans, each wishing for its own campsite, and may propose at any moment;
a proposer that collapses forgets its wish, so when it gets up the model gives
the wish back and it may propose once more (as the swarm's deserts ask every
proposer again after the calm). A recovered proposer starts from its logbook,
so this is where a ballot used before the collapse could be used again.

With ``symmetry`` the caravans that never propose are interchangeable (no
ballot or campsite names them), so each state is replaced by the least of its
renamings under every permutation of those caravans (see :meth:`Model.canonical`
for which renamings are compared, and in what order).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..check import INVARIANTS
from ..protocol import (
    DEFAULT_CARAVANS,
    LEARN_TIMER,
    PROPOSER_TIMER,
    VARIANTS,
    AcceptorRecord,
    Ballot,
    CancelTimer,
    Caravan,
    Config,
    Decide,
    Effect,
    Message,
    Persist,
    Send,
    SetTimer,
)

__all__ = ["CAMPSITES", "Action", "ExploreOptions", "Model", "State", "StateView"]

CAMPSITES: tuple[str, ...] = (
    "Oasis of Siwa",
    "Wells of Timbuktu",
    "Ghadames Springs",
    "Djanet Palms",
    "Tamanrasset Well",
)

State = int
# ("deliver" | "duplicate" | "lose" | "drop", message number) or
# ("timer" | "learn" | "propose" | "crash" | "recover", caravan index)
Action = tuple[str, int]

# A memoised move: (action, add, join, ghost ops); the next state is (state | join) + add.
_Move = tuple[Action, int, int, tuple[int, ...] | None]

# Local events; a delivery is the message number itself (0 or more).
_EV_TIMER, _EV_LEARN, _EV_PROPOSE, _EV_CRASH, _EV_RECOVER = -1, -2, -3, -4, -5
_CARAVAN_EVENTS = ((_EV_TIMER, "timer"), (_EV_LEARN, "learn"), (_EV_PROPOSE, "propose"))
_EV_OFFSET = 8
_KEY_STRIDE = 1 << 24  # memo key = local code * stride + event + offset

_CODE_BITS = 24
_CODE_MASK = (1 << _CODE_BITS) - 1
_VALUE_BITS = 4  # decided/chosen: value index + 1, 0 for none
_COUNT_BITS = 4  # copies of one rider in flight (multiset mode)
_PROMISE_DROP = -1  # ghost op; votes are 2p, decisions 2v+1
# Whether a caravan may still propose: it has a wish; it proposed (or never had a wish);
# it proposed, collapsed and got up, and has its wish back.
_WISH, _SPENT, _AGAIN = 0, 1, 2
_CACHE_LIMIT = (
    1 << 16
)  # entries kept in each cache (symmetry, ghost, riders); then the older half goes
_PERM_STRIDE = 1 << 8  # more than the permutations of the interchangeable caravans (4! at most)
_RENAME_CACHE = 1 << 14  # renamed riders kept per permutation; then the older half goes


@dataclass(frozen=True, slots=True, kw_only=True)
class ExploreOptions:
    """What to explore: the desert's size, its faults and the search bounds."""

    caravans: int = 3
    proposers: int = 2
    max_round: int = 1
    loss: bool = False
    duplicate: bool = False
    crashes: int = 0
    inquiries: int = 0
    variant: str = "paxos"
    q1: int | None = None
    q2: int | None = None
    symmetry: bool = False
    self_delay: bool = False
    invariants: tuple[str, ...] = ()  # the ones to check; empty means all of them

    def problems(self) -> list[str]:
        """Everything wrong with these options, one line each, named as on the command line."""
        out: list[str] = []
        most = len(DEFAULT_CARAVANS)
        if not 1 <= self.caravans <= most:
            return [f"--caravans must be 1 to {most}, got {self.caravans}"]
        n = self.caravans
        if not 1 <= self.proposers <= n:
            out.append(
                f"--proposers must be 1 to {n} (the number of caravans), got {self.proposers}"
            )
        if not 1 <= self.max_round <= 9:
            out.append(f"--max-round must be 1 to 9, got {self.max_round}")
        if not 0 <= self.crashes <= 9:
            out.append(f"--crashes must be 0 to 9, got {self.crashes}")
        if not 0 <= self.inquiries <= 9:
            out.append(f"--inquiries must be 0 to 9, got {self.inquiries}")
        for name in self.invariants:
            if name not in INVARIANTS:
                out.append(f"--invariant {name!r} is unknown (known: {', '.join(INVARIANTS)})")
        if self.variant not in VARIANTS:
            out.append(f"--variant {self.variant!r} is unknown (known: {', '.join(VARIANTS)})")
        for flag, q in (("--q1", self.q1), ("--q2", self.q2)):
            if q is not None and not 1 <= q <= n:
                out.append(f"{flag} must be 1 to {n} (the number of caravans), got {q}")
        if not out:
            q1, q2 = self.quorums()
            if q1 + q2 <= n and self.variant == "paxos":
                out.append(
                    f"--q1 {q1} and --q2 {q2} out of {n} caravans need not meet; Paxos needs "
                    f"q1 + q2 > {n} (add --variant small-quorums to watch it break)"
                )
        return out

    def quorums(self) -> tuple[int, int]:
        """Phase-1 and phase-2 quorum sizes: majorities unless told; halves for small-quorums."""
        n = self.caravans
        default = max(1, n // 2) if self.variant == "small-quorums" else n // 2 + 1
        return (self.q1 or default, self.q2 or default)

    def names(self) -> tuple[str, ...]:
        return DEFAULT_CARAVANS[: self.caravans]

    def config(self) -> Config:
        q1, q2 = self.quorums()
        return Config(
            caravans=self.names(),
            phase1_quorum=q1,
            phase2_quorum=q2,
            variant=VARIANTS[self.variant],
        )

    def proposals(self) -> tuple[tuple[str, str], ...]:
        """(caravan, campsite) for each proposer: the first ``proposers`` caravans."""
        names = self.names()
        return tuple((names[i], CAMPSITES[i]) for i in range(self.proposers))

    def describe(self) -> str:
        q1, q2 = self.quorums()
        faults = [name for name, on in (("loss", self.loss), ("duplication", self.duplicate)) if on]
        if self.crashes:
            faults.append(f"up to {self.crashes} crash{'es' if self.crashes > 1 else ''}")
        if self.inquiries:
            faults.append(f"{self.inquiries} inquiry round(s) per caravan")
        if self.self_delay:
            faults.append("a caravan's word to itself travels like any rider")
        return (
            f"{self.caravans} caravans, {self.proposers} proposer(s), ballots up to round "
            f"{self.max_round}, quorums {q1}/{q2}, variant {self.variant}; "
            f"faults: {', '.join(faults) or 'none (riders still arrive in any order)'}"
        )


@dataclass(frozen=True, slots=True)
class StateView:
    """One state decoded for people and tests."""

    caravans: tuple[Any, ...]  # a snapshot, or ("down", record, promise held)
    timers: tuple[tuple[str, ...], ...]  # armed timer names per caravan
    proposed: tuple[bool, ...]  # has proposed at least once (or has no wish)
    inquiries: tuple[int, ...]
    in_flight: tuple[tuple[str, str, Message, int], ...]  # src, dst, message, copies
    crashes: int
    decided: str | None
    chosen: str | None


def _trim(cache: dict[Any, Any]) -> None:
    """Make room in a full cache: drop its older half (a dictionary keeps insertion order),
    so what the search met last stays (emptying it would lose that too)."""
    for key in list(itertools.islice(cache, len(cache) // 2)):
        del cache[key]


def _place(items: list[Any], index: int, item: Any, filler: Any) -> None:
    """``items[index] = item``, growing ``items`` with ``filler`` as far as needed."""
    if index == len(items):
        items.append(item)
        return
    if index > len(items):
        items.extend([filler] * (index - len(items) + 1))
    items[index] = item


class Model:
    """The transition system of one small desert; see the module docstring."""

    def __init__(
        self, options: ExploreOptions, *, numbering: Callable[[str, Any], int] | None = None
    ) -> None:
        problems = options.problems()
        if problems:
            raise ValueError("; ".join(problems))
        self.options = options
        self._numbering = numbering
        self.config = options.config()
        self.names = self.config.caravans
        self.n = n = len(self.names)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.campsites = tuple(site for _, site in options.proposals())
        self.value_index = {site: i for i, site in enumerate(self.campsites)}
        self.q2 = self.config.phase2_quorum
        self.set_semantics = options.duplicate
        self.instant_self = not options.self_delay
        self.watched = frozenset(options.invariants or INVARIANTS)
        # Bit layout.
        self._crash_bits = max(1, options.crashes.bit_length())
        self._decided_off = self._crash_bits
        self._chosen_off = self._decided_off + _VALUE_BITS
        self._field_off = tuple(self._chosen_off + _VALUE_BITS + _CODE_BITS * i for i in range(n))
        self._votes_off = self._chosen_off + _VALUE_BITS + _CODE_BITS * n
        k = options.proposers
        self._max_proposals = options.max_round * k * k
        self._inflight_off = self._votes_off + self._max_proposals * n
        self._unit_bits = 1 if self.set_semantics else _COUNT_BITS
        # Local codes: (local key, timer bits, proposed, inquiries) <-> number.
        self._locals: list[Any] = []
        self._local_ids: dict[Any, int] = {}
        self._codes: list[tuple[int, int, int, int]] = []
        self._code_ids: dict[tuple[int, int, int, int], int] = {}
        self._down: list[bool] = []
        self._code_events: list[tuple[tuple[int, str], ...]] = []
        # Riders: number <-> (src, dst, message).
        self._msg_ids: dict[tuple[int, int, Message], int] = {}
        self.riders_numbered = 0  # riders this model knows (a parallel search's may have gaps)
        self.msg_src: list[int] = []
        self.msg_dst: list[int] = []
        self.msg_body: list[Message] = []
        self._to_self: list[bool] = []
        self._unit: list[int] = []
        self._actions: list[tuple[Action, Action, Action, Action]] = []
        self._caravan_actions = [
            {kind: (kind, i) for kind in ("timer", "learn", "propose", "crash", "recover")}
            for i in range(n)
        ]
        self._decoded: dict[int, tuple[int, ...]] = {}
        # Proposals (ballot, value) voted for, numbered for the votes ghost.
        self._proposal_ids: dict[tuple[Ballot, str], int] = {}
        self._proposal_values: list[int] = []
        self._steps: list[dict[int, tuple[int, int, tuple[int, ...] | None]]] = [
            {} for _ in range(n)
        ]
        self._memo: list[dict[int, tuple[_Move, ...]]] = [{} for _ in range(n)]
        # Symmetry: permutations of the caravans that never propose.
        self.symmetric = options.symmetry and n - k > 1
        self._perms: list[tuple[int, ...]] = []
        if self.symmetric:
            identity = tuple(range(n))  # the first permutation, index 0
            for rest in itertools.permutations(range(k, n)):
                self._perms.append(identity[:k] + rest)
        self._movable = tuple(range(k, n))
        self._perm_choices: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._renamed_codes: dict[int, int] = {}  # code * _PERM_STRIDE + permutation -> code
        self._flight_renames: list[dict[int, int]] = [{} for _ in self._perms]
        self._renamed_vote_sets: dict[tuple[int, int], int] = {}
        self._canon_info: dict[int, tuple[int, tuple[int, ...]]] = {}
        self._ghost_cache: dict[tuple[int, int, tuple[int, ...]], tuple[int, str | None]] = {}
        self._perm_mids: list[list[int]] = [[] for _ in self._perms]
        self._byte_tables: dict[tuple[int, int], list[list[int]]] = {}
        self._tables_made: dict[tuple[int, int], list[tuple[int, ...]]] = {}
        self._tables_at = [-1] * len(self._perms)  # riders numbered when the tables were made
        self._low_mask = (1 << self._inflight_off) - 1
        self._votes_mask = (1 << (self._max_proposals * n)) - 1
        self._caravan_moves: list[dict[int, tuple[_Move, ...]]] = [{} for _ in range(n)]
        self._crash_moves: list[dict[int, tuple[Action, int]]] = [{} for _ in range(n)]
        self._crash_mask = (1 << self._crash_bits) - 1
        self.initial = self._initial_state()

    # -- interning ------------------------------------------------------------------
    #
    # A model numbers each local code, rider and proposal in the order it meets it. A model
    # in a parallel search is given ``numbering`` instead: its coordinator hands out the
    # numbers, so every process numbers alike and a state means the same in all of them;
    # :meth:`install` puts an item numbered elsewhere in its place.

    def _number(self, kind: str, key: Any, next_free: int) -> int:
        return next_free if self._numbering is None else self._numbering(kind, key)

    def install(self, kind: str, number: int, key: Any) -> None:
        """Put ``key``, numbered ``number``, among the items of ``kind`` (local, code, rider, proposal)."""
        if kind == "local":
            self._local_ids[key] = number
            _place(self._locals, number, key, None)
        elif kind == "code":
            self._install_code(number, key)
        elif kind == "rider":
            self._install_message(number, key)
        else:
            self._proposal_ids[key] = number
            _place(
                self._proposal_values, number, self.value_index.get(key[1], len(self.campsites)), -1
            )

    def _intern_local(self, key: Any) -> int:
        lid = self._local_ids.get(key)
        if lid is None:
            lid = self._number("local", key, len(self._locals))
            self.install("local", lid, key)
        return lid

    def _intern_code(self, lid: int, timers: int, proposed: int, inquiries: int) -> int:
        key = (lid, timers, proposed, inquiries)
        code = self._code_ids.get(key)
        if code is None:
            code = self._number("code", key, len(self._codes))
            self._install_code(code, key)
        return code

    def _install_code(self, code: int, key: tuple[int, int, int, int]) -> None:
        if code > _CODE_MASK:
            raise OverflowError("more local states than the explorer can number")
        lid, timers, proposed, inquiries = key
        self._code_ids[key] = code
        _place(self._codes, code, key, (-1, 0, 0, 0))
        local = self._locals[lid]
        down = local[0] == "down"
        _place(self._down, code, down, False)
        events: list[tuple[int, str]] = []
        if not down:
            record, promised, _wish, phase, _ballot, max_round = local[:6]
            del record
            seen = promised.round if promised is not None else 0
            next_round = max(max_round, seen) + 1
            # Firing a backing-off proposer's timer, or proposing, opens a new ballot:
            # only within the bound.
            if timers & 1 and (phase != "backing-off" or next_round <= self.options.max_round):
                events.append((_EV_TIMER, "timer"))
            if timers & 2 and inquiries < self.options.inquiries:
                events.append((_EV_LEARN, "learn"))
            if proposed != _SPENT and next_round <= self.options.max_round:
                events.append((_EV_PROPOSE, "propose"))
        _place(self._code_events, code, tuple(events), ())

    def _intern_message(self, src: int, dst: int, msg: Message) -> int:
        key = (src, dst, msg)
        mid = self._msg_ids.get(key)
        if mid is None:
            mid = self._number("rider", key, len(self.msg_src))
            self._install_message(mid, key)
        return mid

    def _install_message(self, mid: int, key: tuple[int, int, Message]) -> None:
        if mid + _EV_OFFSET >= _KEY_STRIDE:
            raise OverflowError("more distinct riders than the explorer can number")
        src, dst, msg = key
        self._msg_ids[key] = mid
        self.riders_numbered += 1
        _place(self.msg_src, mid, src, -1)
        _place(self.msg_dst, mid, dst, -1)
        _place(self.msg_body, mid, msg, msg)
        _place(self._to_self, mid, src == dst, False)
        _place(self._unit, mid, 1 << (self._inflight_off + self._unit_bits * mid), 0)
        _place(
            self._actions,
            mid,
            (("deliver", mid), ("duplicate", mid), ("lose", mid), ("drop", mid)),
            (("deliver", -1), ("duplicate", -1), ("lose", -1), ("drop", -1)),
        )

    def _intern_proposal(self, ballot: Ballot, value: str) -> int:
        key = (ballot, value)
        pid = self._proposal_ids.get(key)
        if pid is None:
            pid = self._number("proposal", key, len(self._proposal_values))
            if pid >= self._max_proposals:
                raise OverflowError(f"more proposals than expected ({key})")
            self.install("proposal", pid, key)
        return pid

    def _initial_state(self) -> State:
        state = 0
        for i, name in enumerate(self.names):
            caravan = Caravan(self.config, name)
            # Only the first ``proposers`` caravans have a wish; the rest count as done.
            wish = _SPENT if i >= self.options.proposers else _WISH
            code = self._intern_code(self._intern_local(caravan.snapshot()), 0, wish, 0)
            state |= code << self._field_off[i]
        for i, name in enumerate(self.names):  # wake every caravan, as the simulator does
            code = (state >> self._field_off[i]) & _CODE_MASK
            delta, sends, _ = self._boil(i, code, Caravan(self.config, name), "start")
            state = self._add_sends(state + delta, sends)
        return self.canonical(state)[0]

    # -- local steps (memoised) -------------------------------------------------------

    def _step(self, i: int, code: int, event: int) -> tuple[int, int, tuple[int, ...] | None]:
        memo = self._steps[i]
        key = code * _KEY_STRIDE + event + _EV_OFFSET
        found = memo.get(key)
        if found is None:
            found = self._compute(i, code, event)
            memo[key] = found
        return found

    def _compute(self, i: int, code: int, event: int) -> tuple[int, int, tuple[int, ...] | None]:
        name = self.names[i]
        lid, _timers, proposed, inquiries = self._codes[code]
        local = self._locals[lid]
        if event == _EV_RECOVER:
            _, record, held = local
            caravan = Caravan(self.config, name, record)
            now = caravan.acceptor.promised
            dropped = held is not None and (now is None or now < held)
            return self._boil(i, code, caravan, "recover", promise_dropped=dropped)
        caravan = Caravan.restore(self.config, name, local)
        if event == _EV_CRASH:
            down = self._intern_local(("down", caravan.acceptor.record, caravan.acceptor.promised))
            new = self._intern_code(down, 0, proposed, inquiries)
            return ((new - code) << self._field_off[i]) + 1, 0, None
        before = caravan.acceptor.promised
        effects: list[Effect]
        if event == _EV_TIMER:
            effects = caravan.on_timer(PROPOSER_TIMER)
        elif event == _EV_LEARN:
            effects = caravan.on_timer(LEARN_TIMER)
        elif event == _EV_PROPOSE:
            effects = caravan.propose(self.campsites[i])
        else:
            effects = caravan.on_message(self.names[self.msg_src[event]], self.msg_body[event])
        after = caravan.acceptor.promised
        dropped = before is not None and (after is None or after < before)
        return self._boil(i, code, caravan, effects, event=event, promise_dropped=dropped)

    def _boil(
        self,
        i: int,
        code: int,
        caravan: Caravan,
        effects: list[Effect] | str,
        *,
        event: int = 0,
        promise_dropped: bool = False,
    ) -> tuple[int, int, tuple[int, ...] | None]:
        """Turn one local step into (delta, riders sent, ghost operations)."""
        _lid, timers, proposed, inquiries = self._codes[code]
        if isinstance(effects, str):  # waking up: a fresh start or a recovery
            if effects == "recover" and proposed == _SPENT and i < self.options.proposers:
                proposed = _AGAIN  # the wish it forgot is given back
            timers, effects = 0, caravan.on_start()
        elif event == _EV_TIMER:
            timers &= ~1
        elif event == _EV_LEARN:
            timers &= ~2
            inquiries += 1
        elif event == _EV_PROPOSE:
            proposed = _SPENT
        sends = 0
        ghost: list[int] = [_PROMISE_DROP] if promise_dropped else []
        me = self.names[i]
        to_myself: list[Message] = []
        pending = list(effects)
        while True:
            if not pending:
                if not to_myself:
                    break
                # A caravan's word to itself arrives at once, after the rest of the step.
                before = caravan.acceptor.promised
                pending = caravan.on_message(me, to_myself.pop(0))
                after = caravan.acceptor.promised
                if before is not None and (after is None or after < before):
                    ghost.append(_PROMISE_DROP)
                continue
            effect = pending.pop(0)
            match effect:
                case Send(dst=dst, msg=msg) if dst == me and self.instant_self:
                    to_myself.append(msg)
                case Send(dst=dst, msg=msg):
                    mid = self._intern_message(i, self.index[dst], msg)
                    sends = (
                        sends | self._unit[mid] if self.set_semantics else sends + self._unit[mid]
                    )
                case SetTimer(name=timer):
                    timers |= 1 if timer == PROPOSER_TIMER else 2
                case CancelTimer(name=timer):
                    timers &= ~(1 if timer == PROPOSER_TIMER else 2)
                case Persist(record=record):
                    if record.accepted_ballot is not None and record.accepted_value is not None:
                        pid = self._intern_proposal(record.accepted_ballot, record.accepted_value)
                        ghost.append(2 * pid)
                case Decide(value=value):
                    ghost.append(2 * self.value_index.get(value, len(self.campsites)) + 1)
                case _:
                    pass  # Adopt changes nothing in the world
        if not self.options.inquiries:
            timers &= ~2  # a learn timer that may never fire is not worth telling states apart
        new_lid = self._intern_local(caravan.snapshot())
        new = self._intern_code(new_lid, timers, proposed, inquiries)
        delta = (new - code) << self._field_off[i]
        return delta, sends, (tuple(ghost) if ghost else None)

    # -- global steps -------------------------------------------------------------------

    def _add_sends(self, state: State, sends: int) -> State:
        return state | sends if self.set_semantics else state + sends

    def in_flight(self, state: State) -> tuple[int, ...]:
        """The distinct riders on the way in ``state``, by number."""
        flight = state >> self._inflight_off
        found = self._decoded.get(flight)
        if found is None:
            if self.set_semantics:
                digits = bin(flight)[:1:-1]
                found = tuple(k for k, d in enumerate(digits) if d == "1")
            else:
                digits = format(flight, "x")[::-1]
                if "f" in digits:
                    raise OverflowError("fifteen copies of one rider in flight")
                found = tuple(k for k, d in enumerate(digits) if d != "0")
            if len(self._decoded) >= _CACHE_LIMIT:
                _trim(self._decoded)  # a cache: the search's own tables hold the riders
            self._decoded[flight] = found
        return found

    def successors(self, state: State) -> list[tuple[Action, State, str | None]]:
        """Every move from ``state`` in a fixed order: (action, next state, broken invariant).

        Each move is memoised as ``(action, add, join, ghost ops)`` and its next state is
        ``(state | join) + add``: riders joining a set are or-ed in, everything else
        (a new local code, riders added to or taken from the multiset) is added.
        """
        out: list[tuple[Action, State, str | None]] = []
        append = out.append
        field_off = self._field_off
        msg_dst = self.msg_dst
        ghost = self._ghost
        flight = state >> self._inflight_off
        mids = self._decoded.get(flight)
        if mids is None:
            mids = self.in_flight(state)
        delivery_memo = self._memo
        for mid in mids:
            dst = msg_dst[mid]
            code = (state >> field_off[dst]) & _CODE_MASK
            moves = delivery_memo[dst].get(code * _KEY_STRIDE + mid + _EV_OFFSET)
            if moves is None:
                moves = self._delivery_moves(dst, code, mid)
            for action, add, join, ops in moves:
                nxt = (state | join) + add
                append((action, nxt, None) if ops is None else (action, *ghost(nxt, dst, ops)))
        may_crash = state & self._crash_mask < self.options.crashes
        caravan_moves = self._caravan_moves
        crash_moves = self._crash_moves
        for i in range(self.n):
            code = (state >> field_off[i]) & _CODE_MASK
            moves = caravan_moves[i].get(code)
            if moves is None:
                moves = self._moves_of(i, code)
            for action, add, join, ops in moves:
                nxt = (state | join) + add
                append((action, nxt, None) if ops is None else (action, *ghost(nxt, i, ops)))
            if may_crash and not self._down[code]:
                crash = crash_moves[i].get(code)
                if crash is None:
                    crash = self._crash_move(i, code)
                append((crash[0], state + crash[1], None))
        return out

    def _delivery_moves(self, dst: int, code: int, mid: int) -> tuple[_Move, ...]:
        """The moves a rider ``mid`` to caravan ``dst`` in local ``code`` allows, memoised."""
        act = self._actions[mid]
        taken = -self._unit[mid]
        moves: list[_Move] = []
        if self._down[
            code
        ]:  # judged at arrival, as in the simulator: a collapsed caravan hears nothing
            moves.append((act[3], taken, 0, None))
        else:
            delta, sends, ops = self._step(dst, code, mid)
            again = not self._to_self[mid]  # a caravan's word to itself is never lost or doubled
            if self.options.duplicate and again:
                # The rider may come again, so it stays on the way: a state that keeps it
                # can do all that one without it can, so removing it would add nothing.
                moves.append((act[1], delta, sends, ops))
            elif self.set_semantics:
                moves.append((act[0], delta + taken, sends, ops))
            else:
                moves.append((act[0], delta + taken + sends, 0, ops))
            if self.options.loss and again:
                moves.append((act[2], taken, 0, None))
        found = tuple(moves)
        self._memo[dst][code * _KEY_STRIDE + mid + _EV_OFFSET] = found
        return found

    def _moves_of(self, i: int, code: int) -> tuple[_Move, ...]:
        """Caravan ``i``'s own moves from local ``code`` (timers, proposing, recovery), memoised."""
        names = self._caravan_actions[i]
        events = [(_EV_RECOVER, "recover")] if self._down[code] else self._code_events[code]
        moves: list[_Move] = []
        for event, kind in events:
            delta, sends, ops = self._step(i, code, event)
            if self.set_semantics:
                moves.append((names[kind], delta, sends, ops))
            else:
                moves.append((names[kind], delta + sends, 0, ops))
        found = tuple(moves)
        self._caravan_moves[i][code] = found
        return found

    def _crash_move(self, i: int, code: int) -> tuple[Action, int]:
        delta, _, _ = self._step(i, code, _EV_CRASH)
        found = (self._caravan_actions[i]["crash"], delta)
        self._crash_moves[i][code] = found
        return found

    def _ghost(self, state: State, i: int, ops: tuple[int, ...]) -> tuple[State, str | None]:
        """Apply votes and decisions to the ghost state; name the first invariant broken."""
        n = self.n
        value_mask = (1 << _VALUE_BITS) - 1
        decided = ((state >> self._decided_off) & value_mask) - 1
        chosen = ((state >> self._chosen_off) & value_mask) - 1
        votes_mask = (1 << (self._max_proposals * n)) - 1
        votes = (state >> self._votes_off) & votes_mask
        old = (decided, chosen, votes)
        watched = self.watched
        broken: str | None = None
        for op in ops:
            problem: str | None = None
            if op == _PROMISE_DROP:
                problem = "promise-monotonic"
            elif op & 1:  # a decision
                value = op >> 1
                if value >= len(self.campsites) or not self._has_proposed(state, value):
                    problem = "validity"
                elif decided >= 0 and decided != value:
                    problem = "agreement"
                else:  # kept before knowledge is judged, as the monitor keeps it
                    if decided < 0:
                        decided = value
                    if not self._quorum_voted(votes, value):
                        problem = "knowledge"
            else:  # a vote for proposal pid
                pid = op >> 1
                bit = 1 << (pid * n + i)
                if votes & bit:
                    continue
                votes |= bit
                if ((votes >> (pid * n)) & ((1 << n) - 1)).bit_count() >= self.q2:
                    value = self._proposal_values[pid]
                    if chosen < 0:
                        chosen = value
                    elif chosen != value:
                        problem = "single-choice"
            if broken is None and problem in watched:
                broken = problem
        if (decided, chosen, votes) != old:
            state += ((decided - old[0]) << self._decided_off) + (
                (chosen - old[1]) << self._chosen_off
            )
            state += (votes - old[2]) << self._votes_off
        return state, broken

    def ghost_delta(self, low: int, i: int, ops: tuple[int, ...]) -> tuple[int, str | None]:
        """:meth:`_ghost` for a state of low part ``low``: what it adds, and what it breaks.

        The ghost reads and writes only the low part (votes, decisions, the proposers'
        codes), so the answer is kept for each (low part, caravan, operations); bounded.
        """
        key = (low, i, ops)
        found = self._ghost_cache.get(key)
        if found is None:
            after, broken = self._ghost(low, i, ops)
            found = (after - low, broken)
            if len(self._ghost_cache) >= _CACHE_LIMIT:
                _trim(self._ghost_cache)
            self._ghost_cache[key] = found
        return found

    def _quorum_voted(self, votes: int, value: int) -> bool:
        """Whether a phase-2 quorum has voted for campsite ``value`` under one ballot."""
        n = self.n
        everyone = (1 << n) - 1
        return any(
            ((votes >> (pid * n)) & everyone).bit_count() >= self.q2
            for pid, voted in enumerate(self._proposal_values)
            if voted == value
        )

    def _has_proposed(self, state: State, value: int) -> bool:
        code = (state >> self._field_off[value]) & _CODE_MASK
        return self._codes[code][2] != _WISH

    # -- symmetry -------------------------------------------------------------------------

    def canonical(self, state: State) -> tuple[State, tuple[int, ...] | None]:
        """The canonical renaming of ``state`` (itself without symmetry) and the permutation used.

        Only renamings that put the interchangeable caravans' local codes in order are
        compared (their codes name no caravan, so renaming leaves them as they are): all
        states of one orbit share that set of renamings, so its least member is canonical.
        "Least" compares the low part first (everything but the riders on the way: the
        permutations that give the least one are known from the low part alone, and when
        the codes differ there is just one), then the riders, so riders are renamed only
        for the permutations still tied.
        """
        if not self.symmetric:
            return state, None
        index = self.canonical_index(state)
        return self.renamed(state, index), self._perms[index]

    def canonical_state(self, state: State) -> State:
        """:meth:`canonical`'s state (``state`` itself without symmetry)."""
        return self.canonical_pair(state)[0] if self.symmetric else state

    def canonical_pair(self, state: State) -> tuple[State, int]:
        """:meth:`canonical`'s state and its permutation's index (the search's own step)."""
        low = state & self._low_mask
        info = self._canon_info.get(low)
        if info is None:
            info = self._sorting_renamings(low)
        renamed_low, indices = info
        off = self._inflight_off
        raw = state >> off
        index = indices[0]
        if not raw:
            return renamed_low, index
        if len(indices) == 1:
            return (
                (renamed_low | (self._renamed_raw(raw, index) << off), index)
                if index
                else (
                    state,
                    0,
                )
            )
        best = min((self._renamed_raw(raw, i), i) for i in indices)
        return renamed_low | (best[0] << off), best[1]

    def canonical_index(self, state: State) -> int:
        """The index (in ``_perms``) of a permutation that turns ``state`` into its canonical one."""
        return self.canonical_pair(state)[1]

    def renamed(self, state: State, index: int) -> State:
        """``state`` with its caravans renamed by the permutation ``_perms[index]``."""
        if index == 0:
            return state
        raw = state >> self._inflight_off
        low = self._renamed_low(state & self._low_mask, index)
        return low | (self._renamed_raw(raw, index) << self._inflight_off) if raw else low

    def orbit_size(self, state: State) -> int:
        """How many distinct states ``state`` stands for under the symmetry."""
        if not self.symmetric:
            return 1
        return self.orbit_of_canonical(self.canonical_state(state))

    def canonical_riders(self, raw: int, index: int, ties: tuple[int, ...]) -> tuple[int, int, int]:
        """The riders ``raw`` of a state whose low part ``_perms[index]`` renames to its least
        (``index`` -1: each of ``ties`` does), renamed to the canonical state's: (riders, the
        renaming used, the state's orbit size). Among tied renamings the least riders win, the
        first such renaming is used, and those giving the same riders are the ones that fix
        the canonical state, whence the orbit. The packed search's step (it inlines it)."""
        nperms = len(self._perms)
        renames = self._flight_renames
        if index >= 0:
            if raw and index:
                flight = renames[index].get(raw)
                return (self._renamed_raw(raw, index) if flight is None else flight), index, nperms
            return raw, index, nperms
        if not raw:
            return 0, ties[0], nperms // len(ties)
        best = -1
        same = 0
        for candidate in ties:
            if candidate:
                flight = renames[candidate].get(raw)
                if flight is None:
                    flight = self._renamed_raw(raw, candidate)
            else:
                flight = raw
            if best < 0 or flight < best:
                best, index, same = flight, candidate, 1
            elif flight == best:
                same += 1
        return best, index, nperms // same

    def orbit_of_canonical(self, state: State) -> int:
        """:meth:`orbit_size` of a canonical state.

        A canonical state's low part is the least of its renamings, so the permutations
        giving that least low part are exactly those that keep the low part as it is; those
        that keep the riders too fix the state.
        """
        low = state & self._low_mask
        info = self._canon_info.get(low)
        if info is None:
            info = self._sorting_renamings(low)
        indices = info[1]
        if len(indices) == 1:  # the common case: only the identity keeps the low part
            return len(self._perms)
        raw = state >> self._inflight_off
        fixed = sum(1 for index in indices if not raw or self._renamed_raw(raw, index) == raw)
        return len(self._perms) // fixed

    def _sorting_renamings(self, low: int) -> tuple[int, tuple[int, ...]]:
        """The least renamed low part of ``low`` and the permutations (indices) that give it.

        The low part is everything but the riders on the way (crashes, ghost, codes, votes).
        Only the permutations that sort the movable codes are tried. Cached, the cache bounded.
        """
        sorting, _ = self._choices(low)
        renamed = [(self._renamed_low(low, index), index) for index in sorting]
        least = min(renamed)[0]
        found = (least, tuple(index for value, index in renamed if value == least))
        cache = self._canon_info
        if len(cache) >= _CACHE_LIMIT:
            _trim(cache)  # a cache, not a record: bounded memory matters more
        cache[low] = found
        return found

    def _choices(self, state: State) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Indices of the permutations that sort the movable codes, and of those that keep them."""
        field_off = self._field_off
        codes = tuple((state >> field_off[i]) & _CODE_MASK for i in self._movable)
        found = self._perm_choices.get(codes)
        if found is None:
            movable = self._movable
            first = movable[0]
            sorting: list[int] = []
            keeping: list[int] = []
            for index, perm in enumerate(self._perms):
                moved = [0] * len(movable)
                for i, code in zip(movable, codes, strict=True):
                    moved[perm[i] - first] = code
                if all(a <= b for a, b in itertools.pairwise(moved)):
                    sorting.append(index)
                if tuple(moved) == codes:
                    keeping.append(index)
            found = (tuple(sorting), tuple(keeping))
            self._perm_choices[codes] = found
        return found

    def _renamed_low(self, low: int, index: int) -> int:
        """The low part (no riders) renamed by ``_perms[index]``."""
        if index == 0:
            return low
        perm = self._perms[index]
        field_off = self._field_off
        out = low & ((1 << field_off[0]) - 1)  # crashes, decided, chosen
        known = self._renamed_codes
        for i in range(self.n):
            code = (low >> field_off[i]) & _CODE_MASK
            renamed = known.get(code * _PERM_STRIDE + index)
            if renamed is None:
                renamed = self._renamed_code(code, perm, index)
            out |= renamed << field_off[perm[i]]
        votes = (low >> self._votes_off) & self._votes_mask
        if votes:
            out |= self._renamed_votes(votes, perm, index) << self._votes_off
        return out

    def _renamed_raw(self, raw: int, index: int) -> int:
        """The riders on the way (``state >> _inflight_off``) renamed by ``_perms[index]``."""
        if index == 0:
            return raw
        cache = self._flight_renames[index]
        flight = cache.get(raw)
        if flight is None:
            flight = self.renamed_bits(raw, index, self._unit_bits)
            if len(cache) >= _RENAME_CACHE:
                _trim(cache)  # a cache, not a record: bounded memory matters more
            cache[raw] = flight
        return flight

    def renamed_bits(self, bits: int, index: int, width: int) -> int:
        """A field of ``width`` (1 or 4) bits per rider number, each group moved to its
        renamed rider under ``_perms[index]``.

        Read a byte at a time: for each byte position a table of its 256 values, each
        already moved where the permutation sends its riders (a few MB in all).
        """
        size = (bits.bit_length() + 7) // 8
        tables = self._byte_tables.get((index, width))
        if tables is None or len(tables) < size or self._tables_at[index] != self.riders_numbered:
            tables = self._build_tables(index, width, size)
        out = 0
        for table, byte in zip(tables, bits.to_bytes(size, "little"), strict=False):
            if byte:
                out |= table[byte]
        return out

    def _build_tables(self, index: int, width: int, size: int) -> list[list[int]]:
        """The byte tables of ``renamed_bits`` for ``size`` bytes, rebuilding stale ones."""
        mids = self._renamed_mids(index)
        per = 8 // width
        mask = (1 << width) - 1
        key = (index, width)
        tables = self._byte_tables.setdefault(key, [])
        made = self._tables_made.setdefault(key, [])
        for position in range(max(size, len(tables))):
            moved = tuple(
                mids[m] if m < len(mids) and mids[m] >= 0 else -1
                for m in range(position * per, position * per + per)
            )
            if position < len(tables) and made[position] == moved:
                continue
            table = [
                sum(
                    ((byte >> (width * k)) & mask) << (width * target)
                    for k, target in enumerate(moved)
                    if target >= 0
                )
                for byte in range(256)
            ]
            if position < len(tables):
                tables[position], made[position] = table, moved
            else:
                tables.append(table)
                made.append(moved)
        if all(m >= 0 for m in mids):
            self._tables_at[index] = self.riders_numbered
        return tables

    def _renamed_mids(self, index: int) -> list[int]:
        """For each rider numbered so far, its renaming's number under ``_perms[index]``
        (-1 for a number not yet known here: a parallel search's model may have gaps)."""
        perm = self._perms[index]
        mids = self._perm_mids[index]
        mid = 0
        while mid < len(self.msg_src):
            if mid == len(mids):
                mids.append(-1)
            if mids[mid] < 0 and self.msg_src[mid] >= 0:
                # Interning may number new riders (the loop then goes on to them).
                mids[mid] = self._intern_message(
                    perm[self.msg_src[mid]], perm[self.msg_dst[mid]], self.msg_body[mid]
                )
            mid += 1
        return mids

    def _renamed_votes(self, votes: int, perm: tuple[int, ...], index: int) -> int:
        key = (votes, index)
        found = self._renamed_vote_sets.get(key)
        if found is None:
            n = self.n
            found = 0
            rest = votes
            while rest:
                low = rest & -rest
                pid, acceptor = divmod(low.bit_length() - 1, n)
                found |= 1 << (pid * n + perm[acceptor])
                rest ^= low
            self._renamed_vote_sets[key] = found
        return found

    def _renamed_code(self, code: int, perm: tuple[int, ...], index: int) -> int:
        key = code * _PERM_STRIDE + index
        found = self._renamed_codes.get(key)
        if found is not None:
            return found
        lid, timers, proposed, inquiries = self._codes[code]
        local = self._locals[lid]
        if local[0] != "down":  # a logbook names proposers only, and proposers keep their names
            names = self.names
            swap = {names[i]: names[perm[i]] for i in range(self.n)}
            promises = tuple(sorted((swap[k], v) for k, v in local[6]))
            refusals = tuple(sorted(swap[k] for k in local[7]))
            votes = tuple(sorted(swap[k] for k in local[8]))
            lid = self._intern_local((*local[:6], promises, refusals, votes, *local[9:]))
        found = self._intern_code(lid, timers, proposed, inquiries)
        self._renamed_codes[key] = found
        return found

    # -- views ----------------------------------------------------------------------------

    def message(self, mid: int) -> tuple[str, str, Message]:
        return self.names[self.msg_src[mid]], self.names[self.msg_dst[mid]], self.msg_body[mid]

    def view(self, state: State) -> StateView:
        """Decode ``state`` into plain values (for tests, debugging and narration)."""
        n = self.n
        caravans, timers, proposed, inquiries = [], [], [], []
        for i in range(n):
            lid, bits, has_proposed, asked = self._codes[(state >> self._field_off[i]) & _CODE_MASK]
            caravans.append(self._locals[lid])
            timers.append(tuple(t for b, t in ((1, PROPOSER_TIMER), (2, LEARN_TIMER)) if bits & b))
            proposed.append(has_proposed != _WISH)
            inquiries.append(asked)
        shift = self._unit_bits
        raw = state >> self._inflight_off
        flight = tuple(
            (*self.message(mid), (raw >> (shift * mid)) & ((1 << shift) - 1))
            for mid in self.in_flight(state)
        )
        value_mask = (1 << _VALUE_BITS) - 1
        decided = ((state >> self._decided_off) & value_mask) - 1
        chosen = ((state >> self._chosen_off) & value_mask) - 1
        return StateView(
            caravans=tuple(caravans),
            timers=tuple(timers),
            proposed=tuple(proposed),
            inquiries=tuple(inquiries),
            in_flight=flight,
            crashes=state & ((1 << self._crash_bits) - 1),
            decided=self.campsites[decided] if 0 <= decided < len(self.campsites) else None,
            chosen=self.campsites[chosen] if 0 <= chosen < len(self.campsites) else None,
        )

    def record_of(self, state: State, i: int) -> AcceptorRecord:
        local = self.view(state).caravans[i]
        record: AcceptorRecord = local[1] if local[0] == "down" else local[0]
        return record
