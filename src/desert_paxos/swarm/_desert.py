"""Random deserts: one seed, one desert, drawn from a wide space of faults.

Theory of operation
-------------------
Swarm testing (as TigerBeetle's simulator does it) varies the *kind* of trouble
from run to run instead of mixing every fault into every run: one seed gets a
lossy, slow, partition-heavy desert with one proposer, the next a calm network
with three dueling proposers and crashes. Each seed draws, from its own
``random.Random(seed)`` only:

* how many caravans (3 to 5) and which of them propose (1 to 3), and for the
  real protocol sometimes Flexible Paxos quorums (``q1 + q2 > n``); the
  ``small-quorums`` variant draws quorums that need not meet;
* the riders: a uniform or exponential delay and its spread, loss up to 30%,
  duplication up to 25%;
* the fault phase: its length, when each proposer proposes, up to three
  sandstorms (their shapes and lengths) and up to three crashes with
  recoveries.

At ``calm_at`` the liveness phase begins: the storm ends, the riders stop
getting lost or doubled (a ``network`` change), every collapsed caravan gets
up, and every proposer asks again for its campsite (a recovered caravan has
forgotten its wish). From then on Paxos must decide, and every caravan must
learn the decision, within ``LIVENESS_TICKS``. The desert is a plain
:class:`~desert_paxos.scenario.Scenario` (``expect: decided any``), so
``Scenario.to_json()`` writes a file ``desert-paxos run`` replays exactly.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..explore import CAMPSITES
from ..protocol import DEFAULT_CARAVANS
from ..scenario import (
    Delay,
    Expectation,
    Network,
    NetworkChange,
    Proposal,
    Scenario,
    TimelineEvent,
)

__all__ = ["LIVENESS_TICKS", "Desert", "draw_desert"]

_T = TypeVar("_T")

LIVENESS_TICKS = 6000  # after the calm: decide and tell everyone within this many ticks


@dataclass(frozen=True, slots=True)
class Desert:
    """One seed's desert: the scenario and the tick its liveness phase starts."""

    seed: int
    scenario: Scenario
    calm_at: int


class _Draws:
    """``random.Random``'s draws that a desert makes, the very same ones, made cheaper.

    ``randint``, ``uniform``, ``choice``, ``shuffle`` and ``sample`` (of a population
    of at most 21) as the standard library computes them (``_randbelow`` through
    ``getrandbits``, the same calls in the same order), without its argument
    checks and layers of calls: drawing a desert is a sixth of a swarm seed.
    ``_SAME`` checks them against the standard library's at import; if a Python
    ever draws otherwise, the standard library's own methods are used.
    """

    __slots__ = ("_bits", "random", "rng")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._bits = rng.getrandbits
        self.random = rng.random

    def _below(self, n: int) -> int:
        bits = self._bits
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    def randint(self, a: int, b: int) -> int:
        if not _SAME:
            return self.rng.randint(a, b)
        bits = self._bits
        n = b - a + 1
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return a + r

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def choice(self, seq: Sequence[_T]) -> _T:
        if not _SAME:
            return self.rng.choice(seq)
        return seq[self._below(len(seq))]

    def shuffle(self, x: list[_T]) -> None:
        if not _SAME:
            self.rng.shuffle(x)
            return
        below = self._below
        for i in range(len(x) - 1, 0, -1):
            j = below(i + 1)
            x[i], x[j] = x[j], x[i]

    def sample(self, population: Sequence[_T], k: int) -> list[_T]:
        n = len(population)
        if not _SAME or n > 21 or not 0 <= k <= min(n, 5):
            return self.rng.sample(population, k)
        below = self._below
        pool = list(population)
        result = []
        for i in range(k):
            j = below(n - i)
            result.append(pool[j])
            pool[j] = pool[n - i - 1]
        return result


def _draws_agree() -> bool:
    """Whether ``_Draws`` draws what ``random.Random`` draws (on this Python)."""
    for seed in range(20):
        ours, theirs = _Draws(random.Random(seed)), random.Random(seed)
        a = [ours.randint(0, 3 + seed), ours.choice("abcdefg"), ours.sample(range(1, 5), 2)]
        b = [theirs.randint(0, 3 + seed), theirs.choice("abcdefg"), theirs.sample(range(1, 5), 2)]
        x, y = list(range(seed % 6)), list(range(seed % 6))
        ours.shuffle(x)
        theirs.shuffle(y)
        if a != b or x != y or ours.uniform(0.0, 0.3) != theirs.uniform(0.0, 0.3):
            return False
    return True


_SAME = True
_SAME = _draws_agree()


def draw_desert(seed: int, variant: str = "paxos", protocol: str = "paxos") -> Desert:
    """The desert of ``seed``; the same seed always draws the same desert (``protocol``
    "multi-paxos": a journey, see ``_journey``)."""
    if protocol == "multi-paxos":
        from ._journey import draw_journey

        return draw_journey(seed, variant)
    rng = _Draws(random.Random(seed))
    n = rng.randint(3, 5)
    names = DEFAULT_CARAVANS[:n]
    proposers = sorted(rng.sample(range(n), rng.randint(1, min(3, n))))
    q1, q2 = _quorums(rng, n, variant)
    network = Network(
        delay=_delay(rng),
        loss=round(rng.uniform(0.0, 0.3), 2) if rng.random() < 0.7 else 0.0,
        duplicate=round(rng.uniform(0.0, 0.25), 2) if rng.random() < 0.4 else 0.0,
    )
    calm_at = rng.randint(200, 1200)
    proposals = [
        Proposal(at=rng.randint(0, calm_at // 2), caravan=names[i], campsite=CAMPSITES[i])
        for i in proposers
    ]
    timeline = _storms(rng, names, calm_at) + _crashes(rng, names, calm_at)
    # The liveness phase: everything calms down and every proposer asks again.
    calm_down(timeline, calm_at)
    proposals.extend(
        Proposal(at=calm_at + 1, caravan=names[i], campsite=CAMPSITES[i]) for i in proposers
    )
    timeline.sort(key=lambda e: e.at)  # stable: same-tick events keep the order drawn
    proposals.sort(key=lambda p: p.at)
    scenario = Scenario(
        name=f"swarm-{seed}",
        description=(
            f"Swarm seed {seed}: faults until t={calm_at}, then calm; a decision known to every "
            f"caravan is due by t={calm_at + LIVENESS_TICKS}."
        ),
        seed=seed,
        caravans=names,
        phase1_quorum=q1,
        phase2_quorum=q2,
        variant=variant,
        network=network,
        proposals=tuple(proposals),
        timeline=tuple(timeline),
        until=calm_at + LIVENESS_TICKS,
        expect=Expectation(decided="any"),
    )
    return Desert(seed=seed, scenario=scenario, calm_at=calm_at)


def _quorums(rng: _Draws, n: int, variant: str) -> tuple[int | None, int | None]:
    if variant == "small-quorums":  # quorums that need not meet: q1 + q2 <= n
        q1 = rng.randint(1, n - 1)
        return q1, rng.randint(1, n - q1)
    if variant == "paxos" and rng.random() < 0.3:  # Flexible Paxos: any q1 + q2 > n is safe
        q2 = rng.randint(1, n)
        return rng.randint(n - q2 + 1, n), q2
    return None, None


def _delay(rng: _Draws) -> Delay:
    if rng.random() < 0.25:
        return Delay(kind="exponential", mean=float(rng.randint(3, 30)))
    low = rng.randint(1, 10)
    return Delay(low=low, high=low + rng.randint(0, 60))


def _groups(rng: _Draws, names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    shuffled = list(names)
    rng.shuffle(shuffled)
    parts = rng.randint(2, min(3, len(names)))
    cuts = sorted(rng.sample(range(1, len(names)), parts - 1))
    bounds = [0, *cuts, len(names)]
    return tuple(tuple(shuffled[a:b]) for a, b in itertools.pairwise(bounds))


def _storms(rng: _Draws, names: tuple[str, ...], calm_at: int) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        start = rng.randint(0, calm_at - 1)
        events.append(TimelineEvent(at=start, kind="sandstorm", groups=_groups(rng, names)))
        end = start + rng.randint(20, 400)
        if end < calm_at:
            events.append(TimelineEvent(at=end, kind="calm"))
    return events


def _crashes(rng: _Draws, names: tuple[str, ...], calm_at: int) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        name = rng.choice(names)
        start = rng.randint(0, calm_at - 1)
        events.append(TimelineEvent(at=start, kind="crash", caravan=name))
        end = start + rng.randint(10, 500)
        if end < calm_at:
            events.append(TimelineEvent(at=end, kind="recover", caravan=name))
    return events


def calm_down(timeline: list[TimelineEvent], calm_at: int) -> None:
    """The liveness phase's start: the storm ends, riders are neither lost nor doubled any
    more, and every caravan still collapsed gets up (a swarm journey's too)."""
    down = _down_at(timeline, calm_at)
    timeline.append(TimelineEvent(at=calm_at, kind="calm"))
    timeline.append(
        TimelineEvent(at=calm_at, kind="network", network=NetworkChange(loss=0.0, duplicate=0.0))
    )
    timeline.extend(TimelineEvent(at=calm_at, kind="recover", caravan=name) for name in down)


def _down_at(timeline: list[TimelineEvent], calm_at: int) -> list[str]:
    """Caravans still collapsed at ``calm_at``, in the order they collapsed."""
    down: list[str] = []
    for event in sorted(timeline, key=lambda e: e.at):
        if event.at >= calm_at or event.caravan is None:
            continue
        if event.kind == "crash" and event.caravan not in down:
            down.append(event.caravan)
        elif event.kind == "recover" and event.caravan in down:
            down.remove(event.caravan)
    return down
