"""A Maelstrom node: the journey's caravan behind Maelstrom's ``lin-kv`` protocol.

Theory of operation
-------------------
Maelstrom (Jepsen's workbench) runs a node as a process that reads JSON lines
``{"src", "dest", "body"}`` on standard input and writes its own on standard
output; standard error is its log. This module is that process around the very
:class:`~desert_paxos.protocol.multi.JourneyCaravan` the simulator drives, with
no second implementation of Multi-Paxos:

* ``init`` names this node and every node; each node id becomes a caravan of
  one :class:`~desert_paxos.protocol.multi.JourneyConfig` (a majority is the
  quorum), and the node answers ``init_ok``.
* A caravan's riders to another caravan travel as Maelstrom messages between
  node ids, body ``{"type": "rider", "from", "to", "rider"}`` with the core's own
  JSON form of the rider (``message_to_json``).
* Each Maelstrom client (``c1``, ``c2``...) talking to this node is a
  :class:`~desert_paxos.protocol.multi.Traveller` named ``c1@n1`` living here:
  a client's ``read``/``write``/``cas`` becomes that traveller's next ``get``/
  ``put``/``cas`` (:meth:`Traveller.ask`), with its own request number. The
  traveller asks a caravan, and after ``patience`` ticks asks again with the
  *same* number, another caravan in turn, so the replicas' per-traveller table
  executes each request once however often it is asked. The answer (the
  traveller's ``Complete``) becomes ``read_ok``/``write_ok``/``cas_ok`` or an
  error: 20 (key does not exist: a read, or a cas, of a missing key) or 22 (a
  cas whose expected value did not match).
* Timers are the core's ticks on the asyncio loop's wall clock (``tick_ms``
  each); the delay of a ranged timer (the election timeout) is drawn from the
  node's own ``random.Random``.

Which errors are *definite* matters to Maelstrom's checker: 11 (temporarily
unavailable) says the operation did not and will not happen, 0 (timeout) says
it may have. So this node answers 11 only for a request it never gave to the
core (before ``init``, before any leader was heard of, or with too many
requests waiting), and a request not answered within ``timeout_ms`` gets
error 0: its traveller keeps asking, so it may still take effect. An error 11
on a timeout would be a lie a linearizability checker catches.

The logbook is kept in memory: every ``Persist`` is the caravan's own record,
already in memory. That is sound only because Maelstrom never restarts a node
(its nemesis partitions the network, it does not kill); a node restarted with
an empty logbook could break a promise it made.

Bad input never ends the node: a line that is not JSON, not a message or
not a known body is told on standard error (one line) and, when it carries a
``msg_id``, answered with error 10 (not supported) or 12 (malformed request).
The node ends when its standard input ends (Maelstrom closes it).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from .._untrusted import printable
from ..protocol import CancelTimer, Config, Persist, Send, SetTimer
from ..protocol.multi import (
    JOURNEY_VARIANTS,
    Command,
    Complete,
    Elected,
    Executed,
    Invoke,
    JourneyCaravan,
    JourneyConfig,
    JourneyEffect,
    JourneyMessage,
    Request,
    Response,
    Result,
    Traveller,
    TravellerPlan,
    message_from_json,
    message_to_json,
)

__all__ = [
    "DEFINITE",
    "KEY_MISSING",
    "MALFORMED",
    "MAX_WAITING",
    "NOT_SUPPORTED",
    "PRECONDITION_FAILED",
    "TIMEOUT",
    "UNAVAILABLE",
    "Loop",
    "MaelstromNode",
]

# Maelstrom's error codes (doc/protocol.md): all definite but 0 (and 13, crash).
TIMEOUT: Final = 0
NOT_SUPPORTED: Final = 10
UNAVAILABLE: Final = 11
MALFORMED: Final = 12
KEY_MISSING: Final = 20
PRECONDITION_FAILED: Final = 22
DEFINITE: Final = frozenset(
    {NOT_SUPPORTED, UNAVAILABLE, MALFORMED, KEY_MISSING, PRECONDITION_FAILED}
)

MAX_WAITING: Final = 10_000  # client requests waiting for an answer at once; more get 11
_SHOWN: Final = 200  # characters of a bad line shown in the log


class Handle(Protocol):
    def cancel(self) -> None: ...


class Loop(Protocol):
    """What the node needs of an event loop (asyncio's, or a test's)."""

    def call_later(self, delay: float, callback: Callable[[], object], /) -> Handle: ...

    def call_soon(self, callback: Callable[[], object], /) -> Any: ...


@dataclass(slots=True)
class _Waiting:
    """A client request handed to a traveller, waiting for its answer."""

    client: str
    msg_id: int
    kind: str  # "read", "write" or "cas"
    deadline: Handle | None = None


class BadRequest(ValueError):
    """A client body this node cannot turn into a command (answered with error 12)."""


def _whole(body: dict[str, Any], field: str) -> int:
    value = body.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{field!r} must be a whole number, got {printable(repr(value))[:80]}")
    return value


def command_of(body: dict[str, Any]) -> Command:
    """The journey command for a ``read``/``write``/``cas`` body (traveller filled in later).

    A key may be any JSON value; the supplies are keyed by its compact JSON text, so
    ``1`` and ``"1"`` stay two keys. Values are whole numbers, as the supplies hold."""
    if "key" not in body:
        raise BadRequest("a read, write or cas names its 'key'")
    key = json.dumps(body["key"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    match body.get("type"):
        case "read":
            return Command(traveller="", request=0, op="get", key=key)
        case "write":
            return Command(traveller="", request=0, op="put", key=key, value=_whole(body, "value"))
        case "cas":
            return Command(
                traveller="",
                request=0,
                op="cas",
                key=key,
                value=_whole(body, "to"),
                expected=_whole(body, "from"),
            )
    raise BadRequest(f"not a client request: {body.get('type')!r}")


def reply_of(kind: str, result: Result) -> dict[str, Any]:
    """The reply body (without ids) for a request of ``kind`` the log executed as ``result``."""
    if kind == "read":
        if result.value is None:
            return {"type": "error", "code": KEY_MISSING, "text": "key does not exist"}
        return {"type": "read_ok", "value": result.value}
    if kind == "write":
        return {"type": "write_ok"}
    if result.ok:
        return {"type": "cas_ok"}
    if result.value is None:
        return {"type": "error", "code": KEY_MISSING, "text": "key does not exist"}
    return {
        "type": "error",
        "code": PRECONDITION_FAILED,
        "text": f"expected another value: found {result.value}",
    }


def _msg_id(body: dict[str, Any]) -> int | None:
    value = body.get("msg_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def home_of(name: str) -> str | None:
    """The node a traveller ``client@node`` lives on (None: not a traveller's name)."""
    client, at, home = name.rpartition("@")
    return home if at and client else None


class MaelstromNode:
    """One Maelstrom node: feed it lines with :meth:`on_line`; it ``emit``\\ s messages."""

    def __init__(
        self,
        loop: Loop,
        emit: Callable[[dict[str, Any]], None],
        log: Callable[[str], None],
        *,
        tick_ms: int = 5,
        timeout_ms: int = 2000,
        seed: int = 0,
        verbose: bool = False,
        variant: str = "paxos",
    ) -> None:
        self.loop = loop
        self.emit = emit
        self.log = log
        self.tick_s = tick_ms / 1000
        self.timeout_s = timeout_ms / 1000
        self.seed = seed
        self.verbose = verbose
        self.variant = JOURNEY_VARIANTS[variant]  # a broken one only to show the checks catch it
        self.node_id: str | None = None
        self.node_ids: tuple[str, ...] = ()
        self.caravan: JourneyCaravan | None = None
        self.rng = random.Random(seed)
        self.travellers: dict[str, Traveller] = {}
        self.timers: dict[tuple[str, str], Handle] = {}
        self.waiting: dict[tuple[str, int], _Waiting] = {}
        self.sent = 0  # this node's msg_id counter
        self.counts: dict[str, int] = {}

    # -- input ----------------------------------------------------------------------------

    def on_line(self, line: str) -> None:
        """One line of standard input: a message, or something told on standard error."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return
        try:
            message = json.loads(line)
        except (ValueError, RecursionError) as exc:
            self.bad_input(f"a line that is not JSON ({exc}): {line[:_SHOWN]!r}")
            return
        if not isinstance(message, dict):
            self.bad_input(f"a message is a JSON object with src, dest and body: {line[:_SHOWN]!r}")
            return
        src, dest, body = message.get("src"), message.get("dest"), message.get("body")
        if not isinstance(src, str) or not isinstance(dest, str) or not isinstance(body, dict):
            self.bad_input(
                "a message needs 'src' and 'dest' (strings) and 'body' (an object): "
                f"{line[:_SHOWN]!r}"
            )
            return
        kind = body.get("type")
        match kind:
            case "init":
                self._init(src, dest, body)
            case "rider":
                self._rider(src, body)
            case "read" | "write" | "cas":
                self._client(src, dest, body)
            case _:
                self.bad_input(
                    f"a message of unknown type {printable(repr(kind))[:80]} from {src!r}"
                )
                msg_id = _msg_id(body)
                if msg_id is not None and "in_reply_to" not in body:
                    text = f"this node serves init, read, write and cas, not {kind!r}"
                    self._reply(dest, src, msg_id, _error(NOT_SUPPORTED, text))

    def bad_input(self, text: str) -> None:
        self._count("bad input")
        self.log(printable(f"bad input: {text}"))

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def _init(self, src: str, dest: str, body: dict[str, Any]) -> None:
        msg_id = _msg_id(body)
        node_id, node_ids = body.get("node_id"), body.get("node_ids")
        problem = ""
        if not isinstance(node_id, str) or not node_id:
            problem = "init needs 'node_id', this node's id (a string)"
        elif (
            not isinstance(node_ids, list)
            or not all(isinstance(n, str) and n for n in node_ids)
            or len(set(node_ids)) != len(node_ids)
            or node_id not in node_ids
        ):
            problem = (
                "init needs 'node_ids', every node's id once (strings), this node's among them"
            )
        elif any("@" in n for n in node_ids):
            problem = "node ids may not hold '@' (it marks a client's traveller)"
        elif self.node_id is not None and (node_id, tuple(node_ids)) != (
            self.node_id,
            self.node_ids,
        ):
            problem = f"already initialised as {self.node_id} of {list(self.node_ids)}"
        if problem:
            self.bad_input(problem)
            if msg_id is not None:
                self._reply(dest, src, msg_id, _error(MALFORMED, problem))
            return
        assert isinstance(node_id, str) and isinstance(node_ids, list)
        if self.node_id is None:
            self.node_id, self.node_ids = node_id, tuple(node_ids)
            self.rng = random.Random(f"desert-paxos/maelstrom/{self.seed}/{node_id}")
            config = JourneyConfig(base=Config(caravans=self.node_ids), variant=self.variant)
            self.caravan = JourneyCaravan(config, node_id)
            broken = "" if self.variant.name == "paxos" else f", broken variant {self.variant.name}"
            self.log(
                f"init: caravan {node_id} of {', '.join(self.node_ids)} (logbook in memory{broken})"
            )
            self._apply(node_id, self.caravan.on_start())
        if msg_id is not None:
            self._reply(node_id, src, msg_id, {"type": "init_ok"})

    def _rider(self, src: str, body: dict[str, Any]) -> None:
        """A rider from another node's caravan or traveller to ours."""
        if self.caravan is None:
            self.bad_input(f"a rider from {src!r} before init")
            return
        frm, to = body.get("from"), body.get("to")
        if src not in self.node_ids or not isinstance(frm, str) or not isinstance(to, str):
            self.bad_input(f"a rider needs a node as 'src' and 'from'/'to' names, from {src!r}")
            return
        if frm != src and home_of(frm) != src:
            self.bad_input(f"a rider from {src!r} speaks for {frm!r}, who does not live there")
            return
        try:
            msg = message_from_json(body.get("rider"))
        except ValueError as exc:
            self.bad_input(f"a rider from {src!r} that is not one: {exc}")
            return
        self._deliver(frm, to, msg)

    def _client(self, src: str, dest: str, body: dict[str, Any]) -> None:
        msg_id = _msg_id(body)
        kind = str(body.get("type"))
        if msg_id is None:
            self.bad_input(
                f"a {kind} from {src!r} without a whole-number 'msg_id' cannot be answered"
            )
            return
        caravan, node_id = self.caravan, self.node_id
        if caravan is None or node_id is None:
            self._reply(dest, src, msg_id, _error(UNAVAILABLE, "not initialised yet"))
            return
        try:
            command = command_of(body)
        except BadRequest as exc:
            self.bad_input(f"a {kind} from {src!r}: {exc}")
            self._reply(node_id, src, msg_id, _error(MALFORMED, str(exc)))
            return
        if "@" in src:
            text = "a client id may not hold '@'"
            self._reply(node_id, src, msg_id, _error(MALFORMED, text))
            return
        # Definite refusals: the core never sees these requests, so they never take effect.
        if len(self.waiting) >= MAX_WAITING:
            self._count("refused: busy")
            text = f"{MAX_WAITING} requests already waiting here"
            self._reply(node_id, src, msg_id, _error(UNAVAILABLE, text))
            return
        if not caravan.leader.leading and caravan.leader.leader is None:
            self._count("refused: no leader")
            text = "no leader heard of yet; try again"
            self._reply(node_id, src, msg_id, _error(UNAVAILABLE, text))
            return
        name = f"{src}@{node_id}"
        traveller = self.travellers.get(name)
        if traveller is None:
            plan = TravellerPlan(
                name=name,
                operations=(),
                think_low=0,
                think_high=0,
                patience=caravan.config.election_high,
                first=self.node_ids.index(node_id),
            )
            traveller = self.travellers[name] = Traveller(plan, self.node_ids)
            self._apply(name, traveller.on_start())
        effects = traveller.ask(command)
        number = len(traveller.plan.operations)  # the request number it gets (or will)
        waiting = _Waiting(client=src, msg_id=msg_id, kind=kind)
        waiting.deadline = self.loop.call_later(self.timeout_s, lambda: self._expire(name, number))
        self.waiting[(name, number)] = waiting
        self._count(kind)
        self._apply(name, effects)

    # -- output -----------------------------------------------------------------------------

    def _reply(self, src: str, dest: str, msg_id: int, body: dict[str, Any]) -> None:
        self.sent += 1
        out = {"type": body["type"], "msg_id": self.sent, "in_reply_to": msg_id}
        out.update((k, v) for k, v in body.items() if k != "type")
        self.emit({"src": src, "dest": dest, "body": out})

    def _expire(self, name: str, number: int) -> None:
        waiting = self.waiting.pop((name, number), None)
        if waiting is None or self.node_id is None:
            return
        self._count("timed out")
        self.log(f"{name} request {number}: no answer in time; it may still take effect")
        text = "no answer in time: the request may still take effect"
        self._reply(self.node_id, waiting.client, waiting.msg_id, _error(TIMEOUT, text))

    def _complete(self, name: str, number: int, result: Result) -> None:
        waiting = self.waiting.pop((name, number), None)
        if waiting is None or self.node_id is None:
            if self.verbose:
                self.log(f"{name} request {number}: answered after its client stopped waiting")
            return
        if waiting.deadline is not None:
            waiting.deadline.cancel()
        self._count("answered")
        self._reply(self.node_id, waiting.client, waiting.msg_id, reply_of(waiting.kind, result))

    # -- the core's riders and effects ------------------------------------------------------

    def _deliver(self, src: str, dst: str, msg: JourneyMessage) -> None:
        caravan = self.caravan
        assert caravan is not None
        if dst == self.node_id:
            if src not in self.node_ids and not isinstance(msg, Request):
                self.bad_input(f"a traveller {src!r} may only send a request, not {msg!r}")
                return
            self._apply(dst, caravan.on_message(src, msg))
            return
        traveller = self.travellers.get(dst)
        if traveller is None or not isinstance(msg, Response) or src not in self.node_ids:
            if self.verbose:
                self.log(f"a rider for {dst!r} from {src!r} that nobody here takes: {msg!r}")
            return
        self._apply(dst, traveller.on_message(src, msg))

    def _send(self, src: str, dst: str, msg: Any) -> None:  # a journey rider (Send.msg: Any)
        node = dst if dst in self.node_ids else home_of(dst)
        if node == self.node_id:  # to itself: delivered on the loop, after this handler
            self.loop.call_soon(lambda: self._deliver(src, dst, msg))
        elif node in self.node_ids:
            assert self.node_id is not None and node is not None
            body = {"type": "rider", "from": src, "to": dst, "rider": message_to_json(msg)}
            self.emit({"src": self.node_id, "dest": node, "body": body})
        elif self.verbose:
            self.log(f"a rider for {dst!r}, who lives on no node: dropped")

    def _apply(self, owner: str, effects: list[JourneyEffect]) -> None:
        """Apply ``owner``'s effects in order (owner: this caravan or one of its travellers)."""
        for effect in effects:
            match effect:
                case Send(dst=dst, msg=msg):
                    self._send(owner, dst, msg)
                case SetTimer(name=name, low=low, high=high):
                    ticks = low if high <= low else low + int(self.rng.random() * (high - low + 1))
                    old = self.timers.pop((owner, name), None)
                    if old is not None:
                        old.cancel()
                    self.timers[(owner, name)] = self.loop.call_later(
                        ticks * self.tick_s, self._firing(owner, name)
                    )
                case CancelTimer(name=name):
                    handle = self.timers.pop((owner, name), None)
                    if handle is not None:
                        handle.cancel()
                case Persist():
                    pass  # the logbook is the caravan's record, kept in memory (see above)
                case Complete(command=command, result=result):
                    self._complete(command.traveller, command.request, result)
                case Elected(ballot=ballot, first=first, filled=filled):
                    self._count("elected")
                    rest = f", rest days on {list(filled)}" if filled else ""
                    self.log(
                        f"{owner} leads under banner {ballot.round}.{ballot.caravan} "
                        f"from night {first}{rest}"
                    )
                case Invoke(command=command, caravan=caravan, retry=retry):
                    if retry:
                        self._count("retried")
                    if self.verbose:
                        again = "again " if retry else ""
                        self.log(f"{owner} asks {caravan} {again}(request {command.request})")
                case Executed(slot=slot, command=command):
                    if self.verbose:
                        self.log(f"{owner} executed night {slot}: {command}")

    def _firing(self, owner: str, name: str) -> Callable[[], None]:
        return lambda: self._fire(owner, name)

    def _fire(self, owner: str, name: str) -> None:
        self.timers.pop((owner, name), None)
        if owner == self.node_id and self.caravan is not None:
            self._apply(owner, self.caravan.on_timer(name))
            return
        traveller = self.travellers.get(owner)
        if traveller is not None:
            self._apply(owner, traveller.on_timer(name))

    def close(self) -> None:
        """Cancel every timer (the input ended)."""
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()
        for waiting in self.waiting.values():
            if waiting.deadline is not None:
                waiting.deadline.cancel()


def _error(code: int, text: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "text": text}
