"""desert-paxos serve at the protocol level: Starlette's TestClient, no browser.

The live page's data arrives by deltas; here a mirror merges them as the page
does and is compared, after every command, with the viewer's own data for the
session's whole known history. Every kind of bad input is sent and answered on
the page with the session untouched; files go out only as downloads, and the
saved session replays byte for byte with ``desert-paxos run``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from desert_paxos.repl import Session
from desert_paxos.scenario import BUILTIN_NAMES, load_builtin
from desert_paxos.serve import LiveFeed, make_app
from desert_paxos.serve._room import PageScreen
from desert_paxos.viewer import page_data

COLUMNS = ("times", "kinds", "levels", "story", "protocol", "events")
BASE = "http://127.0.0.1"
WS = "ws://127.0.0.1/ws"


# -- the page's merge, in Python -----------------------------------------------------------


class Mirror:
    """What the page holds, merged from "data" messages exactly as live.js merges them."""

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None
        self.version = -1

    def merge(self, m: dict[str, Any]) -> None:
        if m["reset"] or self.data is None or m["version"] != self.version:
            self.data = {c: list(m["columns"][c]) for c in COLUMNS}
            self.data.update(json.loads(json.dumps(m["model"]["set"])))
            self.version = m["version"]
            return
        d = self.data
        for c in COLUMNS:
            del d[c][m["kept"] :]
            d[c].extend(m["columns"][c])
        d.update(m["model"]["set"])
        for key, (kept, tail) in m["model"]["tails"].items():
            del d[key][kept:]
            d[key].extend(tail)
        if m["model"]["lanes"] is not None:
            for lane, (kept, tail) in zip(d["states"], m["model"]["lanes"], strict=True):
                del lane[kept:]
                lane.extend(tail)


def expected(session: Session) -> dict[str, Any]:
    """The viewer's data for the session's known history, as the live page should hold it."""
    tm = session.tm
    data = page_data(tm.header, [json.loads(line) for line in tm.lines])
    end = max(data["end"], tm.t_after[tm.frontier], session.clock)
    data["end"] = end
    data["drawnUntil"] = max(data["drawnUntil"], end)
    data["incomplete"] = None
    for storm in data["storms"]:
        if storm[3]:  # still raging: to the clock
            storm[1] = end
    return json.loads(json.dumps(data))


def test_the_feed_by_deltas_is_the_viewer_data_after_every_kind_of_move() -> None:
    screen = PageScreen()
    session = Session("sandstorm-minority", load_builtin("sandstorm-minority"), screen)
    feed = LiveFeed()
    mirror = Mirror()
    lines = [
        "/step 4",
        "/step",
        "/run 60",
        "/crash Itri",  # an act in the present
        "/step 30",
        "/back 20",  # the known future is kept
        "/step 3",
        "/sandstorm Aghilas | Taziri, Amastan, Itri, Tassadit",  # an act in the past: a fork
        "/run 300",
        "/calm",
        "/run",  # to the end of the run
        "/recover Itri",  # an act after the run was over reopens its close
        "/goto 40",
        "/drop 1",  # likely not on the sand: an error, nothing changes
        "/seed 3",  # a new run: reset
        "/run 200",
        "/load calm-day",  # a new scenario: reset, other caravans are possible
        "/step 10",
    ]
    first = feed.update(session)
    assert first is not None and first["reset"]
    mirror.merge(first)
    assert json.loads(json.dumps(mirror.data)) == expected(session)
    kinds = set()
    for line in lines:
        session.execute(line)
        delta = feed.update(session)
        if delta is not None:
            kinds.add("reset" if delta["reset"] else "kept" if delta["kept"] else "empty")
            mirror.merge(json.loads(json.dumps(delta)))
        assert json.loads(json.dumps(mirror.data)) == expected(session), line
        joined = Mirror()  # a page that joins now gets the whole state at once
        joined.merge(json.loads(json.dumps(feed.snapshot())))
        assert joined.data == mirror.data, line
    assert "reset" in kinds and "kept" in kinds


# -- a running app --------------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = make_app("calm-day", load_builtin("calm-day"))
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


class Page:
    """One WebSocket of a page: what it was told, and a way to send a command."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.hello = self.receive()
        assert self.hello["type"] == "hello"
        self.mirror = Mirror()
        self.said: list[dict[str, Any]] = []
        self.at = self.until("at")

    def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.receive_text())
        return message

    def until(self, kind: str) -> dict[str, Any]:
        """Read messages up to the next of ``kind`` (each "at" closes a command's answer)."""
        for _ in range(1000):
            m = self.receive()
            if m["type"] == "data":
                self.mirror.merge(m)
            elif m["type"] == "say":
                self.said.append(m)
            elif m["type"] == "at":
                self.at = m
            if m["type"] == kind:
                return m
        raise AssertionError(f"no {kind} message in 1000")

    def run(self, line: str, typed: bool = True) -> dict[str, Any]:
        self.said = []
        self.ws.send_text(json.dumps({"op": "run", "line": line, "typed": typed}))
        return self.until("at")

    def send_raw(self, text: str | bytes) -> list[str]:
        """Send a frame and return the error lines it was answered with."""
        self.said = []
        if isinstance(text, bytes):
            self.ws.send_bytes(text)
        else:
            self.ws.send_text(text)
        m = self.until("say")
        assert m["error"] is True
        return list(m["lines"])

    @property
    def lines(self) -> list[str]:
        return [line for m in self.said for line in m["lines"]]


def room_of(client: TestClient, page: Page) -> Any:
    return client.app.state.server.rooms[page.hello["room"]]  # type: ignore[attr-defined]


def test_a_page_drives_the_repl_session_and_is_told_what_it_says(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        assert page.hello["drives"] and page.hello["key"]
        at = page.run("/step 5")
        assert at["position"] == 5 and "step 5" in at["status"]
        assert page.lines[0] == ">>> /step 5" and any("Aghilas" in line for line in page.lines)
        at = page.run("/crash Itri")
        assert any("Itri collapses" in line for line in page.lines)
        session = room_of(client, page).session
        assert page.mirror.data == expected(session)
        back = page.run("/back 3")
        assert back["frontier"] > back["position"]
        forked = page.run("/crash Taziri")
        assert forked["forked"] == 3  # the page says the old future was discarded
        assert any("old future was discarded" in line for line in page.lines)
        assert page.mirror.data == expected(room_of(client, page).session)


def test_bad_frames_and_commands_are_answered_and_leave_the_session_as_it_was(
    client: TestClient,
) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        page.run("/step 7")
        session = room_of(client, page).session
        before = session.fingerprint()
        answers = {
            "not json": page.send_raw("{not json"),
            "binary": page.send_raw(b"\x00\x01\xff"),
            "array": page.send_raw("[1, 2, 3]"),
            "no op": page.send_raw('{"line": "/step"}'),
            "unknown op": page.send_raw('{"op": "launch-missiles"}'),
            "line not text": page.send_raw('{"op": "run", "line": 42}'),
            "line too long": page.send_raw(json.dumps({"op": "run", "line": "/" + "x" * 5000})),
            "deep": page.send_raw("[" * 100_000 + "]" * 100_000),
            "huge number": page.send_raw('{"op": "run", "line": ' + "9" * 5000 + "}"),
        }
        for what, lines in answers.items():
            assert len(lines) == 1 and lines[0], what
        assert "JSON" in answers["not json"][0] and "binary" in answers["binary"][0]
        assert "launch-missiles" in answers["unknown op"][0]
        for line in ("/teleport Itri", "/crash Nobody", "/step many", "/sandstorm |", "\x1b[2J"):
            at = page.run(line)
            assert page.said and page.said[-1]["error"], line
            assert at["position"] == 7
        assert session.fingerprint() == before
        assert room_of(client, page).session is session


def test_no_path_typed_on_the_page_reaches_the_file_system(
    client: TestClient, tmp_path: Path
) -> None:
    target = tmp_path / "written.json"
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"caravans": ["A", "B", "C"]}), encoding="utf-8")
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        for line in (
            f"/save {target}",
            f"/export trace {target}",
            f"/load {secret}",
            "/load ../../etc/passwd",
            "/play 100",
            "/quit",
        ):
            page.run(line)
            assert page.said[-1]["error"], line
        assert not target.exists()
        assert page.at["scenario"] == "calm-day"  # the secret scenario was not read
        page.run("/load sandstorm-minority")  # a built-in by name is fine
        assert page.at["scenario"] == "sandstorm-minority"
        for name in ("../viewer/_html.py", "..%2F..%2Fpyproject.toml", "page.html", "live.html"):
            assert client.get(f"/assets/{name}").status_code == 404, name
        assert client.get("/assets/viewer.js").status_code == 200


def test_pages_allow_only_their_own_scripts_and_answer_only_to_this_machine(
    client: TestClient,
) -> None:
    for path in ("/", "/explore", "/follow/anything"):
        response = client.get(path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
        assert "<script>" not in response.text  # no inline script at all
        for src in (s.split('"')[0] for s in response.text.split('src="')[1:]):
            assert src.startswith("/assets/"), src  # no CDN: every asset is the server's own
    assert client.get("/", headers={"host": "rebound.example"}).status_code == 421
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(WS, headers={"origin": "http://evil.example"}) as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 1008


def test_a_follower_sees_the_teachers_moves_and_cannot_drive(client: TestClient) -> None:
    with client.websocket_connect(WS) as teacher_ws:
        teacher = Page(teacher_ws)
        teacher.run("/step 3")
        follow = teacher.hello["follow"].split("/")[-1]
        with client.websocket_connect(f"{WS}?follow={follow}") as follower_ws:
            follower = Page(follower_ws)
            assert not follower.hello["drives"] and follower.hello["key"] is None
            assert follower.at["position"] == 3
            assert follower.mirror.data == teacher.mirror.data
            teacher.run("/crash Amastan")
            follower.until("at")
            assert follower.at["position"] == teacher.at["position"]
            assert follower.mirror.data == teacher.mirror.data
            assert any("Amastan collapses" in line for line in follower.lines)
            lines = follower.send_raw(json.dumps({"op": "run", "line": "/recover Amastan"}))
            assert "follows" in lines[0]
            assert room_of(client, teacher).session.tm.position == teacher.at["position"]
        # A follow link to a session that does not exist says so.
        with client.websocket_connect(f"{WS}?follow=nope") as ws:
            assert json.loads(ws.receive_text())["type"] == "gone"
        # The teacher's page comes back to its session with its key; without it, it only watches.
        room, key = teacher.hello["room"], teacher.hello["key"]
        with client.websocket_connect(f"{WS}?room={room}&key={key}") as again:
            assert Page(again).hello["drives"]
        with client.websocket_connect(f"{WS}?room={room}&key=wrong") as other:
            assert not Page(other).hello["drives"]


def test_play_runs_on_and_pause_stops_it(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        ws.send_text(json.dumps({"op": "play", "speed": 100}))  # 10 ticks a frame
        positions = []
        for _ in range(100):
            at = page.until("at")
            positions.append(at["position"])
            if len(set(positions)) >= 4 or (not at["playing"] and at["position"] > 0):
                break
        assert len(set(positions)) >= 3  # frame after frame, the desert moves on
        ws.send_text(json.dumps({"op": "pause"}))
        for _ in range(100):
            if not page.until("at")["playing"]:
                break
        assert not page.at["playing"]
        stopped = page.at["position"]
        page.run("/state")  # a command answers; no frame came in between to move time
        assert page.at["position"] == stopped


# -- uploads and downloads ----------------------------------------------------------------------


def upload(client: TestClient, page: Page, body: bytes, name: str = "mine.json") -> Any:
    room, key = page.hello["room"], page.hello["key"]
    return client.post(f"/room/{room}/upload?key={key}&name={name}", content=body)


def test_an_invalid_upload_is_told_field_by_field_and_changes_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        page.run("/step 2")
        session = room_of(client, page).session
        before = session.fingerprint()
        bad = {"caravans": ["A", "A"], "until": -5, "network": {"loss": 2}}
        answer = upload(client, page, json.dumps(bad).encode())
        assert answer.status_code == 422
        paths = {p["path"] for p in answer.json()["problems"]}
        assert {"caravans[1]", "until", "network.loss"} <= paths
        assert upload(client, page, b"\xff\xfe not utf-8").status_code == 422
        assert upload(client, page, b"[" * 10_000).status_code == 422
        monkeypatch.setenv("DESERT_PAXOS_MAX_SCENARIO_MB", "1")
        huge = upload(client, page, b" " * 1_500_000)
        assert huge.status_code == 413
        assert "1 MB" in huge.json()["problems"][0]["message"]
        assert "DESERT_PAXOS_MAX_SCENARIO_MB" in huge.json()["problems"][0]["message"]
        room = page.hello["room"]
        wrong_key = client.post(f"/room/{room}/upload?key=nope&name=a.json", content=b"{}")
        assert wrong_key.status_code == 403
        assert room_of(client, page).session is session and session.fingerprint() == before
        good = load_builtin("lossy-desert").to_json() | {"description": "<b>not bold</b>"}
        assert upload(client, page, json.dumps(good).encode()).json()["ok"]
        page.until("at")
        assert page.at["scenario"] == "lossy-desert"
        assert page.mirror.data is not None
        assert page.mirror.data["description"] == "<b>not bold</b>"  # text, for textContent


def test_the_saved_session_replays_byte_for_byte_with_run(
    client: TestClient, tmp_path: Path
) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        for line in (
            "/step 9",
            "/sandstorm Aghilas,Taziri | Amastan,Itri,Tassadit",
            "/run 120",
            "/crash Itri",
            "/loss 20%",
            "/run 400",
            "/calm",
            "/recover Itri",
            "/run",
        ):
            page.run(line, typed=False)
            assert not page.said or not page.said[-1]["error"], (line, page.lines)
        room = page.hello["room"]
        saved = client.get(f"/room/{room}/session.json")
        trace = client.get(f"/room/{room}/trace.jsonl")
        assert "attachment" in saved.headers["content-disposition"]
        session = room_of(client, page).session
        assert saved.content == session.saved_text().encode()
        assert trace.content == session.trace_text().encode()
    scenario = tmp_path / "session.json"
    scenario.write_bytes(saved.content)
    out = tmp_path / "replayed.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "run", str(scenario), "--trace", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    assert out.read_bytes() == trace.content


# -- explore mode ---------------------------------------------------------------------------------


def explore(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    ws.send_text(json.dumps(message))
    for _ in range(10):
        answer: dict[str, Any] = json.loads(ws.receive_text())
        if answer["type"] != "searching":
            return answer
    raise AssertionError("no answer")


def test_explore_walks_the_checkers_own_moves(client: TestClient) -> None:
    from desert_paxos.explore import ExploreOptions, Model

    with client.websocket_connect("ws://127.0.0.1/ws/explore") as ws:
        hello = json.loads(ws.receive_text())
        assert {v["name"] for v in hello["variants"]} >= {"paxos", "stubborn-proposer"}
        start = explore(ws, {"op": "open", "options": {"caravans": 3, "proposers": 1}})
        model = Model(ExploreOptions(caravans=3, proposers=1))
        successors = model.successors(model.initial)
        assert [m["kind"] for m in start["moves"]] == [a[0] for a, _, _ in successors]
        walked = start
        for _ in range(4):
            walked = explore(ws, {"op": "move", "index": 0})
        assert walked["path"] == [0, 0, 0, 0] and "path=0.0.0.0" in walked["query"]
        assert walked["data"]["events"]  # the path's trace, for the viewer
        # The URL brings anyone back to the same state.
        again = explore(
            ws, {"op": "open", "options": {"caravans": 3, "proposers": 1}, "path": "0.0.0.0"}
        )
        assert again["moves"] == walked["moves"] and again["data"] == walked["data"]
        assert explore(ws, {"op": "back"})["path"] == [0, 0, 0]
        for bad in (
            {"op": "move", "index": 999},
            {"op": "move", "index": "first"},
            {"op": "open", "options": {"caravans": 99}},
            {"op": "open", "options": {"variant": "<script>"}},
            {"op": "open", "options": "all of them"},
            {"op": "open", "options": {}, "path": "1.x.2"},
            {"op": "dance"},
        ):
            answer = explore(ws, bad)
            assert answer["type"] == "error" and answer["problems"], bad
        assert explore(ws, {"op": "move", "index": 0})["path"] == [0, 0, 0, 0]  # walk intact


def test_explore_finds_and_plays_the_shortest_counterexample(client: TestClient) -> None:
    with client.websocket_connect("ws://127.0.0.1/ws/explore") as ws:
        json.loads(ws.receive_text())
        explore(ws, {"op": "open", "options": {"variant": "stubborn-proposer"}})
        found = explore(ws, {"op": "counterexample"})
        assert found["type"] == "explore" and found["play"] is True
        assert found["broken"] == "agreement" and found["moves"] == []
        assert found["data"]["violations"]
        # The path is moves of the page's own walk: replaying it by hand breaks the same way.
        options = {"variant": "stubborn-proposer", "invariants": "agreement"}
        replay = explore(ws, {"op": "open", "options": options, "path": found["path"]})
        assert replay["broken"] == "agreement" and replay["path"] == found["path"]
        explore(ws, {"op": "open", "options": {"caravans": 2, "proposers": 1}})
        safe = explore(ws, {"op": "counterexample"})
        assert safe["type"] == "verdict" and "holds" in safe["text"]


def test_every_builtin_scenario_opens_in_a_room(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        for name in BUILTIN_NAMES:
            page.run(f"/load {name}")
            page.run("/run 200", typed=False)
            assert page.at["scenario"] == load_builtin(name).name
            assert page.mirror.data == expected(room_of(client, page).session), name
