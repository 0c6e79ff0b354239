"""Shrinking: the smallest desert that still fails the same way.

Theory of operation
-------------------
A failing seed's desert is usually full of events that have nothing to do with
the failure. The shrinker tries simpler deserts one change at a time and keeps
a change whenever the desert still fails *the same way* (the same invariant
for a safety failure; a liveness failure for a liveness one), until no single
change helps any more (or the run budget is spent):

1. a safety failure needs nothing after it: ``until`` is cut to the tick the
   invariant broke, and every event after it goes;
2. remove one timeline event (a sandstorm, a calm, a crash, a recovery), last
   first;
3. remove one proposal;
4. on a journey (``"protocol": "multi-paxos"``): a traveller's workload
   becomes the requests it drew (explicit, so each can go), then remove one
   traveller, then one request of a traveller (a workload's count lowered by
   one), last first;
5. lower the rates: no loss, no duplication, then half of each, then a
   narrower delay.

The liveness phase (the calm, the clean network, the recoveries and the
proposals again at ``calm_at``) is kept for a liveness failure: without it the
desert would fail for a trivial reason. Each try is one deterministic
simulator run of a plain :class:`Scenario`, so the result is a scenario file
``desert-paxos run`` replays with the same outcome. The simulator's random
draws follow the events, so removing one can change the riders' fates; a try
that stops failing is simply not kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from ..scenario import Delay, Expectation, Network, Scenario
from ..scenario._journey import Journey, TravellerSpec
from ..sim import Simulation
from ._desert import Desert
from ._run import Verdict, verdict_of

__all__ = ["Shrunk", "shrink"]


@dataclass(frozen=True, slots=True)
class Shrunk:
    """The smallest failing desert found, how it fails, and what it took."""

    scenario: Scenario
    verdict: Verdict
    runs: int
    kept: int  # changes kept
    events_before: int  # timeline events + proposals of the original desert
    events_after: int


def _events(scenario: Scenario) -> int:
    """Timeline events, proposals and (on a journey) the travellers' requests."""
    return len(scenario.timeline) + len(scenario.proposals) + _requests(scenario)


def _requests(scenario: Scenario) -> int:
    journey = scenario.journey
    if journey is None:
        return 0
    return sum(len(t.requests) or t.count for t in journey.travellers)


def shrink(desert: Desert, *, budget: int = 400) -> Shrunk:
    """Shrink a failing desert; raises ``ValueError`` if it does not fail."""
    original = desert.scenario
    verdict = _judge(desert, original)
    if verdict.kind is None:
        raise ValueError(f"seed {desert.seed} holds: there is nothing to shrink")
    want = (verdict.kind, verdict.invariant)
    runs, kept = 1, 0
    current = _cut(desert, original, verdict)
    changed = True
    while changed and runs < budget:
        changed = False
        for candidate in _candidates(desert, current, want[0] == "liveness"):
            if runs >= budget:
                break
            runs += 1
            tried = _judge(desert, candidate)
            if (tried.kind, tried.invariant) == want:
                current, verdict = _cut(desert, candidate, tried), tried
                kept += 1
                changed = True
                break
    name = f"swarm-{desert.seed}-shrunk"
    description = (
        f"Shrunk from swarm seed {desert.seed} (variant {original.variant}): {verdict.kind} "
        f"failure, {verdict.detail}. {_events(current)} of {_events(original)} desert events "
        f"remain after {runs} runs."
    )
    current = dataclasses.replace(current, name=name, description=description)
    return Shrunk(
        scenario=current,
        verdict=verdict,
        runs=runs,
        kept=kept,
        events_before=_events(original),
        events_after=_events(current),
    )


def _judge(desert: Desert, scenario: Scenario) -> Verdict:
    return verdict_of(desert, Simulation(scenario).run())


def _cut(desert: Desert, scenario: Scenario, verdict: Verdict) -> Scenario:
    """For a safety failure: stop at the tick it broke, and drop what comes later."""
    if verdict.kind != "safety":
        return scenario
    result = Simulation(scenario).run()
    assert result.violation is not None
    end = max(result.violation.t, 1)
    return dataclasses.replace(
        scenario,
        until=end,
        timeline=tuple(e for e in scenario.timeline if e.at <= end),
        proposals=tuple(p for p in scenario.proposals if p.at <= end),
        expect=Expectation(),  # the broken invariant is the failure; no decision is owed
    )


def _candidates(desert: Desert, s: Scenario, live: bool = False) -> Iterator[Scenario]:
    # a journey's liveness is judged by the verdict (it expects no decision)
    liveness = s.expect.decided is not None or (s.journey is not None and live)
    protected = desert.calm_at if liveness else s.until + 1
    timeline = s.timeline
    for i in reversed(range(len(timeline))):
        if timeline[i].at < protected:
            yield dataclasses.replace(s, timeline=timeline[:i] + timeline[i + 1 :])
    proposals = s.proposals
    for i in reversed(range(len(proposals))):
        if proposals[i].at < protected and len(proposals) > 1:
            yield dataclasses.replace(s, proposals=proposals[:i] + proposals[i + 1 :])
    if s.journey is not None:
        yield from _smaller_journeys(s, s.journey)
    yield from _calmer_networks(s)


def _smaller_journeys(s: Scenario, journey: Journey) -> Iterator[Scenario]:
    """Fewer travellers, fewer requests (a drawn workload first written out)."""
    travellers = journey.travellers

    def with_travellers(specs: tuple[TravellerSpec, ...]) -> Scenario:
        return dataclasses.replace(s, journey=dataclasses.replace(journey, travellers=specs))

    if any(t.count and not t.requests for t in travellers):
        written = _written_out(s)
        if written != travellers:
            yield with_travellers(written)
    for i in reversed(range(len(travellers))):
        if len(travellers) > 1:
            yield with_travellers(travellers[:i] + travellers[i + 1 :])
    for i in reversed(range(len(travellers))):
        spec = travellers[i]
        fewer: list[TravellerSpec] = []
        if len(spec.requests) > 1:
            for j in reversed(range(len(spec.requests))):
                kept = spec.requests[:j] + spec.requests[j + 1 :]
                fewer.append(dataclasses.replace(spec, requests=kept))
        elif not spec.requests and spec.count > 1:
            fewer.append(dataclasses.replace(spec, count=spec.count - 1))
        for smaller in fewer:
            yield with_travellers((*travellers[:i], smaller, *travellers[i + 1 :]))


def _written_out(s: Scenario) -> tuple[TravellerSpec, ...]:
    """The travellers with each workload replaced by the requests it draws in this run."""
    from ..protocol.multi import Traveller

    sim = Simulation(s)
    sim.start()  # the travellers draw their workloads as they wake
    out: list[TravellerSpec] = []
    assert s.journey is not None
    for spec in s.journey.travellers:
        node = sim.caravans.get(spec.name)
        if spec.requests or not isinstance(node, Traveller):
            out.append(spec)
            continue
        drawn = tuple((c.op, c.key, c.value, c.expected) for c in node.plan.operations)
        out.append(dataclasses.replace(spec, requests=drawn, count=0))
    return tuple(out)


def _calmer_networks(s: Scenario) -> Iterator[Scenario]:
    net = s.network
    calmer: list[Network] = []
    if net.loss > 0:
        calmer.append(dataclasses.replace(net, loss=0.0))
    if net.duplicate > 0:
        calmer.append(dataclasses.replace(net, duplicate=0.0))
    if net.loss >= 0.02:
        calmer.append(dataclasses.replace(net, loss=round(net.loss / 2, 2)))
    if net.duplicate >= 0.02:
        calmer.append(dataclasses.replace(net, duplicate=round(net.duplicate / 2, 2)))
    delay = net.delay
    if delay.kind == "uniform" and delay.high > delay.low:
        narrower = Delay(low=delay.low, high=delay.low + (delay.high - delay.low) // 2)
        calmer.append(dataclasses.replace(net, delay=narrower))
    elif delay.kind == "exponential" and delay.mean >= 2:
        halved = Delay(kind="exponential", mean=float(int(delay.mean) // 2))
        calmer.append(dataclasses.replace(net, delay=halved))
    for network in calmer:
        yield dataclasses.replace(s, network=network)
