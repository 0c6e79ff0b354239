"""How the HTML viewer and the GIF cope with a 10,000-event trace.

Theory of operation
-------------------
The long day of the viewer tests (storms without a majority, lossy riders, a
collapse: over 10,000 events, over 4,000 riders) is traced in-process. In
Python: building the page (``render_html``) and drawing the GIF at its frame
cap. In Debian's Chromium (headless, software rendering, as CI has it): the
time from opening the file to the first drawn view, then the interval between
real animation frames while (a) the diagram scrolls 37 px a frame, (b) the
slider sweeps the whole run in 240 frames (about 260 ticks a frame, the diagram
following), and (c) the cursor steps event by event. Intervals are the
browser's own frame times, so 16.7 ms means every frame was on time at 60 Hz;
the target is a p90 under 34 ms (30 frames a second or better). Browser
figures are left out when no Chromium is found.

    .venv/bin/python benchmarks/bench_viewer.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from desert_paxos.viewer import render_html, write_gif, write_html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.viewer_traces import CHROMIUM_ARGS, LONG_DAY, trace_of_data

TARGET_FRAME_P90_MS = 34.0
CHROMIUM = "/usr/bin/chromium"

# Each drives one animation frame per call of `move(i)` and reports the frame intervals.
_FRAMES = """([kind, n]) => new Promise((done) => {
  const v = window.desertViewer, sc = document.getElementById('diagram-scroll');
  const end = Number(document.getElementById('slider').max);
  const move = {
    scroll: () => { sc.scrollTop += 37; },
    sweep: (i) => { v.setTime(i * end / n); },
    step: () => { document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'})); },
  }[kind];
  const gaps = []; let last = 0, i = 0;
  function frame(now) {
    if (last) gaps.push(now - last);
    last = now; i++; move(i);
    if (i <= n) requestAnimationFrame(frame); else done(gaps);
  }
  requestAnimationFrame(frame);
})"""


def _p90(samples: list[float]) -> float:
    return round(sorted(samples)[int(len(samples) * 0.9)], 1)


def _browser(page_path: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        started = time.perf_counter()
        page.goto(page_path.as_uri())
        page.wait_for_function("() => window.desertViewer !== undefined")
        page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        out["viewer_load_ms"] = round((time.perf_counter() - started) * 1000)
        out["viewer_arrows_total"] = page.evaluate("() => window.desertViewer.riderCount")
        out["viewer_arrows_drawn"] = page.locator("#diagram g.r").count()
        for kind, frames in (("scroll", 120), ("sweep", 240), ("step", 240)):
            page.keyboard.press("Home")
            gaps = page.evaluate(_FRAMES, [kind, frames])
            out[f"viewer_{kind}_frame_ms_median"] = round(statistics.median(gaps), 1)
            out[f"viewer_{kind}_frame_ms_p90"] = _p90(gaps)
        browser.close()
    return out


def main() -> dict[str, Any]:
    header, events = trace_of_data(LONG_DAY)
    builds = []
    for _ in range(3):
        started = time.perf_counter()
        page = render_html(header, events)
        builds.append((time.perf_counter() - started) * 1000)
    results: dict[str, Any] = {
        "viewer_trace_events": len(events),
        "viewer_page_build_ms": round(statistics.median(builds), 1),
        "viewer_page_bytes": len(page.encode("utf-8")),
        "viewer_frame_p90_target_ms": TARGET_FRAME_P90_MS,
    }
    with tempfile.TemporaryDirectory() as scratch:
        gif = Path(scratch) / "long.gif"
        started = time.perf_counter()
        frames = write_gif(header, events, gif)
        results["viewer_gif_ms"] = round((time.perf_counter() - started) * 1000)
        results["viewer_gif_frames"] = frames
        results["viewer_gif_bytes"] = gif.stat().st_size
        if os.access(CHROMIUM, os.X_OK):
            page_path = Path(scratch) / "long.html"
            write_html(header, events, page_path)
            results |= _browser(page_path)
    return results


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
