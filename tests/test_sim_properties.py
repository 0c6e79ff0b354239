"""Property: whatever the desert does, Paxos stays safe; once it is calm, the caravans decide.

Hypothesis draws fault schedules (sandstorms of any shape, crashes and recoveries,
loss, duplication, delay spreads, several proposers). Every run must keep every
invariant; and once the storms are over, no rider is lost any more and every
caravan is back on its feet, a proposal must lead to a decision that every caravan
learns. (Under heavy loss for ever, progress is only probable, never promised.)
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desert_paxos.protocol import DEFAULT_CARAVANS
from desert_paxos.scenario import Delay, Network, NetworkChange, Proposal, Scenario, TimelineEvent
from desert_paxos.sim import Simulation

NAMES = DEFAULT_CARAVANS
STORM_END = 600


@st.composite
def sandstorms(draw: st.DrawFn, at: int) -> TimelineEvent:
    labels = draw(st.lists(st.integers(0, 2), min_size=len(NAMES), max_size=len(NAMES)))
    groups = tuple(
        tuple(name for name, label in zip(NAMES, labels, strict=True) if label == g)
        for g in range(3)
    )
    return TimelineEvent(at=at, kind="sandstorm", groups=tuple(g for g in groups if g))


@st.composite
def faults(draw: st.DrawFn) -> TimelineEvent:
    at = draw(st.integers(0, STORM_END - 1))
    kind = draw(st.sampled_from(["sandstorm", "calm", "crash", "recover"]))
    if kind == "sandstorm":
        return draw(sandstorms(at))
    if kind == "calm":
        return TimelineEvent(at=at, kind="calm")
    return TimelineEvent(at=at, kind=kind, caravan=draw(st.sampled_from(NAMES)))


@st.composite
def deserts(draw: st.DrawFn) -> Scenario:
    low = draw(st.integers(1, 30))
    high = draw(st.integers(low, 80))
    exponential = draw(st.booleans())
    delay = (
        Delay(kind="exponential", mean=float(high)) if exponential else Delay(low=low, high=high)
    )
    network = Network(
        delay=delay,
        loss=draw(st.sampled_from([0.0, 0.05, 0.15, 0.3])),
        duplicate=draw(st.sampled_from([0.0, 0.05, 0.2])),
    )
    proposals = draw(
        st.lists(
            st.builds(
                Proposal,
                at=st.integers(0, STORM_END),
                caravan=st.sampled_from(NAMES),
                campsite=st.sampled_from(["Siwa", "Timbuktu", "Ghadames", "Agadez"]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    schedule = sorted(draw(st.lists(faults(), max_size=12)), key=lambda e: e.at)
    # The storms end: calm, riders no longer lost or doubled (delays stay as drawn),
    # everyone back on their feet, and one more wish.
    ending = [
        TimelineEvent(at=STORM_END, kind="calm"),
        TimelineEvent(at=STORM_END, kind="network", network=NetworkChange(loss=0.0, duplicate=0.0)),
    ]
    ending += [TimelineEvent(at=STORM_END, kind="recover", caravan=name) for name in NAMES]
    final_wish = Proposal(at=STORM_END + 1, caravan=draw(st.sampled_from(NAMES)), campsite="Agadez")
    return Scenario(
        name="property",
        seed=draw(st.integers(0, 2**32 - 1)),
        network=network,
        proposals=(*proposals, final_wish),
        timeline=(*schedule, *ending),
        until=STORM_END + 8000,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deserts())
def test_safety_always_and_a_decision_after_the_storms(scenario: Scenario) -> None:
    result = Simulation(scenario).run()
    assert result.violation is None, result.violation
    assert result.decided_value is not None, "calm desert, everyone alive, a wish: yet no decision"
    assert set(result.decisions) == set(NAMES), "every caravan learns the campsite"
    assert set(result.decisions.values()) == {result.decided_value}
