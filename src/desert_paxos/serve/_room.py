"""One live desert on the server: a REPL session, the pages that show it, and its play loop.

Theory of operation
-------------------
A :class:`Room` holds one :class:`~desert_paxos.repl.Session`, the REPL's own:
every control on the page is a REPL command line run through
:meth:`Session.execute`, and what the session writes on its screen is the
narration pane's text. Nothing here knows Paxos or moves the desert itself.

The session is not thread-safe and a command may take a while (``/run`` is
bounded by the REPL's own step budget), so commands run one at a time under
the room's lock, in a worker thread, leaving the event loop free to talk to the
pages. After each command the room reads what changed: the screen's text, the
viewer's data (:class:`LiveFeed`, by deltas) and where the session stands. Every
page of the room (the teacher's, and followers' read-only pages) gets the same
messages in the same order, each through its own queue; a page that falls too
far behind is sent the whole state again instead.

Lines from the page that would touch the server's files (``/save``, ``/export``,
``/load`` of a path) are refused with a word on the page's own buttons: no file
path typed on the page reaches the file system. ``/play`` starts the page's
play loop instead of the terminal's animation.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..repl import ReplError, Screen, Session, parse_line
from ..repl._session import MAX_SPEED
from ..scenario import BUILTIN_NAMES, Scenario
from ._feed import LiveFeed

__all__ = [
    "MAX_PLAY_FRAMES",
    "MAX_QUEUE",
    "SCREEN_WIDTH",
    "TRANSCRIPT_LINES",
    "Client",
    "PageScreen",
    "Room",
]

SCREEN_WIDTH = 60  # the narration pane's columns (the REPL's narrowest)
TRANSCRIPT_LINES = 2_000  # the last lines of narration a page that joins is shown
MAX_QUEUE = 256  # messages waiting for one page before it is sent the whole state instead
PLAY_FRAME_SECONDS = 0.1  # the play loop's pace (presentation only: desert time is ticks)
MAX_PLAY_FRAMES = 36_000  # one press of play runs for at most an hour of frames
DEFAULT_SPEED = 40  # ticks a second, as /play's default


class PageScreen(Screen):
    """The session's screen: plain text gathered for the page; maps only when typed."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        super().__init__(self.buffer, colour=False, width=SCREEN_WIDTH)
        self.maps = False  # the page draws the desert; an ASCII map only for a typed /map

    def show(self, picture: Any) -> None:
        if self.maps:
            super().show(picture)

    def take(self) -> list[str]:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text.splitlines()


@dataclass(eq=False)
class Client:
    """One page of a room: the teacher's (drives) or a follower's (only watches)."""

    send: Callable[[str], Any]  # an async function sending one text frame
    drives: bool
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(MAX_QUEUE))
    behind: bool = False


_FILES_REFUSED = {
    "save": "the page saves the session with its Save button (a download); "
    "the server writes no file named on the page",
    "export": "the page exports the trace with its Export button (a download); "
    "the server writes no file named on the page",
    "quit": "close the tab to leave; the server goes on until Ctrl-C",
}


class Room:
    """A live desert and its pages; see the module docstring."""

    def __init__(self, spec: str, scenario: Scenario, seed: int | None = None) -> None:
        self.id = secrets.token_urlsafe(12)  # in the follow link: lets a page watch
        self.key = secrets.token_urlsafe(18)  # in the teacher's link: lets a page drive
        self.screen = PageScreen()
        self.session = Session(spec, scenario, self.screen, seed=seed)
        self.feed = LiveFeed()
        self.lock = asyncio.Lock()
        self.clients: list[Client] = []
        self.transcript: deque[str] = deque(maxlen=TRANSCRIPT_LINES)
        self.speed = DEFAULT_SPEED
        self.playing = False
        self._play_task: asyncio.Task[None] | None = None
        self.feed.update(self.session)
        self.session.welcome()
        self.transcript.extend(self.screen.take())

    # -- commands ---------------------------------------------------------------------

    def execute(self, line: str, *, typed: bool, quiet: bool = False) -> list[dict[str, Any]]:
        """Run one REPL line (in a worker thread, under the lock); the messages it makes.

        ``typed``: from the command box (echoed after ``>>>``, maps drawn);
        ``quiet``: a play frame, told without the status line after every frame.
        """
        session = self.session
        before_tm, before_base = session.tm, session.base
        before_position = before_tm.position
        future = before_tm.frontier - before_tm.position
        rejected = session.rejected
        self.screen.maps = typed
        lines = [f">>> {line}"] if typed else []
        refusal = self._refusal(line)
        if refusal is not None:
            session.rejected += 1
            lines.append(refusal)
        else:
            session.execute(line)
            told = self.screen.take()
            if quiet:
                status = session.status_text()
                told = [text for text in told if text != status]
            lines.extend(told)
        messages: list[dict[str, Any]] = []
        if lines:
            self.transcript.extend(lines)
            messages.append({"type": "say", "lines": lines, "error": session.rejected > rejected})
        # A new course forked from the old one keeps the record up to where the act was made
        # (a step earlier when the run had ended): the feed compares only the lines after it.
        shared = 0
        if session.tm is not before_tm and session.base is before_base:
            shared = before_tm.seq_after[max(0, before_position - 1)]
        delta = self.feed.update(session, shared=shared)
        if delta is not None:
            messages.append(delta)
        at = self.where()
        if session.tm is not before_tm and session.base is before_base and future > 0:
            at["forked"] = future  # acting in the past: the known future was discarded
        messages.append(at)
        return messages

    def _refusal(self, line: str) -> str | None:
        """Why the page may not run ``line``, or None (mistakes are left to the session)."""
        try:
            parsed = parse_line(line)
        except ReplError:
            return None
        if parsed is None:
            return None
        command, _args, rest = parsed
        if command.name in _FILES_REFUSED:
            return f"/{command.name}: {_FILES_REFUSED[command.name]}."
        if command.name == "load" and rest and rest not in BUILTIN_NAMES:
            return (
                "/load: the page loads a built-in scenario by name "
                f"({', '.join(BUILTIN_NAMES)}) or a file you upload; "
                "it reads no path from the server's disk."
            )
        if command.name == "play":
            return "/play animates a terminal; on the page, press ▶ play (its speed is beside it)."
        return None

    def where(self) -> dict[str, Any]:
        """Where the session stands: the page's cursor, clock and status."""
        session = self.session
        tm = session.tm
        return {
            "type": "at",
            "version": self.feed.version,
            "cursor": tm.seq - 1,
            "t": session.clock,
            "position": tm.position,
            "frontier": tm.frontier,
            "frontierT": tm.t_after[tm.frontier],
            "until": tm.sim.until,
            "status": session.status_text(),
            "ended": tm.ended,
            "violated": tm.sim.violation is not None,
            "level": session.level,
            "scenario": session.base.name,
            "seed": session.base.seed,
            "caravans": list(session.names),
            "acts": len(session.injections),
            "playing": self.playing,
            "speed": self.speed,
        }

    def replace(self, spec: str, scenario: Scenario) -> list[dict[str, Any]]:
        """A new session on an uploaded scenario (in a worker thread, under the lock)."""
        self.session = Session(spec, scenario, self.screen)
        self.session.welcome()
        lines = [f"Loaded the uploaded scenario {spec}.", *self.screen.take()]
        self.transcript.extend(lines)
        delta = self.feed.update(self.session)
        return [
            {"type": "say", "lines": lines, "error": False},
            *([delta] if delta else []),
            self.where(),
        ]

    # -- pages --------------------------------------------------------------------------

    def join(self, client: Client) -> None:
        """Send ``client`` the whole state and add it (call under the lock)."""
        self._queue(client, _text({"type": "hello", **self.hello(client.drives)}))
        self._catch_up(client)
        self.clients.append(client)

    def hello(self, drives: bool) -> dict[str, Any]:
        return {
            "room": self.id,
            "key": self.key if drives else None,
            "drives": drives,
            "follow": f"/follow/{self.id}",
            "builtins": list(BUILTIN_NAMES),
        }

    def _catch_up(self, client: Client) -> None:
        self._queue(client, _text(self.feed.snapshot()))
        self._queue(client, _text({"type": "say", "lines": list(self.transcript), "replace": True}))
        self._queue(client, _text(self.where()))

    def leave(self, client: Client) -> None:
        if client in self.clients:
            self.clients.remove(client)
        if not any(c.drives for c in self.clients):
            self.playing = False  # nobody left to press pause

    def broadcast(self, messages: list[dict[str, Any]]) -> None:
        """Queue ``messages`` for every page (call under the lock, so every page sees one order)."""
        texts = [_text(m) for m in messages]
        for client in self.clients:
            for text in texts:
                self._queue(client, text)

    def _queue(self, client: Client, text: str) -> None:
        if client.behind:
            return
        try:
            client.queue.put_nowait(text)
        except asyncio.QueueFull:
            client.behind = True  # its sender sends the whole state once it has room

    async def pump(self, client: Client) -> None:
        """Send ``client``'s queue in order until it ends (None) or the page is gone."""
        while True:
            text = await client.queue.get()
            if text is None:
                return
            await client.send(text)
            if client.behind and client.queue.empty():
                async with self.lock:
                    client.behind = False
                    self._catch_up(client)

    # -- running commands from the event loop --------------------------------------------

    async def run(self, line: str, *, typed: bool) -> None:
        async with self.lock:
            messages = await asyncio.to_thread(self.execute, line, typed=typed)
            self.broadcast(messages)

    async def say(self, client: Client, text: str) -> None:
        """One error line for one page (a bad frame, a follower's try): the session is untouched."""
        async with self.lock:
            self._queue(client, _text({"type": "say", "lines": [text], "error": True}))

    # -- play ------------------------------------------------------------------------------

    def set_speed(self, speed: int) -> None:
        self.speed = max(1, min(MAX_SPEED, speed))

    async def play(self) -> None:
        if self._play_task is not None and not self._play_task.done():
            return
        self.playing = True
        self._play_task = asyncio.create_task(self._play_loop())

    async def pause(self) -> None:
        self.playing = False
        task = self._play_task
        if task is not None:
            await task

    async def _play_loop(self) -> None:
        """``/run +dt`` every tenth of a second until paused, over, or MAX_PLAY_FRAMES frames."""
        try:
            for _ in range(MAX_PLAY_FRAMES):
                if not self.playing:
                    break
                async with self.lock:
                    tm = self.session.tm
                    if tm.ended or tm.sim.violation is not None:
                        break
                    line = f"/run +{max(1, self.speed // 10)}"
                    messages = await asyncio.to_thread(self.execute, line, typed=False, quiet=True)
                    self.broadcast(messages)
                await asyncio.sleep(PLAY_FRAME_SECONDS)
        finally:
            self.playing = False
            async with self.lock:
                self.broadcast([self.where()])

    async def close(self) -> None:
        """Stop playing and end every page's sender."""
        self.playing = False
        task = self._play_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for client in list(self.clients):
            client.behind = False
            while not client.queue.empty():
                client.queue.get_nowait()
            client.queue.put_nowait(None)


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
