"""The history view: one self-contained HTML page of a checked history, after Porcupine's.

Theory of operation
-------------------
Each key (the whole register in the register model) gets a space-time diagram:
one row per process, one bar per operation from its invocation to its
completion (an operation of unknown outcome runs on to the right edge, dashed).
Time is the history's line numbers, squeezed to the ones that key uses, so
bars stay readable however long the history is. For a key that is
linearizable, a dot on each placed operation marks a linearization point,
numbered in the order found and joined by a line; an operation of unknown
outcome left out of the order is drawn faint (it never took effect). For a key
that is not, the longest linearizable prefix is drawn that way in green and the
first operation that cannot be placed in red; the rest are grey.

The page is drawn here, in Python, as inline SVG: no script at all. Every text
from the history is escaped, and a Content-Security-Policy forbids scripts and
any network request, so the page works from disk and leaks nothing. A key with
more than :data:`MAX_DRAWN` operations is drawn in part (a window ending just
after the operation that cannot be placed, or the first ones), and says so.
"""

from __future__ import annotations

import html
import json
import os
from typing import Any, Final

from .._files import write_output
from ._linearizable import (
    KeyResult,
    LinearizabilityResult,
    Operation,
    describe_operation,
    plural,
)

__all__ = [
    "HISTORY_CSS",
    "MAX_DRAWN",
    "history_body_html",
    "render_history_html",
    "write_history_html",
]

MAX_DRAWN: Final = 400  # operations drawn per key; the page says when a key has more

_STEP = 14  # pixels per squeezed time step, at the least (short histories get more)
_WIDE = 900  # pixels a short history is spread over
_ROW = 36  # pixels per process row
_BAR = 22  # a bar's height; the linearization points sit on its top edge
_LEFT = 120  # room for the process names
_TOP = 26  # room for the time axis

_PAGE_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.2em 2em; color: #222; background: #fcfbf7; }
h1 { font-size: 1.35em; margin: 0 0 .3em; }
h2 { font-size: 1.1em; margin: 1.4em 0 .3em; }
"""

# The drawing's own rules, apart from the page's: the journey viewer embeds them (viewer._journey).
HISTORY_CSS: Final = """
.verdict { display: inline-block; padding: .1em .6em; border-radius: .3em; font-weight: 600; }
.v-linearizable { background: #d8f0dc; color: #145a24; }
.v-not { background: #f8d7d4; color: #8a1c12; }
.v-unknown { background: #fbecc5; color: #6b4d00; }
.summary, .note { margin: .3em 0; }
.note { color: #555; }
.scroll { overflow-x: auto; border: 1px solid #ddd; background: #fff; border-radius: .3em; }
svg text { font: 11px system-ui, sans-serif; }
.axis { stroke: #ccc; }
.tick { fill: #888; }
.proc { fill: #333; font-weight: 600; }
.bar { stroke-width: 1.2; rx: 3; }
.ok { fill: #dbe8fb; stroke: #5b84c4; }
.fail { fill: #fde9d2; stroke: #c98a3b; }
.info { fill: #eeeeee; stroke: #999; stroke-dasharray: 4 3; }
.faint { opacity: .45; }
.prefix { fill: #d6f0d9; stroke: #3c9a4f; }
.blocked { fill: #f9d2cd; stroke: #c0392b; stroke-width: 2.4; }
.rest { fill: #f1f1f1; stroke: #aaa; }
.label { fill: #222; pointer-events: none; }
.order { fill: none; stroke: #3c9a4f; stroke-width: 1.5; opacity: .7; }
.point { fill: #3c9a4f; stroke: #fff; stroke-width: 1; }
.num { fill: #fff; font-size: 8px; font-weight: 700; pointer-events: none; }
.cross { stroke: #c0392b; stroke-width: 2.4; }
ol.prefix-list { margin: .3em 0 .3em 1.2em; padding: 0; }
.legend span { display: inline-block; margin-right: 1.2em; }
.swatch { display: inline-block; width: 1.6em; height: .8em; vertical-align: middle;
  border: 1.2px solid; border-radius: 3px; margin-right: .3em; }
.swatch.ok { background: #dbe8fb; border-color: #5b84c4; }
.swatch.fail { background: #fde9d2; border-color: #c98a3b; }
.swatch.info { background: #eeeeee; border: 1.2px dashed #999; }
.swatch.prefix { background: #d6f0d9; border-color: #3c9a4f; }
.swatch.blocked { background: #f9d2cd; border: 2.4px solid #c0392b; }
"""

_CSS = _PAGE_CSS + HISTORY_CSS

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
</body>
</html>
"""


def write_history_html(
    result: LinearizabilityResult, path: str | os.PathLike[str], history_path: str = ""
) -> bool:
    """Write the view of ``result`` to ``path`` atomically, never over the history file;
    True when it replaced a file that was there."""
    inputs = [("history", history_path)] if history_path else []
    page = render_history_html(result, history_path or "history")
    return write_output(path, page, what="the history view", inputs=inputs)


def render_history_html(result: LinearizabilityResult, source: str) -> str:
    """The whole page as one string."""
    e = html.escape
    body = f"<h1>Linearizability of {e(source)}</h1>\n" + history_body_html(result)
    title = f"Linearizability — {source} — {result.verdict}"
    return _PAGE.format(title=e(title), css=_CSS, body=body)


def history_body_html(result: LinearizabilityResult) -> str:
    """The verdict, the legend and one diagram per key (styled by :data:`HISTORY_CSS`)."""
    e = html.escape
    verdict_class = {"linearizable": "v-linearizable", "not linearizable": "v-not"}
    counts = result.counts()
    parts = [
        f'<p class="summary"><span class="verdict {verdict_class.get(result.verdict, "v-unknown")}">'
        f"{e(result.verdict)}</span> under the {e(result.model)} model: "
        f"{counts['operations']:,} operations ({counts['ok']:,} ok, {counts['fail']:,} fail, "
        f"{counts['info']:,} of unknown outcome)"
        + (f" on {plural(counts['keys'], 'key')}" if result.model == "kv" else "")
        + f"; {counts['states']:,} states searched.</p>",
    ]
    bad = result.first_unplaceable
    if bad is not None:
        parts.append(
            f'<p class="summary">The first operation that cannot be placed: '
            f"<b>{e(describe_operation(bad, result.model))}</b>. Every operation on its key "
            "that completed before it fits one order (the longest linearizable prefix, "
            "in green); none fits with it.</p>"
        )
    if result.verdict == "unknown":
        parts.append(f'<p class="summary">{e(_sentence(result.reason))}</p>')
    parts.append(_LEGEND)
    keys = sorted(result.keys, key=lambda k: k.verdict != "not linearizable")
    for key_result in keys:
        parts.append(_key_section(result, key_result))
    unchecked = counts["keys"] - counts["keys_checked"]
    if unchecked:
        parts.append(f'<p class="note">{unchecked:,} more keys were not checked.</p>')
    return "\n".join(parts)


_LEGEND = (
    '<p class="legend">'
    '<span><i class="swatch ok"></i>ok</span>'
    '<span><i class="swatch fail"></i>fail (a cas that found another value)</span>'
    '<span><i class="swatch info"></i>unknown outcome</span>'
    '<span><i class="swatch prefix"></i>placed: the longest linearizable prefix</span>'
    '<span><i class="swatch blocked"></i>cannot be placed</span>'
    "<span>● linearization point, numbered in order</span>"
    "</p>"
)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""


def _key_section(result: LinearizabilityResult, key: KeyResult) -> str:
    e = html.escape
    ops = [result.operations[i] for i in key.operations]
    name = (
        f"key {json.dumps(key.key, ensure_ascii=False)}" if result.model == "kv" else "the register"
    )
    heading = f"<h2>{e(name)}: {e(key.verdict)} ({len(ops):,} operations)</h2>"
    shown, note = _window(ops, key)
    order_rank = {index: n for n, index in enumerate(key.order, start=1)}
    svg = _diagram(result, key, shown, order_rank)
    extra = ""
    if note:
        extra += f'<p class="note">{e(note)}</p>'
    if key.verdict == "not linearizable" and key.blocked is not None:
        prefix = "".join(
            f"<li>{e(describe_operation(result.operations[i], result.model))}</li>"
            for i in key.order[-12:]
        )
        skipped = len(key.order) - 12
        start = f' start="{skipped + 1}"' if skipped > 0 else ""
        told = (
            f"The longest linearizable prefix ({len(key.order):,} operations"
            + (", the last 12 shown" if skipped > 0 else "")
            + "), then the one that cannot be placed:"
        )
        blocked = describe_operation(result.operations[key.blocked], result.model)
        extra += (
            f'<p class="note">{e(told)}</p><ol class="prefix-list"{start}>{prefix}'
            f"<li><b>✗ {e(blocked)}</b></li></ol>"
        )
    if key.verdict == "unknown":
        extra += '<p class="note">The search on this key was stopped by a limit.</p>'
    return f'{heading}{extra}<div class="scroll">{svg}</div>'


def _window(ops: list[Operation], key: KeyResult) -> tuple[list[Operation], str]:
    """The operations drawn, and a note when they are not all of them."""
    if len(ops) <= MAX_DRAWN:
        return ops, ""
    at = 0
    if key.blocked is not None:
        at = next(n for n, o in enumerate(ops) if o.index == key.blocked)
    start = max(0, min(at - MAX_DRAWN + 40, len(ops) - MAX_DRAWN))
    shown = ops[start : start + MAX_DRAWN]
    note = (
        f"Showing operations {start + 1:,} to {start + len(shown):,} of {len(ops):,} on this "
        f"key (in the order they were invoked): the view draws at most {MAX_DRAWN} per key."
    )
    return shown, note


def _diagram(
    result: LinearizabilityResult,
    key: KeyResult,
    ops: list[Operation],
    order_rank: dict[int, int],
) -> str:
    e = html.escape
    processes: list[Any] = []
    for o in ops:
        if o.process not in processes:
            processes.append(o.process)
    row = {p: n for n, p in enumerate(processes)}
    times = sorted({t for o in ops for t in (o.call, o.ret) if t is not None})
    rank = {t: n for n, t in enumerate(times)}
    end = len(times)  # where unknown outcomes run to

    step = max(_STEP, min(70, _WIDE // max(1, end)))

    def x(position: float) -> float:
        return _LEFT + 10 + position * step

    width = int(x(end + 1)) + 24
    height = _TOP + _ROW * len(processes) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="history of {e(_plain(key))}">'
    ]
    every = max(1, -(-34 // step))  # a label every 34 pixels or more
    for n in range(0, len(times), every):
        out.append(
            f'<line class="axis" x1="{x(n):.1f}" y1="{_TOP - 6}" x2="{x(n):.1f}" '
            f'y2="{height - 6}"/><text class="tick" x="{x(n):.1f}" y="{_TOP - 10}" '
            f'text-anchor="middle">{times[n]}</text>'
        )
    out.append(f'<text class="tick" x="4" y="{_TOP - 10}">line</text>')
    for p, n in row.items():
        y = _TOP + n * _ROW + 8 + _BAR / 2 + 4
        label = _clip(f"process {json.dumps(p, ensure_ascii=False)}", 18)
        out.append(f'<text class="proc" x="4" y="{y:.1f}">{e(label)}</text>')

    violated = key.verdict == "not linearizable"
    points: list[tuple[int, float, float]] = []  # (order number, x, y)
    last = -1.0
    for index in key.order:  # the linearization points, in the order found
        o = result.operations[index]
        if o.process not in row or o.call not in rank:
            continue  # outside the window drawn
        low = rank[o.call] + 0.5
        high = (rank[o.ret] if o.ret is not None else end) - 0.15
        last = min(max(low, last + 0.2), high)
        points.append((order_rank[index], x(last), _TOP + row[o.process] * _ROW + 8))

    for o in ops:
        top = _TOP + row[o.process] * _ROW + 8
        left = x(rank[o.call])
        right = x(rank[o.ret]) if o.ret is not None else x(end)
        cls = o.status
        if violated:
            cls = (
                "blocked"
                if o.index == key.blocked
                else "prefix"
                if o.index in order_rank
                else "rest"
            )
            if o.ret is None:
                cls += " info"
        elif key.verdict == "linearizable" and o.ret is None and o.index not in order_rank:
            cls += " faint"
        place = order_rank.get(o.index)
        told = describe_operation(o, result.model)
        if place is not None:
            told += f" — placed {_ordinal(place)}"
        elif o.ret is None and key.verdict == "linearizable":
            told += " — never took effect"
        if o.index == key.blocked:
            told += " — cannot be placed"
        out.append(
            f'<g><title>{e(told)}</title><rect class="bar {cls}" x="{left:.1f}" '
            f'y="{top}" width="{max(right - left, 4):.1f}" height="{_BAR}"/>'
            f'<text class="label" x="{left + 4:.1f}" y="{top + 16}">'
            f"{e(_clip(_short(o), max(2, int((right - left) / 6.5))))}</text></g>"
        )
        if o.index == key.blocked:
            cx, cy = right + 9, top + _BAR / 2
            out.append(
                f'<path class="cross" d="M{cx - 5:.1f},{cy - 5:.1f} l10,10 m0,-10 l-10,10"/>'
            )
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for _, px, py in points)
        out.append(f'<polyline class="order" points="{path}"/>')
    for number, px, py in points:
        out.append(
            f'<circle class="point" cx="{px:.1f}" cy="{py:.1f}" r="6"/>'
            f'<text class="num" x="{px:.1f}" y="{py + 3:.1f}" text-anchor="middle">'
            f"{number if number < 1000 else ''}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _plain(key: KeyResult) -> str:
    return "the register" if key.key is None else f"key {json.dumps(key.key, ensure_ascii=False)}"


def _short(o: Operation) -> str:
    """The label inside a bar: R → 3, W 3, CAS 1→2 ✗."""
    if o.f == "read":
        return "R → " + _value(o.output) if o.status == "ok" else "R ?"
    if o.f == "write":
        return "W " + _value(o.value)
    mark = {"fail": " ✗", "info": " ?"}.get(o.status, "")
    return f"CAS {_value(o.value[0])}→{_value(o.value[1])}{mark}"


def _value(value: Any) -> str:
    return _clip(json.dumps(value, ensure_ascii=False), 14)


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[: max(1, most - 1)] + "…"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
