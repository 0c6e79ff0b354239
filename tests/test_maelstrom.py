"""The Maelstrom node: its protocol framing, and three real nodes under partitions.

The framing tests drive :class:`MaelstromNode` in-process on a fake loop (timers
fire when the test says), and one real process on piped input. The cluster test
is a small Maelstrom of our own: three ``desert-paxos maelstrom-node`` processes,
a router that carries their messages to each other (and withholds those across a
partition for a while), clients issuing read/write/cas on several keys at once,
and the clients' history checked by the project's linearizability checker.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import queue
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from desert_paxos.check._linearizable import check_events
from desert_paxos.maelstrom._node import (
    KEY_MISSING,
    MALFORMED,
    NOT_SUPPORTED,
    PRECONDITION_FAILED,
    TIMEOUT,
    UNAVAILABLE,
    MaelstromNode,
)

# -- in-process: a fake loop --------------------------------------------------------------


class _Handle:
    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """Timers fire only inside :meth:`run`, in time order (ties: in the order set)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.heap: list[tuple[float, int, _Handle]] = []
        self.seq = 0

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _Handle:
        handle = _Handle(self.now + delay, callback)
        self.seq += 1
        heapq.heappush(self.heap, (handle.when, self.seq, handle))
        return handle

    def call_soon(self, callback: Callable[[], object], /) -> _Handle:
        return self.call_later(0.0, callback)

    def run(self, seconds: float) -> None:
        until = self.now + seconds
        while self.heap and self.heap[0][0] <= until:
            when, _, handle = heapq.heappop(self.heap)
            self.now = when
            if not handle.cancelled:
                handle.callback()
        self.now = until


@dataclass
class Harness:
    loop: FakeLoop = field(default_factory=FakeLoop)
    out: list[dict[str, Any]] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    node: MaelstromNode = field(init=False)

    def __post_init__(self) -> None:
        self.node = MaelstromNode(self.loop, self.out.append, self.err.append, tick_ms=1)

    def send(self, body: dict[str, Any], src: str = "c1") -> list[dict[str, Any]]:
        before = len(self.out)
        self.node.on_line(json.dumps({"src": src, "dest": "n1", "body": body}))
        return self.out[before:]

    def init(self, nodes: tuple[str, ...] = ("n1",)) -> None:
        (reply,) = self.send(
            {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": list(nodes)}, "c0"
        )
        assert reply["body"]["type"] == "init_ok"

    def ask(self, body: dict[str, Any], seconds: float = 0.2) -> dict[str, Any]:
        """One client request, the loop run until its answer; returns the answer's body."""
        before = len(self.out)
        self.node.on_line(json.dumps({"src": "c1", "dest": "n1", "body": body}))
        self.loop.run(seconds)
        answers = [m for m in self.out[before:] if m["body"].get("in_reply_to") == body["msg_id"]]
        assert len(answers) == 1, self.out[before:]
        assert answers[0]["dest"] == "c1" and answers[0]["src"] == "n1"
        return dict(answers[0]["body"])


def test_init_is_answered_with_init_ok_and_its_msg_id() -> None:
    h = Harness()
    (reply,) = h.send({"type": "init", "msg_id": 7, "node_id": "n1", "node_ids": ["n1", "n2"]})
    assert reply == {
        "src": "n1",
        "dest": "c1",
        "body": {"type": "init_ok", "msg_id": 1, "in_reply_to": 7},
    }
    assert h.node.caravan is not None and h.node.caravan.config.caravans == ("n1", "n2")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n2"]}, "node_ids"),
        ({"type": "init", "msg_id": 1, "node_ids": ["n1"]}, "node_id"),
        ({"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1", "n1"]}, "once"),
        ({"type": "init", "msg_id": 1, "node_id": "a@b", "node_ids": ["a@b"]}, "'@'"),
    ],
)
def test_a_bad_init_is_told_and_answered_with_error_12(body: dict[str, Any], said: str) -> None:
    h = Harness()
    (reply,) = h.send(body)
    assert reply["body"]["type"] == "error" and reply["body"]["code"] == MALFORMED
    assert said in h.err[-1] and h.node.caravan is None


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "{",
        "[1, 2]",
        '{"src": "c1", "body": {}}',
        '{"src": "c1", "dest": "n1", "body": 3}',
        "[" * 100_000,
    ],
)
def test_malformed_lines_are_told_on_stderr_and_the_node_goes_on(line: str) -> None:
    h = Harness()
    h.node.on_line(line)
    assert h.out == []
    assert len(h.err) == 1 and h.err[0].startswith("bad input: ")
    assert len(h.err[0]) < 400  # one line, the bad input shown only in part
    h.init()  # still serving


def test_an_unknown_type_gets_error_10_and_a_reply_without_msg_id_is_only_told() -> None:
    h = Harness()
    h.init()
    (reply,) = h.send({"type": "echo", "msg_id": 5, "echo": "hi"})
    assert reply["body"]["code"] == NOT_SUPPORTED and reply["body"]["in_reply_to"] == 5
    assert "unknown type 'echo'" in h.err[-1]
    assert h.send({"type": "gossip"}) == []
    assert h.send({"type": "read_ok", "msg_id": 3, "in_reply_to": 2}) == []
    assert sum(line.startswith("bad input") for line in h.err) == 3


def test_requests_before_init_or_before_any_leader_get_11_and_never_reach_the_core() -> None:
    h = Harness()
    (early,) = h.send({"type": "write", "msg_id": 2, "key": 1, "value": 3})
    assert early["body"]["code"] == UNAVAILABLE
    h.init(("n1", "n2", "n3"))
    (no_leader,) = h.send({"type": "read", "msg_id": 3, "key": 1})
    assert no_leader["body"]["code"] == UNAVAILABLE and "no leader" in no_leader["body"]["text"]
    assert h.node.travellers == {} and h.node.waiting == {}


def test_one_node_serves_lin_kv_through_its_log() -> None:
    h = Harness()
    h.init()
    h.loop.run(0.5)  # the election timeout (150..300 ticks of 1 ms): it leads alone
    assert h.node.caravan is not None and h.node.caravan.leader.leading
    assert h.ask({"type": "read", "msg_id": 10, "key": 1})["code"] == KEY_MISSING
    assert h.ask({"type": "cas", "msg_id": 11, "key": 1, "from": 1, "to": 2})["code"] == KEY_MISSING
    assert h.ask({"type": "write", "msg_id": 12, "key": 1, "value": 5})["type"] == "write_ok"
    assert h.ask({"type": "write", "msg_id": 13, "key": "1", "value": 9})["type"] == "write_ok"
    failed = h.ask({"type": "cas", "msg_id": 14, "key": 1, "from": 4, "to": 6})
    assert failed["code"] == PRECONDITION_FAILED
    assert h.ask({"type": "cas", "msg_id": 15, "key": 1, "from": 5, "to": 6})["type"] == "cas_ok"
    read = h.ask({"type": "read", "msg_id": 16, "key": 1})
    assert read["type"] == "read_ok" and read["value"] == 6  # key 1, not "1"
    assert h.ask({"type": "read", "msg_id": 17, "key": "1"})["value"] == 9
    assert h.node.caravan.replica.executed == 8  # every request went through the log, once


@pytest.mark.parametrize(
    "body",
    [
        {"type": "write", "msg_id": 4, "key": 1, "value": "five"},
        {"type": "write", "msg_id": 4, "key": 1, "value": True},
        {"type": "write", "msg_id": 4, "value": 1},
        {"type": "cas", "msg_id": 4, "key": 1, "from": 1},
    ],
)
def test_a_malformed_request_gets_error_12(body: dict[str, Any]) -> None:
    h = Harness()
    h.init()
    h.loop.run(0.5)
    (reply,) = h.send(body)
    assert reply["body"]["code"] == MALFORMED and "bad input" in h.err[-1]


def test_a_request_without_an_answer_in_time_gets_error_0_and_may_still_take_effect() -> None:
    h = Harness()
    h.init(("n1", "n2", "n3"))
    h.loop.run(0.5)  # it stands for election: its riders to n2 and n3 go nowhere
    h.node.caravan.leader.leader = "n2"  # type: ignore[union-attr]  # as if n2 were heard of
    answer = h.ask({"type": "write", "msg_id": 9, "key": 1, "value": 3}, seconds=2.5)
    assert answer["code"] == TIMEOUT and "may still take effect" in answer["text"]
    assert h.node.waiting == {}


def test_riders_that_are_not_riders_are_told_and_ignored() -> None:
    h = Harness()
    h.init(("n1", "n2"))
    assert h.send({"type": "rider", "from": "n2", "to": "n1", "rider": {"type": "x"}}, "n2") == []
    assert "not one" in h.err[-1]
    assert h.send({"type": "rider", "from": "n3", "to": "n1", "rider": {}}, "n2") == []
    assert "does not live there" in h.err[-1]
    assert h.send({"type": "rider", "from": "n2", "to": "n1"}, "c9") == []
    assert h.send({"type": "rider", "to": "n1"}, "n2") == []


# -- real processes --------------------------------------------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).with_name("desert-paxos")
    if script.exists():
        return [str(script), "maelstrom-node"]
    found = shutil.which("desert-paxos")
    return [found, "maelstrom-node"] if found else [sys.executable, "-m", "desert_paxos"]


def test_the_process_tells_bad_lines_on_stderr_and_ends_on_eof() -> None:
    lines = [
        b"not json\n",
        b"\xff\xfe not utf-8\n",
        b'{"src": "c0", "dest": "n1", "body": {"type": "init", "msg_id": 1, '
        b'"node_id": "n1", "node_ids": ["n1"]}}\n',
        b'{"src": "c1", "dest": "n1", "body": {"type": "bogus", "msg_id": 2}}\n',
        b"\n",
    ]
    done = subprocess.run(
        [*_command(), "--tick-ms", "1"],
        input=b"".join(lines),
        capture_output=True,
        timeout=20,
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [m["body"]["type"] for m in out] == ["init_ok", "error"]
    assert out[1]["body"]["code"] == NOT_SUPPORTED
    err = done.stderr.decode()
    assert (
        err.count(": bad input: ") == 3
        and "bad input 3" in err
        and "not UTF-8" in err
        and "input ended" in err
    )
    assert "Traceback" not in err


NODES = ("n1", "n2", "n3")
RUN_S = 9.0  # clients issue requests for this long
DRAIN_S = 2.5  # then wait this long at most for the last answers
CLIENT_PATIENCE_S = 2.5  # a client stops waiting (the node answers 0 after 1.5 s)
# Sandstorms: (from, to, the nodes cut off from the others), seconds after the start.
SANDSTORMS = ((1.5, 3.0, {"n1"}), (4.0, 5.5, {"n2"}), (6.5, 8.0, {"n3"}))
STARTUP_S = 30.0  # at most this long for the three nodes to answer init (a busy machine)
NODE_ARGS = ("--tick-ms", "2", "--timeout-ms", "1500", "--seed", "7")


@dataclass
class Client:
    """A Maelstrom client bound to one node: one request at a time, as Jepsen's processes."""

    node: str
    name: str
    process: int
    pending: tuple[int, int, float] | None = None  # msg_id, history index, sent at
    msg_id: int = 0
    ready_at: float = 0.0


@dataclass
class Outcome:
    events: list[dict[str, Any]]
    codes: dict[int, int]
    dropped: int
    inits: int


Start = Callable[..., list["subprocess.Popen[bytes]"]]


@pytest.fixture
def start_cluster(tmp_path: Path) -> Iterator[Start]:
    """Starts the three nodes (extra arguments for each); every one is stopped at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []

    def start(*extra: str) -> list[subprocess.Popen[bytes]]:
        for name in NODES:
            log = (tmp_path / f"{name}.stderr").open("wb")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [*_command(), *NODE_ARGS, *extra],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                )
            )
        return list(procs)

    try:
        yield start
    finally:
        for proc in procs:
            if proc.stdin is not None and not proc.stdin.closed:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


def _pump(name: str, stream: IO[bytes], inbox: queue.Queue[tuple[str, bytes]]) -> None:
    for line in stream:
        inbox.put((name, line))


Island = Callable[[float], set[str]]  # the nodes cut off from the others at a moment


def fixed_sandstorms(now: float) -> set[str]:
    for start, end, island in SANDSTORMS:
        if start <= now < end:
            return island
    return set()


class LeaderSandstorms:
    """Cut off whichever node leads (the highest banner its log tells) in each window."""

    def __init__(self, logs: Path, windows: tuple[tuple[float, float], ...]) -> None:
        self.logs, self.windows = logs, windows
        self.islands: dict[int, set[str]] = {}

    def leader(self) -> str:
        best = (0, "")
        for name in NODES:
            text = (self.logs / f"{name}.stderr").read_text(errors="replace")
            for match in re.finditer(r"leads under banner (\d+)\.", text):
                best = max(best, (int(match.group(1)), name))
        return best[1]

    def __call__(self, now: float) -> set[str]:
        for i, (start, end) in enumerate(self.windows):
            if start <= now < end:
                if i not in self.islands:
                    self.islands[i] = {self.leader()}
                return self.islands[i]
        return set()


MIX = ("read", "read", "write", "cas", "cas")


def _play(
    cluster: list[subprocess.Popen[bytes]],
    rng: random.Random,
    island_at: Island,
    mix: tuple[str, ...] = MIX,
    run_s: float = RUN_S,
) -> Outcome:
    """Route the nodes' messages, play six clients against them, record the history."""
    procs = dict(zip(NODES, cluster, strict=True))
    inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
    for name, proc in procs.items():
        assert proc.stdout is not None
        threading.Thread(target=_pump, args=(name, proc.stdout, inbox), daemon=True).start()

    def deliver(dest: str, message: dict[str, Any]) -> None:
        stdin = procs[dest].stdin
        assert stdin is not None
        stdin.write((json.dumps(message) + "\n").encode())
        stdin.flush()

    for i, name in enumerate(NODES):
        body = {"type": "init", "msg_id": i + 1, "node_id": name, "node_ids": list(NODES)}
        deliver(name, {"src": "c0", "dest": name, "body": body})

    out = Outcome([], {}, 0, 0)
    started = time.monotonic()
    while out.inits < len(NODES):  # the play starts when every node is up, as in Maelstrom
        src, line = inbox.get(timeout=max(0.1, STARTUP_S - (time.monotonic() - started)))
        message = json.loads(line)
        if message["dest"] in procs:  # a node that is up already stands for election
            deliver(message["dest"], message)
            continue
        assert message["dest"] == "c0" and message["body"]["type"] == "init_ok", message
        out.inits += 1

    history: list[dict[str, Any] | None] = []
    clients = {f"c{i + 1}": Client(NODES[i % 3], f"c{i + 1}", i) for i in range(6)}
    made = len(clients)  # clients (and history processes) so far
    start = time.monotonic()

    def finish(client: Client, **fields: Any) -> dict[str, Any]:
        """Complete the client's pending operation; an unknown outcome retires the client
        (its process invokes nothing more; a new client and process take its place)."""
        nonlocal made
        assert client.pending is not None
        invoke = history[client.pending[1]]
        assert invoke is not None
        client.pending = None
        client.ready_at = time.monotonic() - start + rng.random() * 0.02
        done = {"process": client.process, "f": invoke["f"], "key": invoke["key"], **fields}
        if fields.get("type") == "info":
            del clients[client.name]
            made += 1
            clients[f"c{made}"] = Client(client.node, f"c{made}", made - 1)
        return done

    while True:
        now = time.monotonic() - start
        if now > run_s + DRAIN_S or (
            now > run_s and all(c.pending is None for c in clients.values())
        ):
            break
        for client in list(clients.values()):
            if client.pending is not None and now - client.pending[2] > CLIENT_PATIENCE_S:
                history.append(finish(client, type="info"))
            elif client.pending is None and now < run_s and now >= client.ready_at:
                client.msg_id += 1
                key = rng.randrange(3)
                f = rng.choice(mix)
                body: dict[str, Any] = {"type": f, "msg_id": client.msg_id, "key": key}
                event: dict[str, Any] = {
                    "process": client.process,
                    "type": "invoke",
                    "f": f,
                    "key": key,
                }
                if f == "write":
                    body["value"] = event["value"] = rng.randrange(5)
                elif f == "cas":
                    body["from"], body["to"] = rng.randrange(5), rng.randrange(5)
                    event["value"] = [body["from"], body["to"]]
                client.pending = (client.msg_id, len(history), now)
                history.append(event)
                deliver(client.node, {"src": client.name, "dest": client.node, "body": body})
        try:
            src, line = inbox.get(timeout=0.005)
        except queue.Empty:
            continue
        message = json.loads(line)  # a line that is not JSON fails the test here
        assert message["src"] == src
        dest, body = message["dest"], message["body"]
        if dest in procs:
            assert body["type"] == "rider"
            island = island_at(time.monotonic() - start)
            if (src in island) != (dest in island):
                out.dropped += 1  # withheld: the sandstorm between them
            else:
                deliver(dest, message)
            continue
        waiting = clients.get(dest)
        if waiting is None or waiting.pending is None:
            continue  # a client that stopped waiting
        if body.get("in_reply_to") != waiting.pending[0]:
            continue
        f = body["type"]
        if f != "error":
            assert f == f"{history[waiting.pending[1]]['f']}_ok", body  # type: ignore[index]
            value = {"value": body["value"]} if f == "read_ok" else {}
            history.append(finish(waiting, type="ok", **value))
            continue
        code = body["code"]
        out.codes[code] = out.codes.get(code, 0) + 1
        index = waiting.pending[1]
        if code == UNAVAILABLE:  # definite: it never happened, so it is left out
            finish(waiting)
            history[index] = None
        elif code == TIMEOUT:  # indefinite: it may have happened
            history.append(finish(waiting, type="info"))
        elif history[index]["f"] == "read":  # type: ignore[index]
            assert code == KEY_MISSING, body
            history.append(finish(waiting, type="ok", value=None))
        else:
            assert code in (KEY_MISSING, PRECONDITION_FAILED), body
            history.append(finish(waiting, type="fail"))
    out.events = [e for e in history if e is not None]
    return out


def test_three_nodes_under_sandstorms_stay_linearizable(
    start_cluster: Start, tmp_path: Path
) -> None:
    cluster = start_cluster()
    out = _play(cluster, random.Random(12), fixed_sandstorms)
    (tmp_path / "history.jsonl").write_text("".join(json.dumps(e) + "\n" for e in out.events))
    result = check_events(out.events, timeout=20)
    counts = result.counts()
    print(f"maelstrom harness: {counts}, error codes {out.codes}, riders withheld {out.dropped}")
    assert out.inits == 3
    assert out.dropped > 0  # the sandstorms did cut riders
    assert set(out.codes) <= {TIMEOUT, UNAVAILABLE, KEY_MISSING, PRECONDITION_FAILED}
    assert result.verdict == "linearizable", (result.first_unplaceable, tmp_path / "history.jsonl")
    # about 1,500-2,000 on a quiet machine of 2 cores, 200-600 when it is busy
    assert counts["ok"] + counts["fail"] >= 60, counts

    for proc in cluster:  # the input ends: every node ends by itself, at once
        assert proc.stdin is not None
        proc.stdin.close()
    for proc in cluster:
        assert proc.wait(timeout=10) == 0
    for name in NODES:
        err = (tmp_path / f"{name}.stderr").read_text()
        assert "Traceback" not in err and "bad input" not in err, err[-2000:]
        assert "input ended" in err


def test_the_harness_catches_a_leader_that_reads_without_a_quorum(
    start_cluster: Start, tmp_path: Path
) -> None:
    """The same play against the broken ``stale-read`` journey: a leader cut off by a
    sandstorm keeps answering reads from its own supplies while the others move on. The
    sandstorms here cut off whichever node leads, so the play meets the broken rule."""
    storms = LeaderSandstorms(tmp_path, ((1.5, 3.5), (4.0, 6.0)))
    # Mostly reads, and a node gives up on a request after 0.3 s, so the clients of the node
    # cut off are not all stuck on a write while the others move on.
    cluster = start_cluster("--variant", "stale-read", "--timeout-ms", "300")
    mix = ("read", "read", "read", "read", "write", "cas")
    out = _play(cluster, random.Random(12), storms, mix, run_s=6.0)
    (tmp_path / "history.jsonl").write_text("".join(json.dumps(e) + "\n" for e in out.events))
    result = check_events(out.events, timeout=20)
    assert all(storms.islands.get(i) for i in (0, 1)), storms.islands  # a leader was cut off
    assert result.verdict == "not linearizable", (result.counts(), out.codes, storms.islands)
    assert result.first_unplaceable is not None
