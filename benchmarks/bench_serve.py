"""How fast the live page answers at 10,000 events (desert-paxos serve).

Theory of operation
-------------------
uvicorn serves the long day of the viewer tests (storms without a majority,
lossy riders, a collapse) on a free port in a thread, and Debian's Chromium
opens the live page. The session is run on (``/run +5000`` at a time) until
its known history holds at least 10,000 events. Then each interaction is timed
inside the page, from the moment it starts (a click, a slider event) to the
second animation frame after the page has drawn what the server said (the
session's place, ``at``, reached the page and the viewer was told it):

* ``step_frontier``: ▶ step at the edge of the known history (new events: the
  server reads them once and sends the delta; the page's viewer updates in place);
* ``step_known``: a step inside the known history (after ``/back 100``: only the
  cursor moves);
* ``slider_preview``: dragging the slider (the page draws the desert at that
  time from the data it holds, before the server hears of it);
* ``slider_goto``: letting the slider go (``/goto T`` and its answer);
* ``crash_click``: a click on a caravan and "collapse" in its menu, at the edge;
* ``fork_past``: the same, 200 steps back (the future is discarded and the
  viewer's data for it cut);
* ``follower``: a follower's page drawing the teacher's step (clock times of
  the two pages, same machine; the follower's page notes when it drew the step).

The target is 100 ms each (the issue's); the median, 90th percentile and
largest of 21 samples are reported. Also in Python: one ``/step`` at the edge through the
room (REPL step + the feed's delta) and the JSON of its messages.

    .venv/bin/python benchmarks/bench_serve.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from desert_paxos.scenario import scenario_from_data
from desert_paxos.serve import make_app
from desert_paxos.serve._room import Room

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.serve_helpers import running_server
from tests.viewer_traces import CHROMIUM_ARGS, LONG_DAY

CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 100.0
EVENTS = int(os.environ.get("BENCH_SERVE_EVENTS", "10000"))
SAMPLES = 21  # of each interaction: the 90th percentile is the 19th of 21 (of 7 it was the largest)
MAX_GROW = 40  # /run +5000 at most this many times

# One timed interaction: start it, wait until the page drew what the session says, two frames.
_TIMED = """async ([kind, arg]) => {
  const L = window.desertLive, frame = () => new Promise((r) => requestAnimationFrame(r));
  const before = L.at, start = performance.now();
  const slider = document.getElementById('live-slider');
  const changed = () => L.at !== before;
  let done = changed;
  switch (kind) {
    case 'step': document.getElementById('live-step').click(); break;
    case 'preview': slider.value = String(arg); slider.dispatchEvent(new Event('input')); done = () => true; break;
    case 'goto': slider.value = String(arg); slider.dispatchEvent(new Event('change')); done = () => L.at.t === arg; break;
    case 'crash': {
      const who = arg || document.querySelector('#map g.caravan[data-status="alive"]').dataset.caravan;
      const body = document.querySelector('#map g.caravan[data-caravan="' + who + '"] circle.body');
      body.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 300, clientY: 300}));
      document.getElementById('live-menu-crash').click();
      break; // the session's next word on where it stands is its answer
    }
  }
  for (let i = 0; i < 30000 && !done(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!done()) return -1; // not answered within about two minutes
  await frame(); await frame();
  return performance.now() - start;
}"""

_SETTLE = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"

# A follower's page: the clock time when it has drawn a step past `position` (two frames after
# its place changed), in window.__drawnAt.
_WATCH = """(position) => {
  const L = window.desertLive, frame = () => new Promise((r) => requestAnimationFrame(r));
  window.__drawnAt = null;
  (async () => {
    for (let i = 0; i < 30000 && L.at.position <= position; i++) await new Promise((r) => setTimeout(r, 1));
    await frame(); await frame();
    window.__drawnAt = performance.timeOrigin + performance.now();
  })();
}"""


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 1),
        "max_ms": round(ordered[-1], 1),
    }


_RUN = """async (line) => {
  const L = window.desertLive, before = L.at;
  L.run(line, true);
  for (let i = 0; i < 1200 && L.at === before; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def _run(page: Any, line: str) -> None:
    """A command typed in the command box, waited for (at most 2 minutes) until answered."""
    page.evaluate(_RUN, line)


def _browser(url: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        page.goto(url + "/")
        page.wait_for_function("() => window.desertViewer && window.desertLive.at")
        _run(page, "/log quiet")  # the pane is not what is measured
        for _ in range(MAX_GROW):
            if page.evaluate("() => window.desertLive.data.events.length") >= EVENTS:
                break
            _run(page, "/run +5000")
        out["serve_events"] = page.evaluate("() => window.desertLive.data.events.length")
        out["serve_riders"] = page.evaluate("() => window.desertLive.data.riders.length")

        def timed(kind: str, arg: Any = None) -> float:
            took = float(page.evaluate(_TIMED, [kind, arg]))
            print(f"  {kind} {arg}: {took:.1f} ms", file=sys.stderr, flush=True)
            if took < 0:
                pane = page.inner_text("#live-pane")[-400:]
                raise RuntimeError(f"{kind} {arg}: the page was not answered; it says {pane}")
            return took

        out["step_frontier"] = _stats([timed("step") for _ in range(SAMPLES)])
        crashes = []
        for i in range(SAMPLES):  # collapse a caravan, then get it up again (a plain command)
            name = LONG_DAY["caravans"][i % 2]
            crashes.append(timed("crash", name))
            _run(page, f"/recover {name}")
        out["crash_click"] = _stats(crashes)
        _run(page, "/back 100")
        out["step_known"] = _stats([timed("step") for _ in range(SAMPLES)])
        end = page.evaluate("() => window.desertLive.at.frontierT")
        spots = [int(end * (i + 1) / (SAMPLES + 2)) for i in range(SAMPLES)]
        out["slider_preview"] = _stats([timed("preview", t) for t in spots])
        out["slider_goto"] = _stats([timed("goto", t) for t in spots])
        forks = []
        for _ in range(SAMPLES):
            _run(page, "/goto " + str(page.evaluate("() => window.desertLive.at.frontierT")))
            _run(page, "/back 200")
            forks.append(timed("crash"))  # the first caravan on its feet there
        out["fork_past"] = _stats(forks)
        follow = page.get_attribute("#live-follow-link", "href")
        student = browser.new_page(viewport={"width": 1500, "height": 950})
        student.goto(url + str(follow))
        student.wait_for_function("() => window.desertViewer && window.desertLive.at")
        lags = []
        for _ in range(SAMPLES):
            position = page.evaluate("() => window.desertLive.at.position")
            # The follower's page watches for the step itself and notes when it has drawn it,
            # so Playwright's round trips to it are not counted.
            student.evaluate(_WATCH, position)
            clicked = page.evaluate(
                "() => { document.getElementById('live-step').click(); return performance.timeOrigin + performance.now(); }"
            )
            student.wait_for_function("() => window.__drawnAt !== null", timeout=30_000)
            lags.append(student.evaluate("() => window.__drawnAt") - clicked)
            page.evaluate(_SETTLE)
        out["follower"] = _stats(lags)
        browser.close()
    return out


def _python() -> dict[str, Any]:
    """One /step at the edge of a 10,000-event session, in the room (no browser, no socket)."""
    room = Room("long-storm", scenario_from_data(LONG_DAY, "<bench>"))
    room.execute("/log quiet", typed=False)
    for _ in range(MAX_GROW):
        if len(room.session.tm.lines) >= EVENTS:
            break
        room.execute("/run +5000", typed=False)
    samples, sizes = [], []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        messages = room.execute("/step", typed=False)
        text = "".join(json.dumps(m, ensure_ascii=False) for m in messages)
        samples.append((time.perf_counter() - started) * 1000)
        sizes.append(len(text.encode("utf-8")))
    started = time.perf_counter()
    snapshot = json.dumps(room.feed.snapshot(), ensure_ascii=False)
    return {
        "python_events": len(room.session.tm.lines),
        "python_step": _stats(samples),
        "python_step_bytes_median": int(statistics.median(sizes)),
        "python_snapshot_ms": round((time.perf_counter() - started) * 1000, 1),
        "python_snapshot_bytes": len(snapshot.encode("utf-8")),
    }


def main() -> dict[str, Any]:
    results: dict[str, Any] = {"serve_target_ms": TARGET_MS}
    results |= _python()
    if os.access(CHROMIUM, os.X_OK):
        app = make_app("long-storm", scenario_from_data(LONG_DAY, "<bench>"))
        with running_server(app) as url:
            results |= _browser(url)
    return results


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
