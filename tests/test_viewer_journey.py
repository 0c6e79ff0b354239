"""A journey's page: the history view, the log view that follows the time cursor, the GIF.

The journey is a real one (``run calm-journey --trace``); the non-linearizable history is
made by hand. The browser test drives Debian's Chromium the way test_viewer_browser does.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.check._journey import history_events
from desert_paxos.trace import read_trace
from desert_paxos.viewer import render_html
from desert_paxos.viewer._journey import history_view_html, log_cell_states

from .test_cli_bad_input import cli
from .viewer_traces import CHROMIUM_ARGS

HEADER: dict[str, Any] = {"kind": "header", "protocol": "multi-paxos", "caravans": ["A", "B"]}


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[Any]]:
    trace = tmp_path_factory.mktemp("journey") / "calm.jsonl"
    done = cli("run", "calm-journey", "--log-level", "quiet", "--trace", str(trace))
    assert done.returncode == 0, done.stdout + done.stderr
    header, events = read_trace(trace)
    return trace, header, events


def _bars(panel: str) -> int:
    return len(re.findall(r'<rect class="bar ', panel))


def test_the_history_panel_draws_one_bar_per_request_and_says_linearizable(
    journey: tuple[Path, dict[str, Any], list[Any]],
) -> None:
    _, header, events = journey
    panel = history_view_html(header, events)
    invoked = [e for e in history_events(events) if e["type"] == "invoke"]
    assert len(invoked) == sum(1 for e in events if e["kind"] == "request" and not e["retry"])
    assert _bars(panel) == len(invoked) > 0
    assert 'class="verdict v-linearizable">linearizable<' in panel
    assert "cannot be placed:" not in panel
    page = render_html(header, events)
    assert "id='history-view'" in page and page.count('<rect class="bar ') == len(invoked)


def _asked(t: int, who: str, n: int, op: str, **more: Any) -> dict[str, Any]:
    return {"kind": "request", "t": t, "traveller": who, "request": n, "op": op, "key": "water",
            "retry": False, **more}  # fmt: skip


def _answered(t: int, who: str, n: int, op: str, **more: Any) -> dict[str, Any]:
    return {"kind": "response", "t": t, "traveller": who, "request": n, "op": op, "key": "water",
            "ok": True, **more}  # fmt: skip


def test_a_stale_read_shows_the_prefix_and_the_request_that_cannot_be_placed() -> None:
    events = [  # Ines writes 40 and is answered; afterwards Tin reads the old nothing
        _asked(1, "Ines", 1, "put", value=40),
        _answered(5, "Ines", 1, "put", value=40, result=None),
        _asked(6, "Tin", 1, "get"),
        _answered(9, "Tin", 1, "get", result=None),
    ]
    panel = history_view_html(HEADER, events)
    assert _bars(panel) == 2
    assert 'class="verdict v-not">not linearizable<' in panel
    assert panel.count('class="bar prefix') == 1 and panel.count('class="bar blocked') == 1
    assert "The first operation that cannot be placed" in panel
    assert history_view_html({"protocol": "single-decree"}, events) == ""


def test_the_log_cells_follow_the_time(journey: tuple[Path, dict[str, Any], list[Any]]) -> None:
    _, header, events = journey
    first = next(e for e in events if e["kind"] == "chosen")
    slot, at = first["slot"], first["t"]
    before = log_cell_states(header, events, at - 1)
    assert {s for (n, _), s in before.items() if n == slot} == {"open"}
    learned = {e["node"]: e["t"] for e in events if e["kind"] == "learn" and e["slot"] == slot}
    then = log_cell_states(header, events, at)
    for caravan in header["caravans"]:
        want = "chosen" if learned.get(caravan, at + 1) > at else "known"
        assert then[slot, caravan] in (want, "executed")
    assert "chosen" in then.values()  # chosen before anyone knew: the lesson
    end = log_cell_states(header, events, events[-1]["t"])
    assert end[slot, first["by"][0]] == "executed"


def test_the_gif_of_a_journey_is_drawn_beside_its_page(
    journey: tuple[Path, dict[str, Any], list[Any]], tmp_path: Path
) -> None:
    trace, _, events = journey
    gif, page = tmp_path / "j.gif", tmp_path / "j.html"
    done = cli("export", str(trace), "--html", str(page), "--gif", str(gif), "--max-frames", "40")
    assert done.returncode == 0, done.stderr
    assert "single-decree" not in done.stderr and "Traceback" not in done.stderr
    assert f"wrote {gif}: 40 frames" in done.stdout
    assert gif.read_bytes().startswith(b"GIF89a") and page.exists()
    assert len(events) > 40  # so the cap is what made it 40


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def test_the_slider_moves_the_log_view_in_chromium(
    journey: tuple[Path, dict[str, Any], list[Any]], tmp_path: Path
) -> None:
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium at /usr/bin/chromium; .ci/run installs it")
        pytest.skip("no Chromium found at /usr/bin/chromium or on PATH")
    from playwright.sync_api import sync_playwright

    trace, header, events = journey
    page_file = tmp_path / "j.html"
    done = cli("export", str(trace), "--html", str(page_file))
    assert done.returncode == 0, done.stderr
    first = next(e for e in events if e["kind"] == "chosen")
    slot, at = first["slot"], first["t"]
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "request", lambda r: problems.append(r.url) if r.url != page_file.as_uri() else None
            )
            page.goto(page_file.as_uri())
            page.wait_for_function("() => window.desertViewer !== undefined")

            def states(t: int) -> dict[tuple[int, str], str]:
                page.locator("#slider").fill(str(t))
                page.wait_for_timeout(50)
                cells = page.eval_on_selector_all(
                    "#log-view td[data-night]",
                    "(els) => els.map((e) => [Number(e.dataset.night), e.dataset.caravan, "
                    "e.dataset.state])",
                )
                return {(n, c): s for n, c, s in cells}

            early, middle, late = states(at - 1), states(at), states(events[-1]["t"])
        finally:
            browser.close()
    assert not problems
    assert early == log_cell_states(header, events, at - 1)
    assert middle == log_cell_states(header, events, at)
    assert late == log_cell_states(header, events, events[-1]["t"])
    assert early != middle != late
    assert early[slot, first["by"][0]] == "open" and late[slot, first["by"][0]] == "executed"
