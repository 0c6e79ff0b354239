"""The HTML viewer in a real browser: Debian's Chromium, driven by Playwright.

Every check reads the page's DOM and compares it with the trace the page was made
from. The tests are skipped only when no Chromium can be found at all, and never
under CI (``.ci/run`` installs it), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.narrate import event_level, fmt_ballot, protocol_voice, story_voice
from desert_paxos.viewer import write_html

from .viewer_traces import CHROMIUM_ARGS, LONG_DAY, Event, trace_of, trace_of_data

SPLIT_BRAIN: dict[str, Any] = {
    "name": "split-brain",
    "description": "Quorums of two that need not meet, and a sandstorm: two campsites are chosen.",
    "seed": 3,
    "caravans": ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"],
    "variant": "small-quorums",
    "quorums": {"phase1": 2, "phase2": 2},
    "network": {"delay": {"min": 5, "max": 30}},
    "proposals": [
        {"at": 10, "caravan": "Aghilas", "campsite": "Oasis of Siwa"},
        {"at": 10, "caravan": "Itri", "campsite": "Ghadames Springs"},
    ],
    "timeline": [{"at": 0, "sandstorm": [["Aghilas", "Taziri"], ["Amastan", "Itri", "Tassadit"]]}],
    "until": 2000,
}


def _find_chromium() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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


class Viewer:
    """One page of the viewer, with what it logged and asked the network for."""

    def __init__(self, page: Any, url: str, header: Event, events: list[Event]) -> None:
        self.page, self.url, self.header, self.events = page, url, header, events
        self.problems: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("request", lambda request: self.requests.append(request.url))
        page.goto(url)
        page.wait_for_function("() => window.desertViewer !== undefined")
        self.settle()

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def settle(self) -> None:
        """Wait until the page has drawn its pending frame."""
        self.page.evaluate(
            "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )

    def slide_to(self, t: int) -> None:
        self.page.locator("#slider").fill(str(t))
        self.settle()

    def scroll_diagram(self, top: float) -> None:
        self.page.evaluate(
            "(top) => { document.getElementById('diagram-scroll').scrollTop = top; }", top
        )
        self.settle()

    def everything_in_diagram(self, selector: str, attribute: str) -> list[str]:
        """``attribute`` of every ``selector`` element met while scrolling the whole diagram."""
        height, view = self.page.evaluate(
            "() => { const s = document.getElementById('diagram-scroll'); return [s.scrollHeight, s.clientHeight]; }"
        )
        seen: dict[str, None] = {}
        top = 0.0
        while True:
            self.scroll_diagram(top)
            for value in self.page.eval_on_selector_all(
                selector, f"(els) => els.map((e) => e.getAttribute('{attribute}'))"
            ):
                seen[value] = None
            if top + view >= height:
                break
            top += view
        return list(seen)


@pytest.fixture
def open_viewer(browser: Any, tmp_path: Path) -> Iterator[Callable[[Event, list[Event]], Viewer]]:
    opened: list[Viewer] = []
    contexts: list[Any] = []

    def open_(header: Event, events: list[Event]) -> Viewer:
        path = tmp_path / f"run{len(opened)}.html"
        write_html(header, events, path)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        viewer = Viewer(context.new_page(), path.as_uri(), header, events)
        opened.append(viewer)
        return viewer

    yield open_
    for context in contexts:
        context.close()
    for viewer in opened:
        assert viewer.problems == [], "the page logged errors"
        assert set(viewer.requests) <= {viewer.url}, "the page asked the network for something"


# -- what the trace says, computed here from the raw events ------------------------------


def expected_states(events: list[Event], caravans: list[str], t: int) -> dict[str, dict[str, str]]:
    states = {
        name: {"status": "standing", "promised": "—", "accepted": "—", "decided": "—"}
        for name in caravans
    }

    def accepted(value: Any) -> str:
        return f"{value['value']} @ {fmt_ballot(value['ballot'])}" if value else "—"

    for event in events:
        if event["t"] > t:
            break
        state = states.get(event.get("node", ""))
        if state is None:
            continue
        match event["kind"]:
            case "persist":
                state["promised"] = fmt_ballot(event["promised"]) if event["promised"] else "—"
                state["accepted"] = accepted(event["accepted"])
            case "decide":
                state["decided"] = event["value"]
            case "crash":
                state["status"] = "collapsed"
            case "recover":
                state.update(status="standing", decided="—", accepted=accepted(event["accepted"]))
                state["promised"] = fmt_ballot(event["promised"]) if event["promised"] else "—"
    return states


def expected_riding(events: list[Event], t: int) -> set[str]:
    ended = {e["id"]: e["t"] for e in events if e["kind"] in ("deliver", "drop")}
    return {
        str(e["id"])
        for e in events
        if e["kind"] == "send"
        and e["t"] <= t
        and e["src"] != e["dst"]
        and t < ended.get(e["id"], e["arrive"])
    }


def expected_storm(events: list[Event], t: int) -> str | None:
    groups = None
    for event in events:
        if event["t"] > t:
            break
        if event["kind"] == "sandstorm":
            groups = event["groups"]
        elif event["kind"] == "calm":
            groups = None
    return None if groups is None else "sandstorm: " + " | ".join(", ".join(g) for g in groups)


# -- the diagram ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["calm-day", "lossy-desert", "sandstorm-minority"])
def test_one_arrow_per_send(open_viewer: Callable[..., Viewer], name: str) -> None:
    header, events = trace_of(name)
    viewer = open_viewer(header, events)
    arrows = viewer.everything_in_diagram("#diagram g.r", "data-id")
    sends = [str(e["id"]) for e in events if e["kind"] == "send"]
    assert sorted(arrows, key=int) == sorted(sends, key=int)


def test_lost_riders_end_in_a_cross_with_the_reason_and_copies_are_marked(
    open_viewer: Callable[..., Viewer],
) -> None:
    header, events = trace_of("lossy-desert")
    viewer = open_viewer(header, events)
    reasons = {str(e["id"]): e["reason"] for e in events if e["kind"] == "drop"}
    copies = {str(e["id"]) for e in events if e["kind"] == "send" and "copy_of" in e}
    assert reasons and copies
    shown = {"loss": "lost", "sandstorm": "storm", "crashed": "collapsed"}
    seen_drops: set[str] = set()
    seen_copies: set[str] = set()
    height = viewer.page.evaluate("() => document.getElementById('diagram-scroll').scrollHeight")
    top = 0
    while top < height:
        viewer.scroll_diagram(top)
        for rider in viewer.page.eval_on_selector_all(
            "#diagram g.r",
            """(els) => els.map((g) => ({id: g.dataset.id, cls: g.getAttribute('class'),
                 cross: !!g.querySelector('.x'), why: (g.querySelector('.why') || {}).textContent || null,
                 tag: (g.querySelector('.tag') || {}).textContent || null}))""",
        ):
            if rider["id"] in reasons:
                seen_drops.add(rider["id"])
                assert "drop" in rider["cls"].split() and rider["cross"]
                assert rider["why"] == shown[reasons[rider["id"]]]
            else:
                assert not rider["cross"]
            if rider["id"] in copies:
                seen_copies.add(rider["id"])
                assert "dup" in rider["cls"].split() and rider["tag"].startswith("copy of #")
        top += 600
    assert seen_drops == set(reasons)
    assert seen_copies == copies


def test_storms_shade_between_groups_and_a_collapse_is_a_gap(
    open_viewer: Callable[..., Viewer],
) -> None:
    header, events = trace_of("sandstorm-minority")
    viewer = open_viewer(header, events)
    viewer.scroll_diagram(0)
    # Aghilas, Taziri | Amastan, Itri, Tassadit: one wall, between Taziri's and Amastan's lanes.
    walls = viewer.page.eval_on_selector_all("#diagram rect.storm-wall", "(els) => els.length")
    assert walls == 1

    header, events = trace_of("acceptor-collapses")
    viewer = open_viewer(header, events)
    crashed = next(e["node"] for e in events if e["kind"] == "crash")
    lane_x = viewer.page.evaluate(
        """(name) => { const s = [...document.querySelectorAll('#lane-heads span')]
             .find((el) => el.textContent === name); return parseFloat(s.style.left); }""",
        crashed,
    )
    gaps = viewer.everything_in_diagram("#diagram line.gap", "x1")
    assert gaps and all(abs(float(x) - lane_x) < 0.5 for x in gaps)


def test_decisions_are_marked_on_each_lane_that_learns(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("sandstorm-minority")
    viewer = open_viewer(header, events)
    decides = [str(i) for i, e in enumerate(events) if e["kind"] == "decide"]
    marked = viewer.everything_in_diagram("#diagram g.m.decide", "data-ev")
    assert sorted(marked, key=int) == decides


def test_a_violation_is_loud(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of_data(SPLIT_BRAIN)
    violation = next(e for e in events if e["kind"] == "violation")
    viewer = open_viewer(header, events)
    banner = viewer.page.locator("#violation-banner")
    assert banner.is_visible()
    assert violation["invariant"] in banner.inner_text()
    banner.click()
    viewer.settle()
    band = viewer.page.locator("#diagram g.violation text")
    assert band.count() == 1 and "SAFETY VIOLATED" in (band.text_content() or "")
    assert viewer.page.evaluate("window.desertViewer.t") == violation["t"]


def test_a_trace_cut_short_says_it_is_incomplete(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("sandstorm-minority")
    assert not open_viewer(header, events).page.locator("#incomplete-banner").is_visible()
    cut = events[:60]  # a run killed mid-way: no end event
    banner = open_viewer(header, cut).page.locator("#incomplete-banner")
    assert banner.is_visible()
    sent = sum(e["kind"] == "send" for e in cut)
    text = banner.inner_text()
    assert "INCOMPLETE trace" in text and f"{sent} riders sent" in text


# -- the slider, the map and the states ------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["sandstorm-minority", "acceptor-collapses", "late-recovery", "lossy-desert"]
)
def test_the_slider_shows_the_map_and_states_at_t(
    open_viewer: Callable[..., Viewer], name: str
) -> None:
    header, events = trace_of(name)
    caravans = header["caravans"]
    viewer = open_viewer(header, events)
    end = events[-1]["t"]
    moments = {0, end, end // 2}
    moments |= {e["t"] for e in events if e["kind"] in ("sandstorm", "calm", "crash", "recover")}
    moments |= {random.Random(name).randrange(end + 1) for _ in range(4)}
    for t in sorted(moments):
        viewer.slide_to(t)
        page = viewer.page
        assert page.evaluate("window.desertViewer.t") == t
        table = page.eval_on_selector_all(
            "#states tbody tr",
            """(rows) => rows.map((r) => [r.dataset.caravan, Object.fromEntries(
                 [...r.querySelectorAll('td')].map((td) => [td.dataset.field, td.textContent]))])""",
        )
        assert dict(table) == expected_states(events, caravans, t), f"states at t={t}"
        on_map = page.eval_on_selector_all(
            "#map .caravan", "(els) => els.map((g) => [g.dataset.caravan, g.dataset.status])"
        )
        want = expected_states(events, caravans, t)
        assert dict(on_map) == {
            n: "alive" if s["status"] == "standing" else "collapsed" for n, s in want.items()
        }
        riders = page.eval_on_selector_all(
            "#map circle.rider", "(els) => els.map((c) => c.dataset.id)"
        )
        assert set(riders) == expected_riding(events, t), f"riders on the sand at t={t}"
        storm = page.eval_on_selector_all(
            "#map .storm-title", "(els) => els.map((e) => e.textContent)"
        )
        assert storm == ([s] if (s := expected_storm(events, t)) else []), f"storm at t={t}"


def test_keyboard_steps_event_by_event_and_space_plays(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("calm-day")
    viewer = open_viewer(header, events)
    page = viewer.page
    now = page.locator("#now-story")
    page.keyboard.press("ArrowRight")
    viewer.settle()
    assert page.evaluate("window.desertViewer.cursor") == 0
    assert now.inner_text() == story_voice(events[0])
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    viewer.settle()
    assert page.evaluate("window.desertViewer.cursor") == 1
    assert now.inner_text() == story_voice(events[1])
    page.keyboard.press("Shift+ArrowRight")
    viewer.settle()
    story_next = next(i for i in range(2, len(events)) if event_level(events[i]) <= 1)
    assert page.evaluate("window.desertViewer.cursor") == story_next
    page.keyboard.press("End")
    viewer.settle()
    assert page.evaluate("window.desertViewer.cursor") == len(events) - 1
    assert page.locator("#slider").input_value() == str(events[-1]["t"])
    page.keyboard.press("Home")
    page.keyboard.press(" ")
    page.wait_for_function("() => window.desertViewer.t > 0")
    assert page.locator("#btn-play").inner_text().endswith("pause")
    page.keyboard.press(" ")
    viewer.settle()
    assert page.locator("#btn-play").inner_text().endswith("play")


# -- details, hover and filters -----------------------------------------------------------


def _clickable_point(viewer: Viewer, selector: str) -> tuple[str, float, float]:
    """A point on an arrow (or mark) matching ``selector`` where it, not a neighbour, is on top."""
    found = viewer.page.evaluate(
        """(selector) => {
          const view = document.getElementById('diagram-scroll').getBoundingClientRect();
          for (const g of document.querySelectorAll(selector)) {
            const shape = g.querySelector('.ln') || g.firstElementChild;
            const box = shape.getBoundingClientRect();
            for (const f of [0.5, 0.3, 0.7, 0.2, 0.8]) {
              let x = box.left + box.width * f, y = box.top + box.height * f;
              if (shape.getTotalLength && shape.tagName !== 'rect' && shape.tagName !== 'circle') {
                const p = shape.getPointAtLength(shape.getTotalLength() * f);
                const q = shape.ownerSVGElement.createSVGPoint(); q.x = p.x; q.y = p.y;
                const r = q.matrixTransform(shape.getScreenCTM()); x = r.x; y = r.y;
              }
              if (x < view.left || x > view.right || y < view.top || y > view.bottom) continue;
              const hit = document.elementFromPoint(x, y);
              if (hit && hit.closest(selector.split(' ').pop()) === g) return [g.dataset.id || g.dataset.ev, x, y];
            }
          }
          return null;
        }""",
        selector,
    )
    assert found is not None, f"nothing matching {selector} can be clicked"
    return str(found[0]), float(found[1]), float(found[2])


def test_clicking_a_rider_tells_it_in_both_voices(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("sandstorm-minority")
    viewer = open_viewer(header, events)
    rider_id, x, y = _clickable_point(viewer, "#diagram g.r")
    viewer.page.mouse.click(x, y)
    viewer.settle()
    send = next(e for e in events if e["kind"] == "send" and str(e["id"]) == rider_id)
    fate = next(e for e in events if e["kind"] in ("deliver", "drop") and str(e["id"]) == rider_id)
    details = viewer.page.locator("#details")
    text = details.inner_text()
    assert details.get_attribute("data-rider") == rider_id
    title = f"Rider #{rider_id} · {send['src']} → {send['dst']} · {send['msg']['type'].upper()}"
    assert title in text
    for told in (story_voice(send), protocol_voice(send), story_voice(fate), protocol_voice(fate)):
        assert told in text
    assert "sel" in viewer.page.locator(f'#diagram g.r[data-id="{rider_id}"]').get_attribute(
        "class"
    )


def test_clicking_a_mark_tells_its_event(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("calm-day")
    viewer = open_viewer(header, events)
    index, x, y = _clickable_point(viewer, "#diagram g.m.decide")
    viewer.page.mouse.click(x, y)
    viewer.settle()
    event = events[int(index)]
    assert event["kind"] == "decide"
    text = viewer.page.locator("#details").inner_text()
    assert story_voice(event) in text and protocol_voice(event) in text


def test_hovering_an_arrow_highlights_its_path(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("calm-day")
    viewer = open_viewer(header, events)
    rider_id, x, y = _clickable_point(viewer, "#diagram g.r")
    viewer.page.mouse.move(x, y)
    viewer.settle()
    hot = viewer.page.eval_on_selector_all(
        "#diagram g.r.hot", "(els) => els.map((g) => g.dataset.id)"
    )
    assert hot == [rider_id]
    send = next(e for e in events if e["kind"] == "send" and str(e["id"]) == rider_id)
    paths = viewer.page.locator("#map line.path")
    assert paths.count() == (0 if send["src"] == send["dst"] else 1)
    viewer.page.mouse.move(5, 5)
    viewer.settle()
    assert viewer.page.locator("#diagram g.r.hot").count() == 0


def test_filters_hide_message_types_and_caravans(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("dueling-proposers")
    viewer = open_viewer(header, events)
    page = viewer.page
    page.locator('#filter-types input[data-type="prepare"]').uncheck()
    viewer.settle()
    shown = viewer.everything_in_diagram("#diagram g.r", "class")
    assert shown and not any("t-prepare" in c.split() for c in shown)
    page.locator('#filter-types input[data-type="prepare"]').check()
    for name in header["caravans"]:
        if name != "Itri":
            page.locator(f'#filter-caravans input[data-caravan="{name}"]').uncheck()
    viewer.settle()
    ids = viewer.everything_in_diagram("#diagram g.r", "data-id")
    involving_itri = {
        str(e["id"]) for e in events if e["kind"] == "send" and "Itri" in (e["src"], e["dst"])
    }
    assert ids and set(ids) == involving_itri


# -- a long trace ------------------------------------------------------------------------------


def test_a_ten_thousand_event_trace_draws_only_what_is_in_view(
    open_viewer: Callable[..., Viewer],
) -> None:
    header, events = trace_of_data(LONG_DAY)
    assert len(events) > 10_000
    viewer = open_viewer(header, events)
    page = viewer.page
    total = page.evaluate("window.desertViewer.riderCount")
    assert total == sum(1 for e in events if e["kind"] == "send")
    drawn = page.locator("#diagram g.r").count()
    assert 0 < drawn < total // 10
    # Jumping to the end brings the decision into view and into the states.
    page.keyboard.press("End")
    viewer.settle()
    decided = {e["node"]: e["value"] for e in events if e["kind"] == "decide"}
    cells = page.eval_on_selector_all(
        '#states td[data-field="decided"]', "(tds) => tds.map((td) => td.textContent)"
    )
    assert set(cells) == set(decided.values())
    assert page.locator("#diagram g.m.decide").count() == len(decided)
    assert page.locator("#diagram g.r").count() < total // 10
