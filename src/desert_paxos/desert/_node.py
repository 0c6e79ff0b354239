"""One real caravan: an OS process driving the protocol core over UDP (``desert-paxos caravan``).

Theory of operation
-------------------
The process is the simulator's interpreter loop made real, for one caravan.
It builds the *same* ``Caravan`` the simulator drives, from the record in its
logbook (empty the first time), and hands it what happens: a rider delivered
by its :class:`~._transport.RiderTransport`, a timer firing on the asyncio
loop, a wish from the coordinator. The effects each handler returns are
applied strictly in order, synchronously, before anything else can happen:

* ``Persist``: the logbook is written and ``fsync``ed, file and folder
  (:class:`~._logbook.Logbook`), so the promise or vote is on the disk
  before the ``Send`` that follows it in the same list can leave;
* ``Send``: the transport draws the rider's fate and puts it on the wire;
* ``SetTimer``/``CancelTimer``: a timer on the loop, its delay drawn from the
  caravan's own random generator as the simulator draws it, in ticks of
  ``tick_ms`` on the shared clock;
* ``Decide``/``Adopt``: told, and a decision is reported to the coordinator.

Every event is written to ``DIR/NAME.jsonl`` with the simulator's own event
builders (``sim/_events.py``), so a merged real trace has exactly the
simulator's event shapes.

Talking to the coordinator: JSON lines on standard input (``start`` with the
shared clock's epoch and the sandstorm now blowing, ``propose``,
``sandstorm``, ``calm``, ``network``, ``stop``) and on standard output
(``ready`` with the record the logbook gave back, ``decided``, ``held`` when
the riders it holds for arrival go from none to some or back). The process
ends when told to stop, when its standard input closes, or when the
coordinator's process is gone (checked every 100 ms), so it never outlives the
desert it belongs to.

For tests only: ``DESERT_PAXOS_TEST_KILL_AFTER_PERSIST=P`` (or ``P,TICK``: only
before tick ``TICK``) makes the process ``SIGKILL`` itself, with probability
``P``, right after a logbook write is durable and told, before the next effect
(the reply) is applied: the exact moment a logbook must already hold what the
reply will say.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from ..protocol import (
    Adopt,
    CancelTimer,
    Caravan,
    Decide,
    Effect,
    Message,
    Persist,
    Send,
    SetTimer,
)
from ..scenario import Network, scenario_from_data
from ..sim._events import (
    BUILDERS,
    DECIDE,
    TIMER_CANCEL,
    TIMER_FIRE,
    TIMER_SET,
    adopt_event,
    persist_event,
)
from ._clock import Clock, PartWriter
from ._logbook import Logbook, LogbookError, record_to_json
from ._setup import DesertSetup, SetupError, read_setup
from ._transport import LinkRules, RiderTransport

__all__ = [
    "KILL_AFTER_PERSIST",
    "caravan_main",
    "logbook_path",
    "part_path",
]

KILL_AFTER_PERSIST = "DESERT_PAXOS_TEST_KILL_AFTER_PERSIST"
_PARENT_POLL = 0.1  # seconds between two looks at the coordinator's process


def part_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.jsonl"


def logbook_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.logbook"


def _kill_chance() -> tuple[float, int | None]:
    """The test hook's ``P`` (or ``P,TICK``: only before tick ``TICK``); (0, None) when unset."""
    raw = os.environ.get(KILL_AFTER_PERSIST, "")
    chance_text, _, until_text = raw.partition(",")
    try:
        chance = float(chance_text) if chance_text else 0.0
        until = int(until_text) if until_text else None
    except ValueError:
        return 0.0, None
    return (chance if 0.0 < chance <= 1.0 else 0.0), until


class CaravanProcess:
    """The caravan, its transport, its timers and its logbook, on one asyncio loop."""

    def __init__(
        self,
        setup: DesertSetup,
        name: str,
        incarnation: int,
        folder: Path,
        logbook: Logbook,
        caravan: Caravan,
    ) -> None:
        self.setup = setup
        self.name = name
        self.incarnation = incarnation
        self.folder = folder
        self.logbook = logbook
        self.caravan = caravan
        self.config = caravan.config
        tag = f"desert-paxos/{setup.seed}/{name}/{incarnation}"
        self.rng = random.Random(tag)  # timers and riders' fates: this caravan's draws only
        self.kill_rng = random.Random("kill/" + tag)  # the test hook's, apart from the desert's
        self.kill_chance, self.kill_until = _kill_chance()
        self.part = PartWriter(part_path(folder, name), None)
        self.clock: Clock | None = None
        self.transport: RiderTransport | None = None
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.stopped: asyncio.Future[None] | None = None

    # -- talking to the coordinator ------------------------------------------------------

    def report(self, **fields: Any) -> None:
        sys.stdout.write(json.dumps(fields, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def tell(self, event: dict[str, Any]) -> None:
        self.part(event)

    # -- the loop -----------------------------------------------------------------------

    async def run(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_on_loop_error)
        self.stopped = loop.create_future()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0)
        )
        self.report(ready=True, record=record_to_json(self.caravan.record), pid=os.getpid())
        watch = loop.create_task(self._watch_parent())
        try:
            start = await self._next_command(reader)
            if start is None or start.get("cmd") != "start":
                return
            await self._start(loop, sock, start)
            commands = loop.create_task(self._commands(reader))
            await self.stopped
            commands.cancel()
        finally:
            watch.cancel()
            for handle in self.timers.values():
                handle.cancel()
            self.part.close()

    async def _next_command(self, reader: asyncio.StreamReader) -> dict[str, Any] | None:
        line = await reader.readline()
        if not line:
            return None
        command = json.loads(line)
        return command if isinstance(command, dict) else None

    async def _commands(self, reader: asyncio.StreamReader) -> None:
        while True:
            command = await self._next_command(reader)
            if command is None or command.get("cmd") == "stop":
                self._stop()
                return
            self._obey(command)

    async def _watch_parent(self) -> None:
        while os.getppid() == self.setup.coordinator_pid:
            await asyncio.sleep(_PARENT_POLL)
        os._exit(3)  # the coordinator is gone: so is its desert

    def _stop(self) -> None:
        if self.stopped is not None and not self.stopped.done():
            self.stopped.set_result(None)

    async def _start(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, start: dict[str, Any]
    ) -> None:
        clock = self.clock = Clock(int(start["epoch_ns"]), self.setup.tick_ms)
        self.part.set_clock(clock)
        network = self.setup.scenario.network
        if isinstance(start.get("network"), dict):
            network = self._network(start["network"])
        transport = self.transport = RiderTransport(
            name=self.name,
            names=self.config.caravans,
            ports=self.setup.ports,
            rules=LinkRules(network, self.config.caravans),
            rng=self.rng,
            incarnation=self.incarnation,
            now=clock.tick,
            at_tick=clock.loop_time,
            born=clock.tick(),
            tell=self.tell,
            deliver=self._deliver,
            on_held=lambda n: self.report(held=n),
        )
        transport.set_groups(start.get("groups"))
        await loop.create_datagram_endpoint(lambda: transport, sock=sock)
        self.apply(self.caravan.on_start())

    def _obey(self, command: dict[str, Any]) -> None:
        transport = self.transport
        assert transport is not None
        match command.get("cmd"):
            case "propose":
                self.apply(self.caravan.propose(str(command["value"])))
            case "sandstorm":
                transport.set_groups(command["groups"])
            case "calm":
                transport.set_groups(None)
            case "network":
                transport.rules = LinkRules(self._network(command["network"]), self.config.caravans)

    def _network(self, doc: dict[str, Any]) -> Network:
        """The whole network now (the coordinator's, changes applied), as a scenario says it."""
        data = {"caravans": list(self.config.caravans), "proposals": [], "network": doc}
        return scenario_from_data(data, "the coordinator's network").network

    # -- the core's handlers and effects ------------------------------------------------

    def _deliver(self, src: str, msg: Message) -> None:
        self.apply(self.caravan.on_message(src, msg))

    def _fire(self, name: str) -> None:
        self.timers.pop(name, None)
        self.tell(BUILDERS[TIMER_FIRE](self.name, name))
        self.apply(self.caravan.on_timer(name))

    def _kill_now(self, clock: Clock) -> bool:
        if self.kill_until is not None and clock.tick() >= self.kill_until:
            return False
        return self.kill_rng.random() < self.kill_chance

    def apply(self, effects: list[Effect]) -> None:
        """Apply ``effects`` in order; each is done (a logbook write durable) before the next."""
        transport, clock = self.transport, self.clock
        assert transport is not None and clock is not None
        for effect in effects:
            match effect:
                case Send(dst=dst, msg=msg):
                    transport.send(dst, msg)
                case Persist(record=record):
                    try:
                        self.logbook.save(record)  # file and folder fsynced before it returns
                    except LogbookError as exc:  # a promise it cannot write down, it must not make
                        _die(f"desert-paxos caravan {self.name}: {exc}", 2)
                    self.tell(persist_event(self.name, record))
                    if self.kill_chance and self._kill_now(clock):
                        # the test hook: after the write, before the reply
                        os.kill(os.getpid(), signal.SIGKILL)
                case SetTimer(name=name, low=low, high=high):
                    delay = low if high <= low else low + int(self.rng.random() * (high - low + 1))
                    fire = clock.tick() + delay
                    old = self.timers.pop(name, None)
                    if old is not None:
                        old.cancel()
                    loop = asyncio.get_running_loop()
                    self.timers[name] = loop.call_at(clock.loop_time(fire), self._fire, name)
                    self.tell(BUILDERS[TIMER_SET](self.name, name, fire))
                case CancelTimer(name=name):
                    handle = self.timers.pop(name, None)
                    if handle is not None:
                        handle.cancel()
                        self.tell(BUILDERS[TIMER_CANCEL](self.name, name))
                case Decide(ballot=ballot, value=value):
                    self.tell(BUILDERS[DECIDE](self.name, value, ballot))
                    self.report(decided=value)
                case Adopt():
                    self.tell(adopt_event(self.name, effect))


def _die(message: str, code: int) -> None:
    """End the process now: nothing after this point may be applied (or sent)."""
    print(message, file=sys.stderr, flush=True)
    os._exit(code)


def _on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A handler that raised: the caravan is broken, so it stops at once, loudly."""
    error = context.get("exception")
    _die(f"desert-paxos caravan: {context.get('message')}: {error!r}", 70)


def caravan_main(name: str, folder: str, incarnation: int, fd: int) -> int:
    """Run caravan ``name`` of the desert in ``folder``; its UDP socket is the open ``fd``."""
    path = Path(folder)
    try:
        setup = read_setup(path)
        if name not in setup.scenario.caravans:
            known = ", ".join(setup.scenario.caravans)
            raise SetupError(f"{name!r} is not a caravan of this desert ({known})")
        logbook = Logbook(logbook_path(path, name), name)
        record = logbook.load()
        sock = socket.socket(fileno=fd)
    except (SetupError, LogbookError) as exc:
        print(f"desert-paxos caravan {name}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"desert-paxos caravan {name}: no UDP socket at fd {fd}: {exc}", file=sys.stderr)
        return 2
    caravan = Caravan(setup.scenario.config(), name, record)
    process = CaravanProcess(setup, name, incarnation, path, logbook, caravan)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator stops the desert, not Ctrl-C
    asyncio.run(process.run(sock))
    return 0
