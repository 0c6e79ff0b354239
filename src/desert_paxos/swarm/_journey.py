"""Random journeys: the swarm for Multi-Paxos (``swarm --protocol multi-paxos``).

Theory of operation
-------------------
As for one campsite (see ``_desert``), each seed draws from its own
``random.Random(seed)`` one journey: 3 to 5 caravans; 1 to 3 travellers with 2
to 6 requests each on 1 or 2 supplies (a get/put/cas mix), the riders' delay,
loss and duplication, up to three sandstorms among the caravans and up to three
crashes with recoveries, all before ``calm_at``. At ``calm_at`` the storm ends,
riders stop getting lost or doubled and every collapsed caravan gets up. The
journey must then end *quiet* within ``LIVENESS_TICKS``: every traveller has
the answer to its last request and every caravan has executed the same nights
(liveness); at every event before that the journey's invariants hold, and at
the end the travellers' history is linearizable (safety).

A journey desert is a plain :class:`~desert_paxos.scenario.Scenario` with
``"protocol": "multi-paxos"``, so ``--show SEED --save FILE`` writes a file
``desert-paxos run`` replays exactly, and ``--shrink`` makes a failing one
small (fewer travellers, requests and faults; see ``_shrink``).
"""

from __future__ import annotations

import random

from ..protocol import DEFAULT_CARAVANS
from ..scenario import Network, Scenario
from ..scenario._journey import Journey, TravellerSpec
from ._desert import LIVENESS_TICKS, Desert, _crashes, _delay, _Draws, _storms, calm_down

__all__ = ["TRAVELLERS", "draw_journey"]

TRAVELLERS = ("Ines", "Tin", "Dihya")
_KEYS = ("water", "dates")


def draw_journey(seed: int, variant: str = "paxos") -> Desert:
    """The journey of ``seed``; the same seed always draws the same journey."""
    rng = _Draws(random.Random(seed))
    n = rng.randint(3, 5)
    names = DEFAULT_CARAVANS[:n]
    travellers = tuple(
        TravellerSpec(
            name=TRAVELLERS[i],
            count=rng.randint(2, 6),
            keys=_KEYS[: rng.randint(1, 2)],
            mix=(
                ("get", rng.randint(0, 2)),
                ("put", rng.randint(1, 2)),
                ("cas", rng.randint(0, 2)),
            ),
            think=(0, rng.randint(0, 80)),
            patience=rng.randint(100, 300),
        )
        for i in range(rng.randint(1, 3))
    )
    network = Network(
        delay=_delay(rng),
        loss=round(rng.uniform(0.0, 0.3), 2) if rng.random() < 0.7 else 0.0,
        duplicate=round(rng.uniform(0.0, 0.25), 2) if rng.random() < 0.4 else 0.0,
    )
    calm_at = rng.randint(200, 1200)
    timeline = _storms(rng, names, calm_at) + _crashes(rng, names, calm_at)
    calm_down(timeline, calm_at)
    timeline.sort(key=lambda e: e.at)
    scenario = Scenario(
        name=f"swarm-journey-{seed}",
        description=(
            f"Swarm journey {seed}: faults until t={calm_at}, then calm; every traveller "
            f"answered and every caravan caught up by t={calm_at + LIVENESS_TICKS}."
        ),
        seed=seed,
        caravans=names,
        variant=variant,
        network=network,
        timeline=tuple(timeline),
        until=calm_at + LIVENESS_TICKS,
        protocol="multi-paxos",
        journey=Journey(travellers=travellers),
    )
    return Desert(seed=seed, scenario=scenario, calm_at=calm_at)
