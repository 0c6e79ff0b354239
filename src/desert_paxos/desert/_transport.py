"""The riders between real caravans: UDP datagrams on 127.0.0.1, with the desert's faults.

Theory of operation
-------------------
``tc netem`` is missing on many CI kernels, so the desert's faults are the
transport's own. Each rider's fate is drawn by its *sender*, from the sender's
own ``random.Random`` (seeded by the scenario's seed, the caravan's name and
its incarnation), in the simulator's order and with the simulator's link rules
(the scenario's ``network`` with its per-link overrides): its delay, then
whether it is lost, then whether a second copy sets out (the copy draws its
own delay and loss). The sender writes the ``send`` line (with the tick the
rider will ``arrive``) and puts the datagram on the wire, fate included.

The *receiving* transport carries the fate out: it holds each rider until its
arrival tick and then judges it as the simulator does at arrival: lost by the
draw (``drop``, reason ``loss``), cut by a sandstorm between sender and
receiver at that moment (reason ``sandstorm``, from the partition the
coordinator last set), or delivered. A receiver that is down when a rider
arrives never hears it: the coordinator holds each caravan's socket across its
collapse, so a rider that waited in it is judged by the next incarnation, which
tells it as lost to a collapsed caravan (reason ``crashed``); riders held by a
process that was killed are told so by ``desert merge``. A caravan's riders
to itself are delivered at once and never lost, as in the simulator.

Rider ids are unique across the whole desert without any coordination: the
caravan at ``index`` of ``count`` numbers its riders ``index + 1 + k * count``,
with ``k`` starting at ``incarnation * 2**20`` for each life of the process.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import log
from typing import Any, cast

from ..protocol import Message, message_from_json, message_to_json
from ..scenario import Network
from ..sim import link_table
from ..sim._events import BUILDERS, DELIVERY, SEND, drop_event

__all__ = [
    "RIDERS_PER_LIFE",
    "Link",
    "LinkRules",
    "Rider",
    "RiderTransport",
    "decode_rider",
    "draw_fate",
    "encode_rider",
    "separated",
]

RIDERS_PER_LIFE = 2**20  # riders one incarnation of a caravan may send (ids stay unique)

# How riders travel one link: (exponential?, low, span, rate, loss, duplicate), as the simulator.
Link = tuple[bool, int, int, float, float, float]


class LinkRules:
    """Every (src, dst) link's delay, loss and duplication, from a scenario's network."""

    __slots__ = ("links", "network")

    def __init__(self, network: Network, names: tuple[str, ...]) -> None:
        self.network = network
        self.links: dict[tuple[str, str], Link] = link_table(network, names)

    def __getitem__(self, key: tuple[str, str]) -> Link:
        return self.links[key]


def draw_fate(rng: random.Random, link: Link, now: int, first: bool) -> tuple[int, bool, bool]:
    """``(arrive, lost, duplicate)`` for one rider sent at tick ``now``.

    The simulator's draws, in its order: the delay, then the loss, then (only
    for a first copy) the duplication.
    """
    exponential, low, span, rate, loss, dup = link
    if exponential:
        arrive = now + 1 + int(-log(1.0 - rng.random()) / rate)
    else:
        arrive = now + low + int(rng.random() * span)
    lost = loss > 0.0 and rng.random() < loss
    duplicate = first and dup > 0.0 and rng.random() < dup
    return arrive, lost, duplicate


def separated(groups: Mapping[str, int] | None, src: str, dst: str) -> bool:
    """True when a sandstorm (caravan -> group number) stands between ``src`` and ``dst``."""
    if groups is None or src == dst:
        return False
    return groups.get(src, -1) != groups.get(dst, -2)


@dataclass(frozen=True, slots=True)
class Rider:
    id: int
    src: str
    dst: str
    msg: Message
    arrive: int
    lost: bool
    copy_of: int | None


def encode_rider(rider: Rider) -> bytes:
    doc = {
        "id": rider.id,
        "src": rider.src,
        "dst": rider.dst,
        "msg": message_to_json(rider.msg),
        "arrive": rider.arrive,
        "lost": rider.lost,
        "copy_of": rider.copy_of,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_rider(data: bytes, names: tuple[str, ...]) -> Rider:
    """The rider in a datagram; ``ValueError`` for anything else (another program's noise)."""
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict):
        raise ValueError("not a rider")
    rid, src, dst, arrive = doc.get("id"), doc.get("src"), doc.get("dst"), doc.get("arrive")
    copy_of, lost = doc.get("copy_of"), doc.get("lost")
    if type(rid) is not int or type(arrive) is not int or type(lost) is not bool:
        raise ValueError("a rider needs a whole id and arrival and a lost flag")
    if src not in names or dst not in names:
        raise ValueError("a rider between caravans of this desert")
    if copy_of is not None and type(copy_of) is not int:
        raise ValueError("copy_of is a rider's id")
    assert isinstance(src, str) and isinstance(dst, str)
    return Rider(rid, src, dst, message_from_json(doc.get("msg")), arrive, lost, copy_of)


Tell = Callable[[dict[str, Any]], object]


class RiderTransport(asyncio.DatagramProtocol):
    """One caravan's riders: sent with their fate drawn, held until arrival, judged, delivered.

    ``tell`` writes an event line; ``deliver(src, msg)`` hands a delivered
    message to the caravan; ``on_held(n)`` is told when the number of riders
    held for arrival changes between zero and not zero.
    """

    def __init__(
        self,
        *,
        name: str,
        names: tuple[str, ...],
        ports: Mapping[str, int],
        rules: LinkRules,
        rng: random.Random,
        incarnation: int,
        now: Callable[[], int],
        at_tick: Callable[[int], float],
        born: int,
        tell: Tell,
        deliver: Callable[[str, Message], None],
        on_held: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.name = name
        self.names = names
        self.ports = dict(ports)
        self.rules = rules
        self.rng = rng
        self.now = now
        self.at_tick = at_tick
        self.born = born  # the tick this incarnation got up: earlier riders reached it collapsed
        self.tell = tell
        self.deliver = deliver
        self.on_held = on_held
        self.groups: dict[str, int] | None = None
        self.held = 0
        self.noise = 0  # datagrams that were not riders of this desert
        self._index = names.index(name)
        self._next = incarnation * RIDERS_PER_LIFE
        self._limit = self._next + RIDERS_PER_LIFE
        self._wire: asyncio.DatagramTransport | None = None

    # -- the asyncio side -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._wire = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            rider = decode_rider(data, self.names)
        except (ValueError, UnicodeDecodeError):
            self.noise += 1
            return
        if rider.dst != self.name:
            self.noise += 1
            return
        if rider.arrive < self.born:  # it waited in the socket while this caravan was down
            self.tell(drop_event(rider.id, rider.src, rider.dst, rider.msg, "crashed"))
            return
        self._hold(rider)

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP: nobody listening
        pass

    # -- sending ------------------------------------------------------------------------

    def set_groups(self, groups: list[list[str]] | None) -> None:
        """The sandstorm now blowing (groups of caravans), or None for calm."""
        if groups is None:
            self.groups = None
        else:
            self.groups = {name: i for i, group in enumerate(groups) for name in group}

    def _new_id(self) -> int:
        k = self._next
        if k >= self._limit:
            raise RuntimeError(
                f"{self.name} has sent {RIDERS_PER_LIFE:,} riders in one life, the most "
                "whose ids stay unique"
            )
        self._next = k + 1
        return self._index + 1 + k * len(self.names)

    def send(self, dst: str, msg: Message) -> None:
        """Send one rider (and its copy, if the draw says so), each told before it leaves."""
        now = self.now()
        if dst == self.name:  # a caravan's word to itself needs no rider
            self._send(Rider(self._new_id(), self.name, dst, msg, now, False, None))
            return
        link = self.rules[(self.name, dst)]
        arrive, lost, duplicate = draw_fate(self.rng, link, now, True)
        first = Rider(self._new_id(), self.name, dst, msg, arrive, lost, None)
        self._send(first)
        if duplicate:
            arrive, lost, _ = draw_fate(self.rng, link, now, False)
            self._send(Rider(self._new_id(), self.name, dst, msg, arrive, lost, first.id))

    def _send(self, rider: Rider) -> None:
        self.tell(
            BUILDERS[SEND](rider.id, rider.src, rider.dst, rider.msg, rider.arrive, rider.copy_of)
        )
        if rider.dst == self.name:
            self._hold(rider)
            return
        if self._wire is not None:
            self._wire.sendto(encode_rider(rider), ("127.0.0.1", self.ports[rider.dst]))

    # -- arriving -------------------------------------------------------------------------

    def _hold(self, rider: Rider) -> None:
        self.held += 1
        if self.held == 1:
            self.on_held(1)
        loop = asyncio.get_running_loop()
        if rider.src == rider.dst:
            loop.call_soon(self._arrive, rider)
        else:
            loop.call_at(self.at_tick(rider.arrive), self._arrive, rider)

    def _arrive(self, rider: Rider) -> None:
        self.held -= 1
        if rider.lost:
            self.tell(drop_event(rider.id, rider.src, rider.dst, rider.msg, "loss"))
        elif separated(self.groups, rider.src, rider.dst):
            self.tell(drop_event(rider.id, rider.src, rider.dst, rider.msg, "sandstorm"))
        else:
            self.tell(BUILDERS[DELIVERY](rider.id, rider.src, rider.dst, rider.msg))
            self.deliver(rider.src, rider.msg)
        if self.held == 0:
            self.on_held(0)
