"""The coordinator of a real desert (``desert-paxos desert up``): processes, script, end.

Theory of operation
-------------------
The coordinator plays the simulator's *desert*, never a caravan. It

1. binds one UDP socket on 127.0.0.1 per caravan and keeps it for the whole
   run: each caravan process gets it as an open file descriptor, so a
   caravan restarted after a collapse listens on the same port, and riders
   that reach it while it is down wait in the socket (the next incarnation
   tells them lost to a collapsed caravan);
2. writes ``DIR/desert.json`` and starts one process per caravan
   (``python -m desert_paxos.desert caravan NAME --dir DIR``, the program of
   ``desert-paxos caravan``), each in its own session, and waits until every
   one has read its logbook (``ready``); then it takes the moment as tick 0
   of the shared clock and starts them all;
3. plays the scenario's proposals and timeline at their ticks in wall-clock
   time, and the commands that come through the control channel at once: a
   collapse is ``SIGKILL`` (told once the process is gone), a recovery starts
   a new process from the logbook (told once it has read it), a sandstorm or
   the calm sets every caravan's partition, a network change every caravan's
   link rules;
4. ends as ``run`` does: ``quiet`` when nothing is left in the script, no
   caravan is getting up, no caravan holds a rider, and either every caravan
   on its feet knows the decision or no quorum is on its feet; ``until`` past
   the last tick; ``limit`` past the wall-clock limit (``--max-seconds``);
   ``down`` when told so; ``interrupted`` on Ctrl-C or SIGTERM;
5. stops every process it started, whatever happened (``finally``): ``stop``
   on their standard input, then ``SIGKILL`` to each process's session.
   A caravan also ends by itself when the coordinator's process is gone.

The coordinator writes its own events (header, proposals, sandstorms, calm,
collapses, recoveries, notes) to ``DIR/coordinator.jsonl`` with the same
builders and shapes as the simulator; ``desert merge`` joins them to the
caravans' parts.

A caravan that dies without being told to (the test hook, an unwritable
logbook, a bug) is told as a collapse; ``revive`` restarts such a caravan
that many ticks later. One that cannot even get up (a corrupt logbook) ends
the desert with its error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

from ..protocol import AcceptorRecord
from ..scenario import Network, Scenario, TimelineEvent
from ..sim._events import header_event, record_fields
from ._clock import Clock, PartWriter
from ._control import new_token, parse_groups, remove_control_file, write_control_file
from ._logbook import record_from_json
from ._setup import DesertSetup, write_setup

__all__ = [
    "COORDINATOR_PART",
    "DEFAULT_MAX_SECONDS",
    "DEFAULT_TICK_MS",
    "Coordinator",
    "DesertOutcome",
    "Forked",
    "kill_session",
]

COORDINATOR_PART = "coordinator.jsonl"
DEFAULT_TICK_MS = 5
# A whole `desert up` ends (reason "limit") after this long, whatever the scenario says.
DEFAULT_MAX_SECONDS = 120.0
_READY_TIMEOUT = 60.0  # seconds a caravan process may take to read its logbook and say so
_STOP_GRACE = 2.0  # seconds the caravans get to stop before they are killed
_REAP_POLL = 0.01  # seconds between two looks at a forked caravan's exit
_MAX_FD = 65536


@dataclass(slots=True)
class Member:
    """One caravan's place in the desert: its socket, and its current process if any."""

    name: str
    sock: socket.socket
    incarnation: int = -1
    proc: asyncio.subprocess.Process | Forked | None = None
    state: str = "down"  # "starting" | "up" | "down"
    knows: str | None = None
    held: int = 0
    killing: bool = False
    ready: asyncio.Future[dict[str, Any]] | None = None
    revive_at: int | None = None
    crashes: int = 0
    restarts: int = 0


@dataclass(slots=True)
class DesertOutcome:
    reason: str
    alive: dict[str, bool]
    crashes: int
    restarts: int
    seconds: float
    error: str | None = None
    stderr: list[str] = field(default_factory=list)


class Coordinator:
    def __init__(
        self,
        scenario: Scenario,
        folder: Path,
        *,
        seed: int,
        until: int,
        tick_ms: int = DEFAULT_TICK_MS,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        revive: int | None = None,
        spawn: str = "fork",
        log: IO[str] | None = None,
    ) -> None:
        self.scenario = scenario
        self.spawn = spawn  # "fork": from this process; "exec": a new interpreter
        self.folder = folder
        self.seed = seed
        self.until = until
        self.tick_ms = tick_ms
        self.max_seconds = max_seconds
        self.revive = revive
        self.log = log if log is not None else sys.stderr
        self.config = scenario.config()
        self.names = self.config.caravans
        self.members: dict[str, Member] = {}
        self.part = PartWriter(folder / COORDINATOR_PART, None)
        self.clock: Clock | None = None
        self.groups: list[list[str]] | None = None
        self.network: Network = scenario.network
        self.network_changed = False
        self.script_pending = 0
        self.reason: str | None = None
        self.ended_ns = 0  # when the end was decided, on the shared clock
        self.error: str | None = None
        self.started = time.monotonic()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.pids: set[int] = set()

    # -- the run ------------------------------------------------------------------------

    async def run(self) -> DesertOutcome:
        loop = asyncio.get_running_loop()
        deadline = self.started + self.max_seconds
        server: asyncio.Server | None = None
        main = asyncio.current_task()
        if main is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGTERM, main.cancel)
        try:
            self._bind()
            setup = DesertSetup(
                scenario=self.scenario,
                seed=self.seed,
                until=self.until,
                tick_ms=self.tick_ms,
                ports={name: m.sock.getsockname()[1] for name, m in self.members.items()},
                coordinator_pid=os.getpid(),
            )
            write_setup(self.folder, setup)
            for member in self.members.values():
                self._spawn(member)
            timeout = max(0.1, min(_READY_TIMEOUT, deadline - time.monotonic()))
            readies = [m.ready for m in self.members.values() if m.ready is not None]
            done, _ = await asyncio.wait(readies, timeout=timeout)
            if self.error is None and len(done) < len(readies):
                late = [m.name for m in self.members.values() if m.state == "starting"]
                self.error = (
                    f"{', '.join(late)} did not start within {timeout:.0f} s "
                    "(the machine may be very busy: try a larger --max-seconds)"
                )
            if self.error is not None:
                self.reason = "error"
                return self._outcome()
            self._begin()
            token = new_token()
            server = await asyncio.start_server(
                lambda r, w: self._serve(r, w, token), "127.0.0.1", 0
            )
            port = server.sockets[0].getsockname()[1]
            write_control_file(self.folder, port, token)
            self._lay_script()
            await self._watch(deadline)
            return self._outcome()
        except asyncio.CancelledError:
            self.reason = self.reason or "interrupted"
            return self._outcome()
        finally:
            self.ended_ns = self.ended_ns or time.monotonic_ns()
            remove_control_file(self.folder)
            if server is not None:
                server.close()
            await self._stop_all()
            self._finish()  # after the caravans' last events: the end is the last line
            for member in self.members.values():
                member.sock.close()
            for task in list(self.tasks):
                task.cancel()
            self.part.close()

    def _outcome(self) -> DesertOutcome:
        return DesertOutcome(
            reason=self.reason or "interrupted",
            alive={name: m.state == "up" for name, m in self.members.items()},
            crashes=sum(m.crashes for m in self.members.values()),
            restarts=sum(m.restarts for m in self.members.values()),
            seconds=time.monotonic() - self.started,
            error=self.error,
        )

    def _bind(self) -> None:
        for name in self.names:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            sock.set_inheritable(True)
            self.members[name] = Member(name, sock)

    def _begin(self) -> None:
        """Tick 0: tell the header, and start every caravan on the shared clock."""
        epoch = time.monotonic_ns()
        self.clock = Clock(epoch, self.tick_ms)
        self.part({"kind": "desert", "epoch_ns": epoch, "tick_ms": self.tick_ms})
        self.part.set_clock(self.clock)
        header = header_event(self.scenario, self.seed, self.until, self.config)
        header["tick_ms"] = self.tick_ms  # the real desert's tick, in milliseconds
        self.part(header)
        for member in self.members.values():
            self._start(member)

    def _tick(self) -> int:
        assert self.clock is not None
        return self.clock.tick()

    def _tell(self, event: dict[str, Any]) -> None:
        self.part(event)

    def _note(self, node: str, text: str) -> None:
        self._tell({"kind": "note", "node": node, "text": text})

    def _finish(self) -> None:
        """The last line: why the desert ended, and when (``at_ns``: before the caravans stopped)."""
        if self.clock is not None:
            at = self.ended_ns or time.monotonic_ns()
            self.part({"kind": "desert_end", "reason": self.reason or "interrupted", "at_ns": at})

    async def _watch(self, deadline: float) -> None:
        """Wait until the desert ends; set ``self.reason``."""
        poll = max(0.005, min(0.05, 2 * self.tick_ms / 1000))
        quiet_polls = 0
        while self.reason is None:
            await asyncio.sleep(poll)
            if self.error is not None:
                self.reason = "error"
            elif time.monotonic() >= deadline:
                self.reason = "limit"
            elif self._tick() > self.until:
                self.reason = "until"
            else:
                self._revive_due()
                quiet_polls = quiet_polls + 1 if self._quiet() else 0
                if quiet_polls >= 3:  # settled for three looks: no report is on its way
                    self.reason = "quiet"

    def _quiet(self) -> bool:
        members = self.members.values()
        if self.script_pending or any(m.state == "starting" or m.killing for m in members):
            return False
        if any(m.revive_at is not None for m in members):
            return False
        live = [m for m in members if m.state == "up"]
        if any(m.held for m in live):
            return False
        knowing = sum(1 for m in live if m.knows is not None)
        if knowing == len(live):
            return True
        needed = max(self.config.phase1_quorum, self.config.phase2_quorum)
        return knowing == 0 and len(live) < needed

    # -- processes -------------------------------------------------------------------------

    def _spawn(self, member: Member) -> None:
        member.incarnation += 1
        member.state = "starting"
        member.knows, member.held = None, 0
        member.ready = asyncio.get_running_loop().create_future()
        self._task(self._run_process(member, member.incarnation))

    def _task(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run_process(self, member: Member, incarnation: int) -> None:
        proc: asyncio.subprocess.Process | Forked
        if self.spawn == "fork":
            proc = await self._fork(member, incarnation)
        else:
            proc = await self._exec(member, incarnation)
        member.proc = proc
        self.pids.add(proc.pid)
        assert proc.stdout is not None
        try:
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                self._report(member, proc, line)
            code = await proc.wait()
        finally:
            self.pids.discard(proc.pid)
        if member.proc is proc:
            self._ended(member, code)

    async def _fork(self, member: Member, incarnation: int) -> Forked:
        """A caravan process forked from this one: it loads nothing, so it gets up at once."""
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err = os.open(self.folder / f"{member.name}.err", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        pid = os.fork()
        if pid == 0:  # the child: it becomes the caravan and never comes back here
            _become_caravan(
                member.name, self.folder, incarnation, member.sock.fileno(), in_r, out_w, err
            )
        for fd in (in_r, out_w, err):
            os.close(fd)
        os.set_blocking(in_w, False)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(out_r, "rb", buffering=0)
        )
        return Forked(pid, in_w, reader)

    async def _exec(self, member: Member, incarnation: int) -> asyncio.subprocess.Process:
        """A caravan process started as a new interpreter: ``desert-paxos caravan``'s program."""
        fd = member.sock.fileno()
        command = [
            sys.executable,
            "-m",
            "desert_paxos.desert",
            "caravan",
            member.name,
            "--dir",
            str(self.folder),
            "--incarnation",
            str(incarnation),
            "--fd",
            str(fd),
        ]
        errors = open(self.folder / f"{member.name}.err", "ab")  # noqa: SIM115 - closed below
        try:
            proc = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
                pass_fds=(fd,),
                start_new_session=True,
            )
        finally:
            errors.close()
        return proc

    def _report(
        self, member: Member, proc: asyncio.subprocess.Process | Forked, line: bytes
    ) -> None:
        if member.proc is not proc:
            return
        try:
            report = json.loads(line)
        except ValueError:
            return
        if not isinstance(report, dict):
            return
        ready = member.ready
        if report.get("ready") and member.state == "starting" and ready is not None:
            if ready.done():
                return
            ready.set_result(report)
            if self.clock is not None:  # a recovery: the desert is already under way
                self._recovered(member, report)
        elif "decided" in report and member.state == "up":
            member.knows = str(report["decided"])
        elif "held" in report and member.state == "up":
            member.held = int(report["held"])

    def _ended(self, member: Member, code: int) -> None:
        """A caravan's process is gone."""
        if member.killing:
            return  # a collapse we caused: told by _crash
        was = member.state
        member.state, member.knows, member.held, member.proc = "down", None, 0, None
        if member.ready is not None and not member.ready.done():
            member.ready.cancel()
        if was == "starting":
            if self.reason is None and self.error is None:
                self.error = self._error_of(member, code)
            return
        if was != "up" or self.reason is not None:
            return
        member.crashes += 1
        self._tell({"kind": "crash", "node": member.name})
        if code != -signal.SIGKILL:
            self._note(member.name, f"{member.name}'s process ended by itself (exit {code})")
            print(self._error_of(member, code), file=self.log)
        if self.revive is not None:
            member.revive_at = self._tick() + self.revive

    def _error_of(self, member: Member, code: int) -> str:
        lines: list[str] = []
        with contextlib.suppress(OSError):
            text = (self.folder / f"{member.name}.err").read_text("utf-8", "replace")
            lines = [line for line in text.splitlines() if line.strip()]
        told = lines[-1] if lines else f"its process ended with exit code {code}"
        return f"caravan {member.name} could not go on: {told}"

    def _start(self, member: Member) -> None:
        """Tell a ready caravan the clock, the sandstorm and the network: it is on its feet."""
        assert self.clock is not None
        member.state = "up"
        start: dict[str, Any] = {
            "cmd": "start",
            "epoch_ns": self.clock.epoch_ns,
            "groups": self.groups,
            "network": self.network.to_json() if self.network_changed else None,
        }
        self._command(member, start)

    def _recovered(self, member: Member, report: dict[str, Any]) -> None:
        try:
            record = record_from_json(report.get("record"))
        except ValueError:
            record = AcceptorRecord()
        member.restarts += 1
        self._tell({"kind": "recover", "node": member.name, **record_fields(record)})
        self._start(member)

    def _command(self, member: Member, command: dict[str, Any]) -> None:
        proc = member.proc
        if proc is None or proc.stdin is None:
            return
        with contextlib.suppress(OSError, RuntimeError):
            proc.stdin.write((json.dumps(command, ensure_ascii=False) + "\n").encode("utf-8"))

    async def _stop_all(self) -> None:
        procs = [m.proc for m in self.members.values() if m.proc is not None]
        for member in self.members.values():
            member.killing = True
            self._command(member, {"cmd": "stop"})
        waits = [asyncio.ensure_future(p.wait()) for p in procs]
        if waits:
            await asyncio.wait(waits, timeout=_STOP_GRACE)
        for proc in procs:
            if proc.returncode is None:
                kill_session(proc.pid)
        if waits:
            await asyncio.wait(waits, timeout=_STOP_GRACE)
        for pid in list(self.pids):  # a process started but not yet seen: still ours to stop
            kill_session(pid)

    # -- the desert's script and hand ---------------------------------------------------

    def _lay_script(self) -> None:
        loop = asyncio.get_running_loop()
        assert self.clock is not None
        items: list[tuple[int, int, TimelineEvent | tuple[str, str]]] = []
        for i, event in enumerate(self.scenario.timeline):
            items.append((event.at, i, event))
        offset = len(items)
        for i, p in enumerate(self.scenario.proposals):
            items.append((p.at, offset + i, (p.caravan, p.campsite)))
        items.sort(key=lambda item: (item[0], item[1]))
        for at, _, payload in items:
            if isinstance(payload, TimelineEvent) and payload.kind == "note":
                pass  # a note never holds a run open
            else:
                self.script_pending += 1
            loop.call_at(self.clock.loop_time(at), self._play, payload)

    def _play(self, payload: TimelineEvent | tuple[str, str]) -> None:
        if self.reason is not None:
            return
        if isinstance(payload, tuple):
            self.script_pending -= 1
            self.propose(*payload)
            return
        if payload.kind != "note":
            self.script_pending -= 1
        match payload.kind:
            case "sandstorm":
                self.sandstorm([list(g) for g in payload.groups])
            case "calm":
                self.calm()
            case "crash":
                assert payload.caravan is not None
                self.crash(payload.caravan)
            case "recover":
                assert payload.caravan is not None
                self.recover(payload.caravan)
            case "network":
                assert payload.network is not None
                self.network = payload.network.applied_to(self.network)
                self.network_changed = True
                event: dict[str, Any] = {"kind": "network", **self.network.to_json()}
                event.pop("links", None)
                self._tell(event)
                for member in self.members.values():
                    if member.state == "up":
                        self._command(member, {"cmd": "network", "network": self.network.to_json()})
            case "drop":
                self._note("", f"rider #{payload.rider} cannot be dropped by hand in a real desert")
            case "note":
                self._tell({"kind": "note", "text": payload.text})

    def propose(self, name: str, value: str) -> None:
        member = self.members[name]
        if member.state != "up":
            self._note(name, f"{name} has collapsed and cannot propose {value}")
            return
        self._tell({"kind": "propose", "node": name, "value": value})
        self._command(member, {"cmd": "propose", "value": value})

    def sandstorm(self, groups: list[list[str]]) -> None:
        named = {name for group in groups for name in group}
        rest = [name for name in self.names if name not in named]
        full = [list(g) for g in groups if g]
        if rest:
            full.append(rest)
        self.groups = full
        self._tell({"kind": "sandstorm", "groups": full})
        for member in self.members.values():
            if member.state == "up":
                self._command(member, {"cmd": "sandstorm", "groups": full})

    def calm(self) -> None:
        self.groups = None
        self._tell({"kind": "calm"})
        for member in self.members.values():
            if member.state == "up":
                self._command(member, {"cmd": "calm"})

    def crash(self, name: str) -> str:
        member = self.members[name]
        if member.state != "up" or member.killing:  # down, or getting up: not yet on its feet
            self._note(name, f"{name} has already collapsed")
            return f"{name} has already collapsed"
        member.killing = True  # from now on: a recovery waits for the collapse to be over
        self._task(self._kill(member))
        return f"{name} collapses (SIGKILL)"

    async def _kill(self, member: Member) -> None:
        proc = member.proc
        if proc is None:
            return
        member.killing = True
        try:
            kill_session(proc.pid)
            await proc.wait()
        finally:
            member.killing = False
        if member.proc is proc:
            member.proc = None
            member.state, member.knows, member.held = "down", None, 0
            member.crashes += 1
            self._tell({"kind": "crash", "node": member.name})

    def recover(self, name: str) -> str:
        member = self.members[name]
        if member.state == "starting":
            return f"{name} is already getting up"
        if member.killing:  # its collapse is under way: it gets up as soon as it is down
            member.revive_at = self._tick()
            return f"{name} gets up from its logbook once its collapse is over"
        if member.state != "down":
            self._note(name, f"{name} is already on its feet")
            return f"{name} is already on its feet"
        member.revive_at = None
        self._spawn(member)
        return f"{name} is getting up from its logbook"

    def _revive_due(self) -> None:
        now = self._tick()
        for member in self.members.values():
            due = member.revive_at is not None and member.revive_at <= now
            if due and member.state == "down" and not member.killing:
                member.revive_at = None
                self._spawn(member)
            elif due and member.state != "down" and not member.killing:
                member.revive_at = None  # on its feet, or getting up, already

    def status(self) -> str:
        lines = [f"t={self._tick()} ({self.scenario.name}, tick {self.tick_ms} ms)"]
        for m in self.members.values():
            pid = f"pid {m.proc.pid}" if m.proc is not None else "no process"
            knows = f", knows {m.knows}" if m.knows else ""
            lines.append(f"  {m.name}: {m.state} ({pid}, life {m.incarnation + 1}){knows}")
        storm = " | ".join(", ".join(g) for g in self.groups) if self.groups else "calm"
        lines.append(f"  sky: {storm}")
        return "\n".join(lines)

    # -- the control channel --------------------------------------------------------------

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str
    ) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=10)
            ok, message = self._control(line, token)
            writer.write((json.dumps({"ok": ok, "message": message}) + "\n").encode("utf-8"))
            await writer.drain()
        except (TimeoutError, OSError):
            pass
        finally:
            writer.close()

    def _control(self, line: bytes, token: str) -> tuple[bool, str]:
        try:
            request = json.loads(line)
        except ValueError:
            return False, "not a command"
        if not isinstance(request, dict) or request.get("token") != token:
            return False, "refused: wrong token"
        cmd, args = request.get("cmd"), request.get("args")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            return False, "refused: arguments are a list of strings"
        if self.reason is not None:
            return False, f"the desert is ending ({self.reason})"
        by_lower = {name.lower(): name for name in self.names}
        match cmd, args:
            case "status", []:
                return True, self.status()
            case "down", []:
                self.reason = "down"
                return True, "the desert is ending (down): every caravan process is stopped"
            case "calm", []:
                self.calm()
                return True, "the sandstorm calms"
            case "sandstorm", [text]:
                try:
                    groups = parse_groups(text, self.names)
                except ValueError as exc:
                    return False, str(exc)
                self.sandstorm(groups)
                return True, "a sandstorm: " + " | ".join(", ".join(g) for g in self.groups or [])
            case (("crash" | "recover"), [word]):
                name = by_lower.get(word.lower())
                if name is None:
                    return False, f"unknown caravan {word!r} (caravans: {', '.join(self.names)})"
                return True, self.crash(name) if cmd == "crash" else self.recover(name)
        return False, f"unknown command {cmd!r} with {len(args)} argument(s)"


class _PipeWriter:
    """The write end of a forked caravan's standard input (commands are a few bytes)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> None:
        if self.fd >= 0:
            os.write(self.fd, data)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Forked:
    """A caravan process forked by the coordinator, seen as an asyncio subprocess is."""

    def __init__(self, pid: int, stdin: int, stdout: asyncio.StreamReader) -> None:
        self.pid = pid
        self.stdin = _PipeWriter(stdin)
        self.stdout = stdout
        self.returncode: int | None = None

    async def wait(self) -> int:
        """The exit code (minus the signal that killed it), once the process is gone."""
        while self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by another waiter
                await asyncio.sleep(_REAP_POLL)
                continue
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                self.stdin.close()
                break
            await asyncio.sleep(_REAP_POLL)
        return self.returncode


def _become_caravan(
    name: str, folder: Path, incarnation: int, sock: int, stdin: int, stdout: int, stderr: int
) -> NoReturn:
    """In a forked child: drop the coordinator's world and run the caravan's program."""
    code = 70
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)  # the coordinator's loop's, not ours
        for number in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)
        os.dup2(stdin, 0)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        os.closerange(3, sock)  # every other descriptor of the coordinator's
        os.closerange(sock + 1, _MAX_FD)
        from ._node import caravan_main

        code = caravan_main(name, str(folder), incarnation, sock)
    except BaseException:  # told on stderr, and the child ends here whatever
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os._exit(code)


def kill_session(pid: int) -> None:
    """SIGKILL a caravan's session (it is the leader: its group id is its pid)."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)
            return
