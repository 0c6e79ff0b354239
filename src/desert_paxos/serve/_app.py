"""The web app: pages, assets, one WebSocket per page, uploads and downloads (Starlette).

Theory of operation
-------------------
``GET /`` is the teacher's page. Its WebSocket (``/ws``) opens a new
:class:`Room` (a REPL session) and is told the room's follow link and its key;
the page puts both in its address, so a reload comes back to the same session.
``/follow/ID`` is the same page, read-only: its socket joins the room without
the key and may only watch. ``/explore`` walks the model checker's states
(``/ws/explore``). Each socket speaks JSON text frames: ``{"op": ...}`` in,
``{"type": ...}`` out; anything else is answered with one line on the page,
and the session goes on as it was.

Nothing the page sends names a file on the server: assets are looked up by
name in a fixed table, a scenario comes in as the body of an upload (at most
the scenario file limit, ``DESERT_PAXOS_MAX_SCENARIO_MB``), and the session
and its trace go out as downloads. Every response carries a
Content-Security-Policy that lets the page load only what this server serves
(no CDN: the page works offline) and run no inline script. Requests must name
this machine as their host (a page on another site cannot reach the server by
rebinding its name to 127.0.0.1) and sockets must come from this server's own
pages (their Origin), unless ``--host`` opened the server to the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .._untrusted import SCENARIO_LIMIT, InputError, decode_utf8
from ..repl._commands import MAX_LINE
from ..scenario import Scenario, ScenarioError, parse_scenario_text
from ._explore import ExploreError, Walk, options_from, path_from, shortest_counterexample, variants
from ._room import Client, Room

__all__ = ["LOCAL_HOSTS", "MAX_FRAME_BYTES", "MAX_ROOMS", "Server", "make_app"]

MAX_ROOMS = 16  # live sessions kept at once; the least recently used one without pages goes
MAX_FRAME_BYTES = 1 << 20  # a WebSocket frame from a page: a command is far smaller
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_NAME = re.compile(r"[^A-Za-z0-9._ -]")


def _read(package: str, name: str) -> str:
    return (resources.files(package) / "assets" / name).read_text(encoding="utf-8")


def _viewer_markup() -> str:
    """The viewer page's elements (everything in its body before its data and script)."""
    page = _read("desert_paxos.viewer", "page.html")
    start = page.index("<body>") + len("<body>")
    end = page.index('<script type="application/json" id="run-data">')
    # Slots filled from a finished trace (e.g. a Multi-Paxos log) stay empty on a live page.
    return re.sub(r"\{\{[A-Z_]+\}\}", "", page[start:end])


def _page(template: str, title: str) -> str:
    text = _read("desert_paxos.serve", template)
    slots = {"TITLE": html.escape(title), "VIEWER": _viewer_markup()}
    return re.sub(r"\{\{(TITLE|VIEWER)\}\}", lambda m: slots[m[1]], text)


_ASSETS = {  # name -> (package, media type): the only files the server sends
    "viewer.js": ("desert_paxos.viewer", "text/javascript"),
    "viewer.css": ("desert_paxos.viewer", "text/css"),
    "live.js": ("desert_paxos.serve", "text/javascript"),
    "live.css": ("desert_paxos.serve", "text/css"),
    "explore.js": ("desert_paxos.serve", "text/javascript"),
}


class Server:
    """The rooms, the page texts and the rules of one running server."""

    def __init__(
        self, spec: str, scenario: Scenario, seed: int | None, *, local_only: bool
    ) -> None:
        self.spec, self.scenario, self.seed = spec, scenario, seed
        self.local_only = local_only
        self.rooms: dict[str, Room] = {}
        self.stopping = threading.Event()  # ends a running search when the server stops
        self.searching = asyncio.Semaphore(1)  # one model-checker search at a time (2 cores)
        self.live_page = _page("live.html", f"Desert Paxos — live: {scenario.name}")
        self.explore_page = _page("explore.html", "Desert Paxos — explore the states")
        self.assets = {
            name: (_read(package, name).encode("utf-8"), media)
            for name, (package, media) in _ASSETS.items()
        }

    # -- rooms -----------------------------------------------------------------------------

    def new_room(self) -> Room | None:
        if len(self.rooms) >= MAX_ROOMS:
            idle = [room for room in self.rooms.values() if not room.clients]
            if not idle:
                return None
            del self.rooms[idle[0].id]  # dicts keep order: the first is the oldest idle room
        room = Room(self.spec, self.scenario, self.seed)
        self.rooms[room.id] = room
        return room

    def touch(self, room: Room) -> None:
        """Most recently used last."""
        self.rooms.pop(room.id, None)
        self.rooms[room.id] = room

    # -- who may ask -------------------------------------------------------------------------

    def host_ok(self, headers: Any) -> bool:
        if not self.local_only:
            return True
        host = str(headers.get("host", ""))
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in LOCAL_HOSTS or host in LOCAL_HOSTS

    def origin_ok(self, headers: Any) -> bool:
        """A socket or upload from this server's own pages (no Origin: not a browser page)."""
        origin = headers.get("origin")
        if origin is None:
            return True
        return urlsplit(str(origin)).netloc == str(headers.get("host", ""))

    async def close(self) -> None:
        self.stopping.set()
        for room in list(self.rooms.values()):
            await room.close()


def _csp(host: str) -> str:
    socket = f" ws://{host}" if host else ""  # 'self' covers it in today's browsers; older need it
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; connect-src 'self'{socket}; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def _headers(request: Request | WebSocket) -> dict[str, str]:
    host = str(request.headers.get("host", ""))
    safe_host = host if re.fullmatch(r"[A-Za-z0-9.\[\]:-]{1,100}", host) else ""
    return {
        "Content-Security-Policy": _csp(safe_host),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def make_app(
    spec: str, scenario: Scenario, seed: int | None = None, *, local_only: bool = True
) -> Starlette:
    """The app serving ``scenario`` (opened afresh for every teacher's page)."""
    server = Server(spec, scenario, seed, local_only=local_only)

    def guarded(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not server.host_ok(request.headers):
                response: Response = PlainTextResponse(
                    "This server answers only to 127.0.0.1 or localhost.", 421
                )
            else:
                response = await handler(request)
            response.headers.update(_headers(request))
            return response

        return endpoint

    async def live_page(request: Request) -> Response:
        return Response(server.live_page, media_type="text/html; charset=utf-8")

    async def explore_page(request: Request) -> Response:
        return Response(server.explore_page, media_type="text/html; charset=utf-8")

    async def asset(request: Request) -> Response:
        found = server.assets.get(str(request.path_params["name"]))
        if found is None:
            return PlainTextResponse("no such asset", 404)
        body, media = found
        return Response(body, media_type=f"{media}; charset=utf-8")

    async def upload(request: Request) -> Response:
        room = server.rooms.get(str(request.path_params["room"]))
        if room is None or not secrets.compare_digest(
            str(request.query_params.get("key", "")), room.key
        ):
            return _problems(403, "only the teacher's page may upload a scenario to this session")
        if not server.origin_ok(request.headers):
            return _problems(403, "uploads come from this server's own page")
        try:
            limit = SCENARIO_LIMIT.megabytes() * 10**6
        except InputError as exc:
            return _problems(500, exc.message)
        name = _file_name(str(request.query_params.get("name", "upload.json")))
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _problems(413, SCENARIO_LIMIT.too_big(int(declared), limit // 10**6).message)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return _problems(413, SCENARIO_LIMIT.too_big(len(body), limit // 10**6).message)
        try:
            text = decode_utf8(bytes(body), "scenario file")
            fmt = "toml" if name.lower().endswith(".toml") else "json"
            scenario = parse_scenario_text(text, name, fmt, default_name=PurePosixPath(name).stem)
        except InputError as exc:
            return _problems(422, exc.message, exc.path)
        except ScenarioError as exc:
            return JSONResponse(
                {
                    "ok": False,
                    "problems": [{"path": p.path, "message": p.message} for p in exc.problems[:50]],
                    "count": len(exc.problems),
                },
                422,
            )
        async with room.lock:
            messages = await asyncio.to_thread(room.replace, name, scenario)
            room.broadcast(messages)
        return JSONResponse({"ok": True, "name": name})

    async def download(request: Request) -> Response:
        room = server.rooms.get(str(request.path_params["room"]))
        if room is None:
            return PlainTextResponse("no such session (was the server restarted?)", 404)
        what = str(request.path_params["what"])
        if what not in ("session.json", "trace.jsonl"):
            return PlainTextResponse("no such download", 404)
        async with room.lock:
            session = room.session
            text = await asyncio.to_thread(
                session.saved_text if what == "session.json" else session.trace_text
            )
            stem = _file_name(session.base.name).replace(" ", "-") or "session"
        filename = f"{stem}-{'session.json' if what == 'session.json' else 'trace.jsonl'}"
        media = "application/json" if what == "session.json" else "application/x-ndjson"
        return Response(
            text.encode("utf-8"),
            media_type=f"{media}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    async def live_socket(ws: WebSocket) -> None:
        if not (server.host_ok(ws.headers) and server.origin_ok(ws.headers)):
            await ws.close(code=1008)
            return
        await ws.accept()
        params = ws.query_params
        room: Room | None = None
        drives = False
        if "follow" in params:
            room = server.rooms.get(str(params["follow"]))
            if room is None:
                await ws.send_text(_json({"type": "gone"}))
                await ws.close()
                return
        elif "room" in params and params["room"] in server.rooms:
            room = server.rooms[str(params["room"])]
            drives = secrets.compare_digest(str(params.get("key", "")), room.key)
        else:
            room = server.new_room()
            drives = True
            if room is None:
                await ws.send_text(
                    _json({"type": "full", "text": f"{MAX_ROOMS} sessions are open already"})
                )
                await ws.close()
                return
        server.touch(room)
        await _serve_page(room, ws, drives)

    async def explore_socket(ws: WebSocket) -> None:
        if not (server.host_ok(ws.headers) and server.origin_ok(ws.headers)):
            await ws.close(code=1008)
            return
        await ws.accept()
        await ws.send_text(_json({"type": "hello", "variants": variants()}))
        await _explore(server, ws)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await server.close()

    app = Starlette(
        routes=[
            Route("/", guarded(live_page)),
            Route("/follow/{room}", guarded(live_page)),
            Route("/explore", guarded(explore_page)),
            Route("/assets/{name}", guarded(asset)),
            Route("/room/{room}/upload", guarded(upload), methods=["POST"]),
            Route("/room/{room}/{what}", guarded(download)),
            WebSocketRoute("/ws", live_socket),
            WebSocketRoute("/ws/explore", explore_socket),
        ],
        lifespan=lifespan,
    )
    app.state.server = server
    return app


def _json(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _problems(status: int, message: str, path: str = "") -> JSONResponse:
    return JSONResponse({"ok": False, "problems": [{"path": path, "message": message}]}, status)


def _file_name(name: str) -> str:
    """A file name from the page, for showing only: its last part, plain characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _NAME.sub("_", base)[:100] or "upload.json"


async def _frames(ws: WebSocket) -> AsyncIterator[str | None]:
    """The page's text frames; None for a frame that is not text. Ends when the page goes."""
    while True:
        try:
            message = await ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        yield text if isinstance(text, str) else None


def _request(text: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """A page's frame as an object with an ``op``, or why it is not one."""
    if text is None:
        return None, "the page speaks in JSON text frames; a binary frame was ignored"
    if len(text) > MAX_FRAME_BYTES:
        return (
            None,
            f"a frame of {len(text):,} characters is more than the {MAX_FRAME_BYTES:,} allowed",
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None, f"not JSON: {text[:40]!r}"
    if not isinstance(data, dict) or not isinstance(data.get("op"), str):
        return None, 'a frame is a JSON object with an "op", e.g. {"op": "run", "line": "/step"}'
    return data, None


_LIVE_OPS = ("run", "play", "pause", "speed", "ping")


async def _serve_page(room: Room, ws: WebSocket, drives: bool) -> None:
    client = Client(send=ws.send_text, drives=drives)
    async with room.lock:
        room.join(client)
    pump = asyncio.create_task(room.pump(client))
    try:
        async for text in _frames(ws):
            data, problem = _request(text)
            if data is None:
                await room.say(client, problem or "?")
                continue
            op = data["op"]
            if op not in _LIVE_OPS:
                await room.say(
                    client, f"unknown op {op[:30]!r}; the page knows {', '.join(_LIVE_OPS)}"
                )
            elif op == "ping":
                continue
            elif not client.drives:
                await room.say(
                    client,
                    "this page follows the teacher's session: it watches, it cannot change it",
                )
            elif op == "run":
                line = data.get("line")
                if not isinstance(line, str) or len(line) > MAX_LINE:
                    await room.say(
                        client,
                        f'"line" must be a REPL line of at most {MAX_LINE} characters, e.g. "/step"',
                    )
                    continue
                await room.run(line, typed=data.get("typed") is True)
            elif op in ("play", "speed"):
                speed = data.get("speed", room.speed)
                if isinstance(speed, int) and not isinstance(speed, bool):
                    room.set_speed(speed)
                if op == "play":
                    await room.play()
                async with room.lock:
                    room.broadcast([room.where()])
            elif op == "pause":
                await room.pause()
                async with room.lock:
                    room.broadcast([room.where()])
    finally:
        async with room.lock:
            room.leave(client)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump


async def _explore(server: Server, ws: WebSocket) -> None:
    walk: Walk | None = None

    async def show(new: Walk, **extra: Any) -> None:
        nonlocal walk
        view = await asyncio.to_thread(new.view)
        walk = new
        await ws.send_text(_json({**view, **extra}))

    async def problems(items: list[str]) -> None:
        await ws.send_text(_json({"type": "error", "problems": items}))

    async for text in _frames(ws):
        data, problem = _request(text)
        if data is None:
            await problems([problem or "?"])
            continue
        op = data["op"]
        try:
            if op == "open":
                options = options_from(data.get("options"))
                path = path_from(data.get("path"))
                await show(await asyncio.to_thread(Walk, options, path))
            elif walk is None:
                await problems(['open a desert first: {"op": "open", "options": {...}}'])
            elif op == "move":
                index = data.get("index")
                if not isinstance(index, int) or isinstance(index, bool):
                    raise ExploreError(['"index" must be the number of an enabled move'])
                await show(await asyncio.to_thread(Walk, walk.options, [*walk.path, index]))
            elif op == "back":
                if not walk.path:
                    raise ExploreError(["already at the start: no move to take back"])
                await show(await asyncio.to_thread(Walk, walk.options, walk.path[:-1]))
            elif op == "counterexample":
                await ws.send_text(_json({"type": "searching"}))
                async with server.searching:
                    searched, path_found, verdict = await asyncio.to_thread(
                        shortest_counterexample, walk.options, server.stopping
                    )
                if path_found is None:
                    await ws.send_text(_json({"type": "verdict", "text": verdict}))
                else:
                    found = await asyncio.to_thread(Walk, searched, path_found)
                    await show(found, verdict=verdict, play=True)
            else:
                await problems(
                    [f"unknown op {op[:30]!r}; explore knows open, move, back, counterexample"]
                )
        except ExploreError as exc:
            await problems(exc.problems)
