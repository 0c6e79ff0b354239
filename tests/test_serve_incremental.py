"""The live page draws a session's changes incrementally, and draws what a fresh mount draws.

``desert-paxos serve`` mounts the viewer once per version of its data and tells it
of every later change through ``update(D)`` (new events at the edge of the known
history, a forked future cut away), which redraws only what changed. These tests
drive a real session in Debian's Chromium and, after each kind of change, compare
everything the viewer drew (the space-time diagram's SVG, the map, the state table,
the headline, the details of a selection, the slider and scroll position) with what
a fresh mount of the same data draws with the same view (``desertLive.remount()``).
They also check that the change really went through ``update`` (the mount object
stayed the same), so a test would fail if the incremental path drew anything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("uvicorn")

from desert_paxos.scenario import scenario_from_data
from desert_paxos.serve import make_app

from .serve_helpers import running_server
from .test_serve_browser import LivePage, browser
from .viewer_traces import LONG_DAY

__all__ = ["browser"]  # the Chromium fixture, shared with the other serve tests

# Everything the viewer drew, and the view it drew it for.
_DRAWN = """() => {
  const $ = (id) => document.getElementById(id);
  const v = window.desertViewer;
  const root = $('viewer-root').cloneNode(true);
  for (const el of root.querySelectorAll('*')) { // attributes in one order: a hidden set again goes last
    const attrs = Array.from(el.attributes, (a) => [a.name, a.value]).sort();
    for (const [name] of attrs) el.removeAttribute(name);
    for (const [name, value] of attrs) el.setAttribute(name, value);
  }
  return {
    html: root.innerHTML,
    scrollTop: $('diagram-scroll').scrollTop,
    slider: [$('slider').max, $('slider').value],
    checks: Array.from(document.querySelectorAll('#viewer-root input[type=checkbox]')).map((b) => b.checked),
    view: [v.t, v.cursor, v.scale, v.riderCount],
    riders: document.querySelectorAll('#layer-riders g.r').length,
    top: v.keep().top,
    labels: v.labels(), // every label placed, in view or not
  };
}"""

_FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The long day of storms, losses, copies and a collapse (the viewer tests' long trace)."""
    app = make_app("long-storm", scenario_from_data(LONG_DAY, "<test>"))
    with running_server(app) as url:
        yield url


@pytest.fixture
def live(browser: Any, server: str) -> Iterator[LivePage]:
    page = LivePage(browser, server + "/")
    yield page
    assert page.problems == []
    assert all(url.startswith((server, "data:", "blob:")) for url in page.requests), page.requests
    page.close()


def _mark(live: LivePage) -> None:
    """Remember the mount, to check later that the changes went through its update."""
    live.page.evaluate("() => { window.__mount = window.desertViewer; }")


def _updated_in_place(live: LivePage) -> bool:
    return bool(live.page.evaluate("() => window.__mount === window.desertViewer"))


def _same_as_a_fresh_mount(live: LivePage) -> dict[str, Any]:
    """What the page drew equals what a fresh mount of the same data draws; returns it."""
    page = live.page
    page.evaluate(_FRAMES)
    drawn: dict[str, Any] = page.evaluate(_DRAWN)
    page.evaluate("() => { window.__before = window.desertViewer; window.desertLive.remount(); }")
    page.wait_for_function("() => window.desertViewer !== window.__before")
    page.evaluate(_FRAMES)
    fresh: dict[str, Any] = page.evaluate(_DRAWN)
    if drawn["html"] != fresh["html"]:  # say where they part, not two pages of markup
        a, b = drawn["html"], fresh["html"]
        at = next(
            (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
        )
        where = (
            f"drawn: …{a[max(0, at - 300) : at + 300]}…\nfresh: …{b[max(0, at - 300) : at + 300]}…"
        )
        raise AssertionError(where)
    assert drawn == fresh
    return drawn


def _zoom_out(live: LivePage, times: int) -> None:
    """The diagram zoomed out (the viewer's own key), so its band holds many riders."""
    for _ in range(times):
        live.page.click("#btn-zoom-out")
    live.page.evaluate(_FRAMES)


def _run(live: LivePage, line: str, until: str) -> None:
    live.page.evaluate("(line) => window.desertLive.run(line)", line)
    live.settled(until)


def test_steps_at_the_edge_draw_what_a_fresh_mount_draws(live: LivePage) -> None:
    page = live.page
    _run(live, "/run 2600", "at.t === 2600")  # storms, lost riders, copies
    _zoom_out(live, 9)
    _mark(live)
    for _ in range(5):
        position = live.at()["position"]
        page.click("#live-step")
        live.settled(f"at.position === {position + 1}")
    assert _updated_in_place(live)
    drawn = _same_as_a_fresh_mount(live)
    assert drawn["riders"] > 20
    # A rider selected on the diagram: its details are told again as it travels on.
    _mark(live)
    page.locator("#layer-riders g.r >> nth=-1").dispatch_event("click")
    page.wait_for_selector("#details[data-rider]")
    _run(live, "/run +400", "at.t >= 3000")  # Itri collapses at 3000
    assert _updated_in_place(live)
    _same_as_a_fresh_mount(live)


def test_a_fork_in_the_past_cuts_the_future_as_a_fresh_mount_draws_it(live: LivePage) -> None:
    page = live.page
    _run(live, "/run 3400", "at.t === 3400")
    _zoom_out(live, 9)
    _run(live, "/back 150", "at.position < at.frontier")
    _mark(live)
    page.locator("#layer-riders g.r >> nth=0").dispatch_event("click")  # a rider of the kept past
    page.wait_for_selector("#details[data-rider]")
    before = live.at()
    live.click_caravan("Aghilas")
    page.click("#live-menu-crash")
    live.settled("at.acts === 1 && at.frontier === at.position")
    after = live.at()
    assert after["frontierT"] < before["frontierT"]  # the old future is gone
    assert _updated_in_place(live)
    drawn = _same_as_a_fresh_mount(live)
    assert "Aghilas" in drawn["html"]
    # Steps on the new course, then 40 steps back and a rider of the discarded future selected
    # before another fork: the selection goes with the future it belonged to.
    _mark(live)
    for _ in range(3):
        position = live.at()["position"]
        page.click("#live-step")
        live.settled(f"at.position === {position + 1}")
    _run(live, "/back 40", "at.position < at.frontier")
    last = page.evaluate("() => window.desertLive.data.riders.at(-1)[0]")
    page.locator(f'#layer-riders g.r[data-id="{last}"]').dispatch_event("click")
    page.wait_for_selector(f'#details[data-rider="{last}"]')
    live.click_caravan("Taziri")
    page.click("#live-menu-crash")
    # The step back went behind Aghilas's collapse too: that act goes with the old future.
    live.settled(f"at.acts === 1 && at.frontier === at.position && at.t < {after['t']}")
    assert "Taziri collapses" in live.pane()
    assert _updated_in_place(live)
    drawn = _same_as_a_fresh_mount(live)
    assert page.evaluate("(id) => !window.desertLive.data.riders.some((r) => r[0] === id)", last)
    assert "data-rider" not in drawn["html"]  # its rider rode in the discarded future


def test_a_new_scenario_then_steps_draw_what_a_fresh_mount_draws(live: LivePage) -> None:
    page = live.page
    _run(live, "/run 500", "at.t === 500")
    _zoom_out(live, 3)
    page.select_option("#live-builtin", "sandstorm-minority")
    page.click("#live-load")
    live.settled("at.scenario === 'sandstorm-minority'")
    _same_as_a_fresh_mount(live)
    _mark(live)
    _run(live, "/run 300", "at.t === 300")  # majorities, a chosen moment, tents
    for _ in range(3):
        position = live.at()["position"]
        page.click("#live-step")
        live.settled(f"at.position === {position + 1}")
    assert _updated_in_place(live)
    drawn = _same_as_a_fresh_mount(live)
    assert "chosen" in drawn["html"]
