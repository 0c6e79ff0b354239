"""The real desert's transport: the simulator's fault model drawn per sender, judged at arrival."""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any

import pytest

from desert_paxos.desert import LinkRules, Rider, decode_rider, draw_fate, encode_rider, separated
from desert_paxos.desert._transport import RIDERS_PER_LIFE, RiderTransport
from desert_paxos.protocol import (
    DEFAULT_CARAVANS,
    Accept,
    Ballot,
    Inquire,
    Message,
    Prepare,
    Promise,
    Proposal,
)
from desert_paxos.scenario import Delay, Link, Network

NAMES = DEFAULT_CARAVANS
A, T, M, ITRI, S = NAMES  # Aghilas, Taziri, Amastan, Itri, Tassadit


def _draws(
    network: Network, src: str, dst: str, n: int, seed: int = 1
) -> list[tuple[int, bool, bool]]:
    rng = random.Random(seed)
    link = LinkRules(network, NAMES)[(src, dst)]
    return [draw_fate(rng, link, 100, True) for _ in range(n)]


def test_uniform_delays_stay_in_range_and_cover_it() -> None:
    draws = _draws(Network(delay=Delay(low=5, high=12)), A, T, 4000)
    delays = {arrive - 100 for arrive, _, _ in draws}
    assert delays == set(range(5, 13))
    assert not any(lost or dup for _, lost, dup in draws)


def test_loss_and_duplication_follow_their_probabilities() -> None:
    draws = _draws(Network(loss=0.2, duplicate=0.1), A, T, 20000)
    lost = sum(1 for _, lost, _ in draws if lost) / len(draws)
    dup = sum(1 for _, _, dup in draws if dup) / len(draws)
    assert 0.18 < lost < 0.22 and 0.085 < dup < 0.115


def test_exponential_delays_have_their_mean() -> None:
    draws = _draws(Network(delay=Delay(kind="exponential", mean=30.0)), A, T, 20000)
    mean = sum(arrive - 100 for arrive, _, _ in draws) / len(draws)
    assert 28 < mean < 33 and min(arrive for arrive, _, _ in draws) >= 101


def test_a_second_copy_never_draws_another_copy() -> None:
    rng = random.Random(3)
    link = LinkRules(Network(duplicate=1.0), NAMES)[(A, T)]
    assert draw_fate(rng, link, 0, True)[2] is True
    assert draw_fate(rng, link, 0, False)[2] is False


def test_per_link_overrides_apply_to_their_direction_only() -> None:
    network = Network(
        loss=0.0,
        links=(Link(src=A, dst=ITRI, loss=1.0, delay=Delay(low=70, high=70)),),
    )
    there = _draws(network, A, ITRI, 200)
    back = _draws(network, ITRI, A, 200)
    other = _draws(network, A, T, 200)
    assert all(lost and arrive == 170 for arrive, lost, _ in there)
    assert not any(lost for _, lost, _ in back + other)


def test_the_same_seed_draws_the_same_fates_and_another_does_not() -> None:
    network = Network(loss=0.3, duplicate=0.2)
    assert _draws(network, A, T, 500, seed=7) == _draws(network, A, T, 500, seed=7)
    assert _draws(network, A, T, 500, seed=7) != _draws(network, A, T, 500, seed=8)


def test_separated_reads_the_partition() -> None:
    groups = {A: 0, T: 0, M: 1, ITRI: 1, S: 1}
    assert separated(groups, A, M) and separated(groups, ITRI, T)
    assert not separated(groups, A, T) and not separated(groups, M, S)
    assert not separated(None, A, M) and not separated(groups, A, A)


MESSAGES: list[Message] = [
    Prepare(ballot=Ballot(2, T)),
    Promise(ballot=Ballot(2, T), accepted=Proposal(ballot=Ballot(1, A), value="Siwa ⛺")),
    Accept(ballot=Ballot(2, T), value="Siwa"),
    Inquire(),
]


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: type(m).__name__)
def test_a_rider_crosses_the_wire_unchanged(msg: Message) -> None:
    rider = Rider(12, A, T, msg, 40, True, 7)
    assert decode_rider(encode_rider(rider), NAMES) == rider


@pytest.mark.parametrize(
    "data",
    [
        b"hello",
        b"[1]",
        b'{"id": 1}',
        b'{"id": 1, "src": "Bob", "dst": "Itri", "arrive": 1, '
        b'"lost": false, "msg": {"type": "inquire"}, "copy_of": null}',
        b"\xff\xfe",
    ],
)
def test_noise_on_the_port_is_not_a_rider(data: bytes) -> None:
    with pytest.raises((ValueError, UnicodeDecodeError)):
        decode_rider(data, NAMES)


# -- live, on loopback ---------------------------------------------------------------------------


class _Desert:
    """Two or three transports on real UDP sockets, driven by one loop with a fake tick clock."""

    def __init__(self, network: Network, born: int = 0) -> None:
        self.tick = 0
        self.events: list[dict[str, Any]] = []
        self.delivered: list[tuple[str, str, Message]] = []
        self.socks = {name: socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for name in (A, T)}
        for sock in self.socks.values():
            sock.bind(("127.0.0.1", 0))
        ports = {name: sock.getsockname()[1] for name, sock in self.socks.items()}
        ports.update({name: 9 for name in NAMES if name not in ports})
        self.loop_start = 0.0
        self.transports: dict[str, RiderTransport] = {}
        for name in (A, T):
            self.transports[name] = RiderTransport(
                name=name,
                names=NAMES,
                ports=ports,
                rules=LinkRules(network, NAMES),
                rng=random.Random(name),
                incarnation=1,
                now=lambda: self.tick,
                at_tick=lambda t: self.loop_start + t * 0.001,  # a tick is a millisecond
                born=born,
                tell=self.events.append,
                deliver=lambda src, msg, name=name: self.delivered.append((src, name, msg)),
            )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.loop_start = loop.time()
        for name, transport in self.transports.items():
            await loop.create_datagram_endpoint(lambda t=transport: t, sock=self.socks[name])

    def kinds(self) -> list[tuple[str, Any]]:
        return [(e["kind"], e.get("reason")) for e in self.events]


def _live(network: Network, act: Any, born: int = 0, wait: float = 0.15) -> _Desert:
    desert = _Desert(network, born)

    async def go() -> None:
        await desert.start()
        act(desert)
        await asyncio.sleep(wait)
        for transport in desert.transports.values():
            if transport._wire is not None:
                transport._wire.close()

    asyncio.run(go())
    return desert


def test_a_rider_is_sent_told_held_until_arrival_and_delivered() -> None:
    desert = _live(
        Network(delay=Delay(low=30, high=30)), lambda d: d.transports[A].send(T, MESSAGES[0])
    )
    send, deliver = desert.events
    assert send["kind"] == "send" and send["arrive"] == 30 and send["src"] == A
    assert deliver["kind"] == "deliver" and deliver["id"] == send["id"]
    assert desert.delivered == [(A, T, MESSAGES[0])]


def test_a_lost_rider_is_dropped_at_arrival_with_reason_loss() -> None:
    desert = _live(Network(loss=1.0), lambda d: d.transports[A].send(T, MESSAGES[2]))
    assert desert.kinds() == [("send", None), ("drop", "loss")]
    assert desert.delivered == []


def test_a_sandstorm_at_arrival_drops_the_rider() -> None:
    def act(d: _Desert) -> None:
        d.transports[T].set_groups([[A], [T, M, ITRI, S]])
        d.transports[A].send(T, MESSAGES[2])

    desert = _live(Network(), act)
    assert desert.kinds() == [("send", None), ("drop", "sandstorm")]


def test_a_rider_that_arrived_before_the_receiver_got_up_reached_a_collapsed_caravan() -> None:
    desert = _live(
        Network(delay=Delay(low=5, high=5)), lambda d: d.transports[A].send(T, MESSAGES[3]), born=50
    )
    assert desert.kinds() == [("send", None), ("drop", "crashed")]


def test_a_caravans_word_to_itself_is_delivered_at_once_and_never_lost() -> None:
    desert = _live(Network(loss=1.0), lambda d: d.transports[A].send(A, MESSAGES[1]))
    send, deliver = desert.events
    assert send["arrive"] == 0 and deliver["kind"] == "deliver"
    assert desert.delivered == [(A, A, MESSAGES[1])]


def test_a_duplicate_is_a_second_rider_with_its_own_id() -> None:
    desert = _live(Network(duplicate=1.0), lambda d: d.transports[A].send(T, MESSAGES[0]))
    sends = [e for e in desert.events if e["kind"] == "send"]
    assert len(sends) == 2 and sends[1]["copy_of"] == sends[0]["id"] != sends[1]["id"]
    assert len(desert.delivered) == 2


def test_rider_ids_are_unique_across_caravans_and_lives() -> None:
    ids: set[int] = set()
    for life in range(3):
        for name in NAMES:
            transport = RiderTransport(
                name=name,
                names=NAMES,
                ports={},
                rules=LinkRules(Network(), NAMES),
                rng=random.Random(0),
                incarnation=life,
                now=lambda: 0,
                at_tick=float,
                born=0,
                tell=lambda e: None,
                deliver=lambda s, m: None,
            )
            for _ in range(50):
                ids.add(transport._new_id())
    assert len(ids) == 3 * 5 * 50 and min(ids) >= 1
    assert max(ids) < 3 * RIDERS_PER_LIFE * 5 + 5
