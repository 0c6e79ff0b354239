"""The simulator's cached link table equals the straightforward per-link computation.

``link_table`` builds each link's rider rules once per network (and caches
them); the reference below is the original loop it replaced: for every pair,
walk every override in order, a later one replacing loss and duplication and
keeping an earlier delay when it names none. Hypothesis draws overrides that
repeat, contradict each other and name unknown caravans.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from desert_paxos.protocol import DEFAULT_CARAVANS
from desert_paxos.scenario import Delay, Link, Network
from desert_paxos.sim import link_table

NAMES = DEFAULT_CARAVANS


def reference(
    network: Network, names: tuple[str, ...]
) -> dict[tuple[str, str], tuple[object, ...]]:
    table = {}
    for src in names:
        for dst in names:
            delay, loss, dup = network.delay, network.loss, network.duplicate
            for link in network.links:
                if link.src == src and link.dst == dst:
                    delay = link.delay or delay
                    loss = network.loss if link.loss is None else link.loss
                    dup = network.duplicate if link.duplicate is None else link.duplicate
            if delay.kind == "exponential":
                table[(src, dst)] = (True, 0, 0, 1.0 / delay.mean, loss, dup)
            else:
                table[(src, dst)] = (False, delay.low, delay.high - delay.low + 1, 0.0, loss, dup)
    return table


delays = st.one_of(
    st.builds(
        lambda low, extra: Delay(low=low, high=low + extra), st.integers(0, 50), st.integers(0, 50)
    ),
    st.builds(lambda mean: Delay(kind="exponential", mean=mean), st.floats(0.5, 100.0)),
)
probabilities = st.sampled_from([0.0, 0.1, 0.5, 1.0])
links = st.builds(
    Link,
    src=st.sampled_from([*NAMES, "Stranger"]),
    dst=st.sampled_from([*NAMES, "Stranger"]),
    delay=st.none() | delays,
    loss=st.none() | probabilities,
    duplicate=st.none() | probabilities,
)
networks = st.builds(
    Network,
    delay=delays,
    loss=probabilities,
    duplicate=probabilities,
    links=st.lists(links, max_size=8).map(tuple),
)


@given(networks)
def test_link_table_matches_the_straightforward_loop(network: Network) -> None:
    assert link_table(network, NAMES) == reference(network, NAMES)


def test_repeated_overrides_keep_the_earlier_delay_and_take_the_later_loss() -> None:
    slow = Delay(low=90, high=99)
    network = Network(
        links=(
            Link(src="Itri", dst="Taziri", delay=slow, loss=0.5),
            Link(src="Itri", dst="Taziri", duplicate=0.25),
        )
    )
    rules = link_table(network, NAMES)[("Itri", "Taziri")]
    assert rules == (False, 90, 10, 0.0, 0.0, 0.25)
    assert rules == reference(network, NAMES)[("Itri", "Taziri")]
