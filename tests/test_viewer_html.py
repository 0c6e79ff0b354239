"""The HTML page as a file: self-contained, safe with any trace text, and carrying the whole trace."""

from __future__ import annotations

import json
import re
from pathlib import Path

from desert_paxos.narrate import protocol_voice, story_voice
from desert_paxos.viewer import render_html, write_html

from .viewer_traces import trace_of, trace_of_data


def _embedded(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="run-data">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_the_page_needs_nothing_from_the_network() -> None:
    header, events = trace_of("sandstorm-minority")
    page = render_html(header, events)
    # No external script, style, image or font; the only URL is the SVG namespace name.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<script") == 2  # the data and the inline viewer


def test_trace_text_cannot_break_out_of_the_page() -> None:
    nasty = "</script><script>alert('x')</script><!-- & "
    header, events = trace_of_data(
        {
            "name": "nasty",
            "description": nasty,
            "caravans": ["Aghilas", "Taziri", "Amastan"],
            "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": nasty}],
            "timeline": [{"at": 0, "note": nasty}],
        }
    )
    # A scenario refuses a line separator; a trace file may still hold one, so the page must cope.
    nasty += "\u2028"
    header["description"] = nasty
    events = [
        dict(e, value=nasty)
        if e["kind"] == "propose"
        else dict(e, text=nasty)
        if e["kind"] == "note"
        else e
        for e in events
    ]
    page = render_html(header, events)
    assert page.count("</script>") == 2
    data = _embedded(page)
    assert data["description"] == nasty
    assert "alert('x')" not in page.split("<title>")[1].split("</title>")[0]


def test_the_page_carries_every_event_in_both_voices(tmp_path: Path) -> None:
    header, events = trace_of("acceptor-collapses")
    out = tmp_path / "run.html"
    write_html(header, events, out)
    data = _embedded(out.read_text(encoding="utf-8"))
    assert data["events"] == events
    assert data["story"] == [story_voice(e) for e in events]
    assert data["protocol"] == [protocol_voice(e) for e in events]
    assert data["caravans"] == header["caravans"]
    riders = data["riders"]
    assert isinstance(riders, list)
    assert sorted(r[0] for r in riders) == sorted(e["id"] for e in events if e["kind"] == "send")


def test_the_same_trace_gives_the_same_page() -> None:
    header, events = trace_of("dueling-proposers")
    assert render_html(header, events) == render_html(header, events)
