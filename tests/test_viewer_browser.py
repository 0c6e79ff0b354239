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

from desert_paxos.narrate import GLOSSARY, event_level, fmt_ballot, protocol_voice, story_voice
from desert_paxos.scenario import BUILTIN_NAMES
from desert_paxos.viewer import build_model, write_html

from .viewer_traces import (
    CHROMIUM_ARGS,
    LONG_DAY,
    Event,
    by_hand,
    trace_file_of,
    trace_of,
    trace_of_data,
)

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
    """What the state table says at ``t``, in the glossary's words."""
    states = {
        name: {"status": "standing", "promise": "none yet", "vote": "none yet", "knows": "—"}
        for name in caravans
    }

    def promise(ballot: Any) -> str:
        return f"banner {fmt_ballot(ballot)}" if ballot else "none yet"

    def vote(value: Any) -> str:
        return f"{value['value']} under {fmt_ballot(value['ballot'])}" if value else "none yet"

    for event in events:
        if event["t"] > t:
            break
        state = states.get(event.get("node", ""))
        if state is None:
            continue
        match event["kind"]:
            case "persist":
                state.update(promise=promise(event["promised"]), vote=vote(event["accepted"]))
            case "decide":
                state["knows"] = event["value"]
            case "crash":
                state["status"] = "collapsed"
            case "recover":
                state.update(status="standing", knows="—", vote=vote(event["accepted"]))
                state["promise"] = promise(event["promised"])
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
    copy_of = {str(e["id"]): e["copy_of"] for e in events if e["kind"] == "send" and "copy_of" in e}
    assert reasons and copies
    labelled_drops = labelled_copies = 0
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
                 title: (g.querySelector('title') || {}).textContent || null,
                 tag: (g.querySelector('.tag') || {}).textContent || null}))""",
        ):
            if rider["id"] in reasons:
                seen_drops.add(rider["id"])
                assert "drop" in rider["cls"].split() and rider["cross"]
                assert rider["why"] in (shown[reasons[rider["id"]]], None)
                assert rider["title"].startswith("lost: ")
                labelled_drops += rider["why"] is not None
            else:
                assert not rider["cross"]
            if rider["id"] in copies:
                seen_copies.add(rider["id"])
                assert "dup" in rider["cls"].split()
                assert rider["tag"] in (f"copy of #{copy_of[rider['id']]}", None)
                labelled_copies += rider["tag"] is not None
        top += 600
    assert seen_drops == set(reasons)
    assert seen_copies == copies
    # A label gives way only where it would cover another: most keep theirs.
    assert labelled_drops > len(reasons) // 2 and labelled_copies > len(copies) // 2


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
            """(rows) => rows.map((r) => [r.dataset.caravan, Object.assign({status: r.dataset.status},
                 Object.fromEntries([...r.querySelectorAll('td')].map((td) => [td.dataset.field, td.textContent])))])""",
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
    now = page.locator("#now-protocol")
    page.keyboard.press("ArrowRight")
    viewer.settle()
    assert page.evaluate("window.desertViewer.cursor") == 0
    assert now.inner_text() == f"t={events[0]['t']}  {protocol_voice(events[0])}"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    viewer.settle()
    assert page.evaluate("window.desertViewer.cursor") == 1
    assert now.inner_text() == f"t={events[1]['t']}  {protocol_voice(events[1])}"
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
        '#states td[data-field="knows"]', "(tds) => tds.map((td) => td.textContent)"
    )
    assert set(cells) == set(decided.values())
    assert page.locator("#diagram g.m.decide").count() == len(decided)
    assert page.locator("#diagram g.r").count() < total // 10


# -- the lessons: legend, headline, promise and vote, majorities, chosen, notes ---------------

LEGEND_KEYS = [
    *(f"type-{t}" for t in ("prepare", "promise", "accept", "accepted", "nack", "decided")),
    "type-inquire",
    "type-other",
    "lost",
    "riding",
    "copy",
    "self",
    "majority-riders",
    "warning-riders",
    "majority",
    "storm",
    "collapse",
    "propose",
    "adopt",
    "decide",
    "chosen",
    "note",
    "crash",
    "recover",
    "timer",
    "violation",
    "map-q1",
    "map-warn",
    "map-knows",
    "map-down",
    "map-storm",
    "map-chosen",
]


def test_the_legend_names_every_shape_and_colour_in_the_glossary_words(
    open_viewer: Callable[..., Viewer],
) -> None:
    header, events = trace_of("calm-day")
    page = open_viewer(header, events).page
    legend = page.locator("#legend")
    assert legend.is_visible()
    keys = page.eval_on_selector_all(
        "#legend .key",
        "(els) => els.map((k) => [k.dataset.key, k.textContent, k.title, !!k.querySelector('svg *')])",
    )
    assert [k[0] for k in keys] == LEGEND_KEYS
    assert all(k[1] and k[2] and k[3] for k in keys), "each key has a picture, a word, a meaning"
    told = {k[0]: k[1] for k in keys}
    assert told["type-accepted"] == "vote" and told["type-nack"] == "refusal"
    assert told["type-inquire"] == "inquiry" and told["chosen"] == "chosen"
    words = page.locator("#legend-words").inner_text()
    for word in GLOSSARY.values():
        assert word.story in words and word.paxos in words
    # The arrows in the legend are drawn with the diagram's own colours.
    colours = page.eval_on_selector_all(
        '#legend .key[data-key^="type-"] line',
        "(ls) => ls.map((l) => getComputedStyle(l).stroke)",
    )
    assert len(set(colours)) == len(colours) == 8


def _headline_index(events: list[Event], cursor: int) -> int:
    """The event the headline tells at ``cursor``: the last story event, never a teacher's note."""
    for k in range(cursor, -1, -1):
        teacher_note = events[k]["kind"] == "note" and "node" not in events[k]
        if not teacher_note and (event_level(events[k]) <= 1 or events[k]["kind"] == "chosen"):
            return k
    return -1


@pytest.mark.parametrize("name", ["late-recovery", "dueling-proposers"])
def test_the_headline_is_always_a_story_event(
    open_viewer: Callable[..., Viewer], name: str
) -> None:
    header, events = trace_of(name)
    viewer = open_viewer(header, events)
    page = viewer.page
    quiet = {"timer", "timer_set", "timer_cancel", "persist"}
    assert quiet & {e["kind"] for e in events}, "the trace has events the headline must skip"
    # Every event, stepped to in turn (drawn at once, not a frame at a time).
    shown = page.evaluate(
        """(n) => { const v = window.desertViewer, el = document.getElementById('now-story'), out = [];
             for (let k = 0; k < n; k++) { v.setCursor(k); v.tellNow();
               out.push([v.cursor, Number(el.dataset.ev), el.textContent]); }
             return out; }""",
        len(events),
    )
    told_kinds = set()
    for cursor, (at, index, text) in enumerate(shown):
        want = _headline_index(events, cursor)
        assert (at, index) == (cursor, want)
        if want >= 0:
            assert events[want]["kind"] not in quiet
            assert text == story_voice(events[want])
            told_kinds.add(events[want]["kind"])
    # The keyboard's steps show the same.
    page.keyboard.press("Home")
    for cursor in range(3):
        page.keyboard.press("ArrowRight")
        viewer.settle()
        assert page.locator("#now-story").get_attribute("data-ev") == str(shown[cursor][1])
    assert {"propose", "decide"} <= told_kinds


def _map_lines(page: Any) -> dict[str, list[str]]:
    return dict(
        page.eval_on_selector_all(
            "#map .caravan",
            """(gs) => gs.map((g) => [g.dataset.caravan,
                 [...g.querySelectorAll('text.camp, text.promise, text.vote')].map((t) => t.textContent)])""",
        )
    )


@pytest.mark.parametrize("name", ["dueling-proposers", "late-recovery"])
def test_the_map_shows_each_caravans_promise_and_vote(
    open_viewer: Callable[..., Viewer], name: str
) -> None:
    header, events = trace_of(name)
    viewer = open_viewer(header, events)
    end = events[-1]["t"]
    for t in sorted(
        {0, end // 4, end // 2, end, *(e["t"] for e in events if e["kind"] == "adopt")}
    ):
        viewer.slide_to(t)
        want: dict[str, list[str]] = {}
        for caravan, state in expected_states(events, header["caravans"], t).items():
            lines = []
            if state["status"] == "standing" and state["knows"] != "—":
                lines.append(f"knows {state['knows']}")
            promise = state["promise"]
            lines.append("no promise yet" if promise == "none yet" else "promised " + promise)
            if state["vote"] == "none yet":
                lines.append("no vote yet")
            else:
                value, ballot = state["vote"].rsplit(" under ", 1)
                lines += [f"voted {value}", f"under {ballot}"]
            want[caravan] = lines
        assert _map_lines(viewer.page) == want, f"the map at t={t}"


def test_a_majority_is_ringed_and_those_in_both_majorities_carry_the_warning(
    open_viewer: Callable[..., Viewer],
) -> None:
    header, events = trace_of("dueling-proposers")
    model = build_model(header, events)
    viewer = open_viewer(header, events)
    page = viewer.page
    warned = 0
    for m in model.majorities:
        page.evaluate(f"window.desertViewer.setCursor({m.index})")
        viewer.settle()
        ringed = page.eval_on_selector_all(
            "#map .caravan.q1", "(gs) => gs.map((g) => g.dataset.caravan)"
        )
        warning = page.eval_on_selector_all(
            "#map .caravan.warn", "(gs) => gs.map((g) => g.dataset.caravan)"
        )
        assert sorted(ringed) == sorted(m.members)
        assert sorted(warning) == sorted(m.overlap)
        told = page.locator("#now-majority").inner_text()
        assert (
            f"{m.proposer} holds a majority of promises for banner {fmt_ballot(m.ballot)}" in told
        )
        assert all(name in told for name in m.members)
        if m.overlap:
            warned += 1
            chosen = events[m.chosen] if m.chosen is not None else {}
            assert "in both majorities" in told and f"carry {chosen['value']} forward" in told
        # The promises that made it are picked out on the diagram, the warning ones in red.
        roles = dict(
            page.eval_on_selector_all(
                "#diagram g.r.q1, #diagram g.r.warn",
                "(gs) => gs.map((g) => [g.dataset.id, g.classList.contains('warn') ? 'warn' : 'q1'])",
            )
        )
        for rider, member in zip(m.riders, m.members, strict=True):
            if str(rider) in roles:
                assert roles[str(rider)] == ("warn" if member in m.overlap else "q1")
    assert warned, "dueling-proposers has a majority after a campsite was chosen"
    # Once its phase 2 has ridden, the rings go.
    last = model.majorities[-1]
    page.evaluate(f"window.desertViewer.setCursor({last.until + 1})")
    viewer.settle()
    assert page.locator("#map .caravan.q1").count() == 0
    assert page.locator("#now-majority").is_hidden()


def test_the_chosen_moment_is_marked_apart_from_the_tents(
    open_viewer: Callable[..., Viewer],
) -> None:
    header, events = trace_of("acceptor-collapses")
    events = by_hand(header, events)
    viewer = open_viewer(header, events)
    page = viewer.page
    chosen = [(i, e) for i, e in enumerate(events) if e["kind"] == "chosen"]
    assert len(chosen) == 1
    index, event = chosen[0]
    marks = page.eval_on_selector_all(
        "#diagram g.m.chosen",
        """(gs) => gs.map((g) => [Number(g.dataset.ev), g.querySelectorAll('.star').length,
             (g.querySelector('.chosen-label') || {}).textContent || null,
             g.querySelector('line').getBoundingClientRect().top])""",
    )
    assert [(m[0], m[1]) for m in marks] == [(index, len(event["by"]))]
    assert marks[0][2] == f"★ chosen: {event['value']} {fmt_ballot(event['ballot'])}"
    # Chosen comes first; each tent of knowing is a separate mark, later, on its own lane.
    tents = page.eval_on_selector_all(
        "#diagram g.m.decide",
        "(gs) => gs.map((g) => g.querySelector('path').getBoundingClientRect().top)",
    )
    assert tents and all(top > marks[0][3] for top in tents)
    # The map's bottom strip tells it, and that no caravan knows it yet.
    page.evaluate(f"window.desertViewer.setCursor({index})")
    viewer.settle()
    strip = page.locator("#map .chosen-title").text_content()
    assert strip == (
        f"★ chosen: {event['value']} under banner {fmt_ballot(event['ballot'])}"
        " · no caravan knows it yet"
    )
    page.evaluate(f"window.desertViewer.setCursor({index - 1})")
    viewer.settle()
    assert page.locator("#map .chosen-title").count() == 0


def test_a_teachers_note_is_a_headline_and_a_mark(open_viewer: Callable[..., Viewer]) -> None:
    header, events = trace_of("calm-day")
    first, second = "Watch the banner <rise> & the riders go.", "A majority answers: " + "x" * 300
    events = by_hand(header, events, notes=((0, first), (20, second)))
    notes = [i for i, e in enumerate(events) if e["kind"] == "note"]
    viewer = open_viewer(header, events)
    page = viewer.page
    marks = page.eval_on_selector_all(
        "#diagram g.m.note-mark",
        "(gs) => gs.map((g) => [Number(g.dataset.ev), g.querySelector('text').textContent])",
    )
    assert [m[0] for m in marks] == notes
    assert marks[0][1] == "✎ " + first  # text, not markup
    assert marks[1][1].startswith("✎ A majority answers: xxx") and marks[1][1].endswith("…")
    headline = page.locator("#now-note")
    assert headline.is_hidden()
    for k in notes:
        page.evaluate(f"window.desertViewer.setCursor({k})")
        viewer.settle()
        assert headline.is_visible() and headline.inner_text() == story_voice(events[k])
        assert page.locator("#now-story").inner_text() != story_voice(events[k])
    # A note on a caravan (an explorer's mark where a variant departs from real Paxos) is drawn
    # across the desert too, and told as the headline's story event.
    on_caravan = dict(events[notes[1]], node="Taziri", text="Here Taziri departs from real Paxos.")
    events = [*events[: notes[1]], on_caravan, *events[notes[1] + 1 :]]
    viewer = open_viewer(header, events)
    page = viewer.page
    marks = page.eval_on_selector_all(
        "#diagram g.m.note-mark",
        "(gs) => gs.map((g) => [Number(g.dataset.ev), g.querySelector('text').textContent])",
    )
    assert marks == [[notes[0], "✎ " + first], [notes[1], "✎ Here Taziri departs from real Paxos."]]
    page.evaluate(f"window.desertViewer.setCursor({notes[1]})")
    viewer.settle()
    assert page.locator("#now-story").inner_text() == story_voice(on_caravan)
    assert page.locator("#now-note").inner_text().startswith(story_voice(events[notes[0]]))
    # Clicking the mark tells the note in both voices.
    page.evaluate(f"window.desertViewer.setCursor({notes[0]})")
    page.locator(f'#diagram g.m.note-mark[data-ev="{notes[0]}"] text').click()
    viewer.settle()
    assert story_voice(events[notes[0]]) in page.locator("#details").inner_text()


def _overlaps(page: Any, selector: str) -> list[str]:
    """Pairs of visible labels under ``selector`` whose boxes overlap by more than a pixel."""
    return list(
        page.evaluate(
            """(selector) => {
              const boxes = [...document.querySelectorAll(selector)].map((e) => [e.getBoundingClientRect(), e.textContent])
                .filter(([r]) => r.width > 0 && r.height > 0);
              const out = [];
              for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                const [a, ta] = boxes[i], [b, tb] = boxes[j];
                const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                if (dx > 1 && dy > 1) out.push(ta + ' / ' + tb);
              }
              return out;
            }""",
            selector,
        )
    )


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_no_labels_overlap_at_the_densest_moments(
    open_viewer: Callable[..., Viewer], name: str, tmp_path: Path
) -> None:
    header, events = trace_file_of(name, tmp_path)
    model = build_model(header, events)
    viewer = open_viewer(header, events)

    # The map: its densest moments are those with the most lines under the caravans.
    def lines_at(index: int) -> int:
        states = model.state_after(index).values()
        return sum(1 + (s.accepted is not None) + (s.decided is not None) for s in states)

    story = [i for i, e in enumerate(events) if event_level(e) <= 1 or e["kind"] == "chosen"]
    densest = sorted(story, key=lambda i: (-lines_at(i), i))[:6]
    for index in sorted({*densest, *(m.index for m in model.majorities), len(events) - 1}):
        viewer.page.evaluate(f"window.desertViewer.setCursor({index})")
        viewer.settle()
        assert _overlaps(viewer.page, "#map text") == [], f"{name}: map at event {index}"

    # The diagram: every part of it, its densest stretch included.
    height, view = viewer.page.evaluate(
        "() => { const s = document.getElementById('diagram-scroll'); return [s.scrollHeight, s.clientHeight]; }"
    )
    top, labels = 0.0, 0
    while True:
        viewer.scroll_diagram(top)
        assert _overlaps(viewer.page, "#diagram text") == [], f"{name}: diagram at {top}px"
        labels = max(labels, viewer.page.locator("#diagram text").count())
        if top + view >= height:
            break
        top += view / 2
    assert labels > 5, "the diagram has labels to keep apart"
