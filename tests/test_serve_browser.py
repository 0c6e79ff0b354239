"""desert-paxos serve in a real browser: Debian's Chromium driven by Playwright.

The server is uvicorn on a free port (port 0) in a thread, stopped after the
module's tests whatever happens. Every control is used as a person would: a
click on a caravan, groups picked for a sandstorm, the slider dragged back and
a fork made, a download saved and uploaded again, explore mode's moves and its
counterexample, and a second browser following the teacher.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn")

from desert_paxos.scenario import load_builtin
from desert_paxos.serve import MAX_FRAME_BYTES, make_app

from .serve_helpers import running_server
from .test_viewer_browser import _find_chromium
from .viewer_traces import CHROMIUM_ARGS

TIMEOUT_MS = 10_000  # generous: the machine is shared; the benchmark measures speed


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, as the viewer's tests find it (a failure under CI if missing)."""
    chromium = _find_chromium()
    if chromium is None:
        message = "no Chromium found at /usr/bin/chromium or on PATH (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; .ci/run installs it, so CI must have it")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """uvicorn serving sandstorm-minority on 127.0.0.1, a free port; always stopped."""
    with running_server(make_app("sandstorm-minority", load_builtin("sandstorm-minority"))) as url:
        yield url


class LivePage:
    """A page of the live desert, with its console problems and every URL it asked for."""

    def __init__(self, browser: Any, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1500, "height": 950})
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(url)
        self.page.wait_for_function(
            "() => window.desertViewer && window.desertLive.at", timeout=TIMEOUT_MS
        )

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def at(self) -> dict[str, Any]:
        found: dict[str, Any] = self.page.evaluate("() => window.desertLive.at")
        return found

    def settled(self, predicate: str) -> None:
        """Wait until ``predicate`` (a JS expression on ``at``, the session's place) holds."""
        self.page.wait_for_function(
            f"() => {{ const at = window.desertLive.at; return !!at && ({predicate}); }}",
            timeout=TIMEOUT_MS,
        )
        self.page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )

    def pane(self) -> str:
        """The narration pane's text, its lines joined (it is wrapped to its width)."""
        text: str = self.page.inner_text("#live-pane")
        return " ".join(text.split())

    def type_line(self, line: str) -> None:
        position = self.at()["position"]
        self.page.fill("#live-line", line)
        self.page.press("#live-line", "Enter")
        self.page.wait_for_function(
            "(line) => document.getElementById('live-pane').textContent.includes('>>> ' + line)",
            arg=line,
            timeout=TIMEOUT_MS,
        )
        del position

    def click_caravan(self, name: str) -> None:
        """A click on the caravan on the map (its cross or tent may lie on top: still it)."""
        self.page.locator(f'#map g.caravan[data-caravan="{name}"] circle.body').click(force=True)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def live(browser: Any, server: str) -> Iterator[LivePage]:
    page = LivePage(browser, server + "/")
    yield page
    assert page.problems == []
    assert all(url.startswith((server, "data:", "blob:")) for url in page.requests), page.requests
    page.close()


def test_step_back_play_and_a_click_on_a_caravan_collapse_it(live: LivePage) -> None:
    page = live.page
    for _ in range(4):
        page.click("#live-step")
    live.settled("at.position === 4")
    page.click("#live-back")
    live.settled("at.position === 3 && at.frontier === 4")
    live.click_caravan("Itri")
    page.click("#live-menu-crash")
    live.settled("at.acts === 1")
    page.wait_for_selector('#map g.caravan[data-caravan="Itri"][data-status="collapsed"]')
    assert "Itri collapses" in live.pane()
    live.click_caravan("Itri")
    assert page.is_hidden("#live-menu-crash") and page.is_visible("#live-menu-recover")
    page.click("#live-menu-recover")
    page.wait_for_selector('#map g.caravan[data-caravan="Itri"][data-status="alive"]')
    live.click_caravan("Taziri")
    page.fill("#live-menu-campsite", "Ksar Ghilane")
    page.press("#live-menu-campsite", "Enter")
    live.settled("at.acts === 3")
    assert "Taziri wishes to camp at Ksar Ghilane" in live.pane()
    live.click_caravan("Amastan")
    page.click("#live-menu-why")
    page.wait_for_function(
        "() => document.getElementById('live-pane').textContent.includes('>>> /why Amastan')"
    )
    page.select_option("#live-speed", "2000")
    page.click("#live-play")
    live.settled("at.playing")
    live.settled("at.position > 12")
    page.click("#live-play")
    live.settled("!at.playing")


def test_a_sandstorm_by_groups_or_typed_then_calm_loss_and_delay(live: LivePage) -> None:
    page = live.page
    page.click("#live-step")
    for name, group in (
        ("Aghilas", "1"),
        ("Taziri", "1"),
        ("Amastan", "2"),
        ("Itri", "2"),
        ("Tassadit", "3"),
    ):
        page.select_option(f'#live-groups select[data-caravan="{name}"]', group)
    page.click("#live-storm")
    live.settled("at.acts === 1")
    assert "sandstorm rises: Aghilas, Taziri | Amastan, Itri | Tassadit" in live.pane()
    page.wait_for_selector('#map .bubble[data-group="2"]')
    page.click("#live-calm")
    live.settled("at.acts === 2")
    page.fill("#live-storm-text", "Aghilas | Taziri, Amastan, Itri, Tassadit")
    page.click("#live-storm-typed button")
    live.settled("at.acts === 3")
    page.fill("#live-loss", "50%")
    page.click("#live-loss-form button")
    live.settled("at.acts === 4")
    page.fill("#live-delay-min", "10")
    page.fill("#live-delay-max", "20")
    page.click("#live-delay-form button")
    live.settled("at.acts === 5")
    pane = live.pane()
    assert "50% of riders are lost" in pane and "riders take 10 to 20 ticks" in pane
    page.fill("#live-storm-text", "Aghilas, Nobody")
    page.click("#live-storm-typed button")
    page.wait_for_selector("#live-pane .error")
    assert "unknown caravan 'Nobody'" in page.inner_text("#live-pane .error >> nth=-1")


def test_a_rider_clicked_on_the_map_is_taken_off_the_sand(live: LivePage) -> None:
    page = live.page
    live.type_line("/run 12")  # Amastan proposes at t=10: its riders are on the sand
    live.settled("at.t === 12")
    rider = page.locator("#map circle.rider").first
    rider.wait_for()
    rider_id = rider.get_attribute("data-id")
    rider.click(force=True)
    live.settled("at.acts === 1")
    assert f"rider #{rider_id}" in live.pane() and "taken off the sand" in live.pane()


def test_the_slider_travels_back_and_acting_there_forks_the_future(live: LivePage) -> None:
    page = live.page
    live.type_line("/run 150")
    live.settled("at.t === 150")
    page.locator("#live-slider").fill("40")  # input (a preview) then change: /goto 40
    live.settled("at.t === 40")
    known = live.at()
    assert known["frontier"] > known["position"]  # the future is still known
    assert page.evaluate("() => window.desertViewer.t") == 40
    live.click_caravan("Amastan")
    page.click("#live-menu-crash")
    page.wait_for_selector("#live-notice.fork")
    assert "old future" in page.inner_text("#live-notice")
    assert "old future was discarded" in live.pane()
    live.settled("at.frontier === at.position && at.frontierT < 100")


def test_the_narration_level_and_the_command_box(live: LivePage) -> None:
    page = live.page
    page.select_option("#live-level", "debug")
    live.settled("at.level === 'debug'")
    live.type_line("/step 3")
    assert "PREPARE" in live.pane() or "prepare" in live.pane().lower()
    live.type_line("/teleport")
    assert "teleport" in page.inner_text("#live-pane .error >> nth=-1")
    live.type_line("/save /tmp/should-not-exist.json")
    assert not Path("/tmp/should-not-exist.json").exists()
    assert "Save button" in page.inner_text("#live-pane .error >> nth=-1")


def test_save_and_upload_round_trip_and_the_file_replays_byte_for_byte(
    live: LivePage, tmp_path: Path
) -> None:
    page = live.page
    for line in ("/step 6", "/crash Taziri", "/run 300", "/recover Taziri", "/run"):
        live.type_line(line)
    live.settled("at.ended")
    with page.expect_download() as saving:
        page.click("#live-save")
    saved = tmp_path / "session.json"
    saving.value.save_as(saved)
    with page.expect_download() as exporting:
        page.click("#live-export")
    exported = tmp_path / "exported.jsonl"
    exporting.value.save_as(exported)
    replayed = tmp_path / "replayed.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "desert_paxos", "run", str(saved), "--trace", str(replayed)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    assert replayed.read_bytes() == exported.read_bytes()
    # Upload the saved file: the session starts over on it, hand-made events and all.
    live.type_line("/load calm-day")
    live.settled("at.scenario === 'calm-day'")
    page.set_input_files("#live-upload", str(saved))
    live.settled("at.scenario === 'sandstorm-minority' && at.position === 0")
    live.type_line("/run")
    live.settled("at.ended")
    with page.expect_download() as again:
        page.click("#live-export")
    second = tmp_path / "second.jsonl"
    again.value.save_as(second)
    assert second.read_bytes() == exported.read_bytes()


def test_an_invalid_upload_is_shown_per_field_and_text_is_never_html(
    live: LivePage, tmp_path: Path
) -> None:
    page = live.page
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"caravans": ["A", "A"], "until": -1}), encoding="utf-8")
    page.set_input_files("#live-upload", str(bad))
    page.wait_for_selector("#live-problems li code")
    problems = page.inner_text("#live-problems")
    assert "caravans[1]" in problems and "until" in problems
    # The browser itself logs the refusal (422); the page told it field by field.
    live.problems[:] = [p for p in live.problems if "422" not in p]
    hostile = load_builtin("calm-day").to_json()
    hostile["description"] = '<img src=x onerror="window.pwned = 1"><b>bold?</b>'
    hostile["proposals"][0]["campsite"] = "<script>window.pwned = 2</script>"
    sly = tmp_path / "sly.json"
    sly.write_text(json.dumps(hostile), encoding="utf-8")
    page.set_input_files("#live-upload", str(sly))
    live.settled("at.position === 0 && at.scenario === 'calm-day'")
    page.wait_for_function(
        "() => document.getElementById('description').textContent.includes('<img')"
    )
    live.type_line("/run 100")
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#description img, #description b, #live-pane script").count() == 0
    assert "<script>window.pwned = 2</script>" in live.pane()


def test_a_follower_sees_the_teachers_moves(browser: Any, live: LivePage, server: str) -> None:
    follow = live.page.get_attribute("#live-follow-link", "href")
    assert follow is not None and follow.startswith("/follow/")
    student = LivePage(browser, server + follow)
    try:
        assert student.page.inner_text("#live-role").startswith("following")
        assert student.page.is_disabled("#live-step")
        live.page.click("#live-step")
        live.settled("at.position === 1")
        student.settled("at.position === 1")
        live.click_caravan("Tassadit")
        live.page.click("#live-menu-crash")
        student.page.wait_for_selector(
            '#map g.caravan[data-caravan="Tassadit"][data-status="collapsed"]', timeout=TIMEOUT_MS
        )
        assert "Tassadit collapses" in student.pane()
        student.click_caravan("Aghilas")  # a follower's click changes nothing
        assert student.page.is_hidden("#live-menu")
        assert student.problems == []
    finally:
        student.close()


def test_a_frame_too_big_closes_only_that_socket_and_the_page_comes_back(
    live: LivePage,
) -> None:
    page = live.page
    live.type_line("/step 5")
    page.evaluate(
        "(n) => window.desertLive.send({op: 'run', line: 'x'.repeat(n)})", MAX_FRAME_BYTES + 10
    )
    page.wait_for_function("() => !document.getElementById('live-notice').hidden")
    live.settled("at.position === 5")  # reconnected to the same session, intact
    page.wait_for_function(
        "() => document.getElementById('live-notice').hidden", timeout=TIMEOUT_MS
    )
    page.click("#live-step")
    live.settled("at.position === 6")
    live.problems.clear()  # the lost connection is logged by the browser itself


def test_explore_mode_steps_goes_back_and_plays_the_shortest_counterexample(
    browser: Any, server: str
) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(server + "/explore?caravans=3&proposers=2")
        page.wait_for_selector("#explore-moves button")
        first = page.inner_text("#explore-moves button >> nth=0")
        assert "propose" in first
        page.click("#explore-moves button >> nth=0")
        page.wait_for_function("() => location.search.includes('path=0')")
        page.click("#explore-moves button >> nth=0")
        page.wait_for_function("() => location.search.includes('path=0.0')")
        shared = page.evaluate("() => location.href")
        page.click("#ex-back")
        page.wait_for_function("() => /path=0(&|$)/.test(location.search)")
        other = browser.new_page()  # the shared link opens the same state elsewhere
        other.goto(shared)
        other.wait_for_function(
            "() => window.desertExplore.current && window.desertExplore.current.path.length === 2"
        )
        other.close()
        page.select_option("#ex-variant", "stubborn-proposer")
        page.click("#ex-start")
        page.wait_for_function(
            "() => window.desertExplore.current && window.desertExplore.current.path.length === 0 && location.search.includes('stubborn')"
        )
        page.click("#ex-counter")
        page.wait_for_selector("#explore-verdict.broken", timeout=60_000)
        assert "agreement" in page.inner_text("#explore-verdict")
        assert page.is_visible("#violation-banner")
        page.wait_for_function("() => window.desertViewer.t > 0")  # it plays from the start
        assert problems == []
    finally:
        page.close()
