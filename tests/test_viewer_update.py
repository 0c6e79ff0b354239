"""The viewer's update(D) draws what a fresh mount of D draws (Debian's Chromium).

The live page (``desert-paxos serve``) mounts the viewer once and hands it every
later state of its session through ``update(D)``, which places the labels again
only where something changed and parses only the riders and marks whose drawing
changed. Here a page of the viewer is mounted on the first part of a long, dense
trace, zoomed out so labels crowd and push each other, then updated: the trace
grows, is cut back (a fork), and is replaced by another run of the same caravans.
After each update, every label's place (in view or not) and everything drawn in
the page equal what a fresh mount of the same data draws with the same view.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desert_paxos.viewer import page_data, write_html

from .test_viewer_browser import browser
from .viewer_traces import LONG_DAY, Event, by_hand, trace_of_data

__all__ = ["browser"]  # the Chromium fixture, shared with the viewer's other browser tests

# A page with the viewer and no run of its own; mount(D) draws D from nothing, as a live page
# does when it first connects, with the view of the mount before it.
_MOUNT = """([data, keep]) => {
  if (window.__abort) window.__abort.abort();
  window.__abort = new AbortController();
  if (window.__pristine === undefined) window.__pristine = document.body.innerHTML;
  else document.body.innerHTML = window.__pristine;
  window.v = window.DesertViewer.mount(data, { signal: window.__abort.signal, keep });
  return window.v.keep();
}"""

_DRAWN = """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => {
  const body = document.body.cloneNode(true);
  for (const s of body.querySelectorAll('script')) s.remove();
  for (const el of body.querySelectorAll('*')) { // attributes in one order: a hidden set again goes last
    const attrs = Array.from(el.attributes, (a) => [a.name, a.value]).sort();
    for (const [name] of attrs) el.removeAttribute(name);
    for (const [name, value] of attrs) el.setAttribute(name, value);
  }
  done({ html: body.innerHTML, labels: window.v.labels(), top: document.getElementById('diagram-scroll').scrollTop,
         view: [window.v.t, window.v.cursor, window.v.scale, window.v.riderCount] });
})))"""


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    header, events = trace_of_data(LONG_DAY)
    path = tmp_path / "empty.html"
    write_html(header, events[:10], path)
    text = path.read_text(encoding="utf-8")
    text = re.sub(
        r'(<script type="application/json" id="run-data">).*?(</script>)', r"\1\2", text, flags=re.S
    )
    path.write_text(text, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    opened.goto(path.as_uri())
    yield opened
    context.close()
    assert problems == []


def _compare(page: Any, data: dict[str, Any]) -> dict[str, Any]:
    """update(data) on the mounted viewer, then a fresh mount of data with its view: the same.

    The time shown is the data's last event, as a live page at the edge of its history shows.
    """
    at = [len(data["times"]) - 1, data["times"][-1]]
    page.evaluate(
        "([data, at]) => { window.v.update(data); window.v.show(at[0], at[1]); }", [data, at]
    )
    updated: dict[str, Any] = page.evaluate(_DRAWN)
    keep = page.evaluate("() => window.v.keep()")
    page.evaluate(_MOUNT, [data, keep])
    page.evaluate("(at) => window.v.show(at[0], at[1])", at)
    fresh: dict[str, Any] = page.evaluate(_DRAWN)
    assert updated["labels"] == fresh["labels"]
    assert updated["html"] == fresh["html"]
    assert updated == fresh
    return updated


def _data(header: Event, events: list[Event]) -> dict[str, Any]:
    return page_data(header, events)


def test_growing_cut_back_and_replaced_as_a_fresh_mount_draws(page: Any) -> None:
    header, events = trace_of_data(LONG_DAY)
    _, other = trace_of_data(LONG_DAY, seed=11)
    keep = {
        "scale": 0.12,  # zoomed far out: labels crowd and push each other
        "top": 0,
        "showSelf": True,
        "speed": 100,
        "hiddenCaravans": [],
        "hiddenTypes": [],
        "selRider": None,
        "selEvent": None,
    }
    page.evaluate(_MOUNT, [_data(header, events[:1500]), keep])
    labels = 0
    # On by a step, a few, many; cut back (a fork) a little and a lot; on again.
    for n in (1501, 1530, 1600, 2400, 4000, 3990, 3100, 3105, 5200, 5201, 2000, 6000):
        drawn = _compare(page, _data(header, events[:n]))
        labels = max(labels, len(drawn["labels"]))
    drawn = _compare(page, _data(header, other[:4000]))  # another run altogether
    assert labels > 200 and len(drawn["labels"]) > 200


def test_a_label_that_comes_and_goes_moves_the_ones_it_crowded(page: Any) -> None:
    """A teacher's note across the whole desert (a label before every rider's and mark's in
    importance) added, then taken away: the labels it pushed aside move, and move back."""
    header, events = trace_of_data(LONG_DAY)
    plain = by_hand(header, events[:3000])
    noted = by_hand(header, events[:3000], notes=((1500, "the storm holds: no majority anywhere"),))
    keep = {
        "scale": 0.12,
        "top": 0,
        "showSelf": True,
        "speed": 100,
        "hiddenCaravans": [],
        "hiddenTypes": [],
        "selRider": None,
        "selEvent": None,
    }
    page.evaluate(_MOUNT, [_data(header, plain), keep])
    with_note = _compare(page, _data(header, noted))
    without = _compare(page, _data(header, plain))
    moved = {tuple(one) for one in without["labels"]} ^ {tuple(one) for one in with_note["labels"]}
    assert len(moved) > 3  # the note's own label, and some it pushed aside
