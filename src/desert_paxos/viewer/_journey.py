"""The viewer's log view of a journey: nights × caravans, chosen against known.

Theory of operation
-------------------
On a journey trace (header ``"protocol": "multi-paxos"``) the page gains a
table below the space-time diagram, drawn here from the trace alone: one row
per night, one column per caravan. The first cell of a row says when the
night's command was *chosen* (the ``chosen`` event: a majority's logbook votes,
usually before anyone knows) and which command; each caravan's cell says when
that caravan *knew* it (``learn``) and when it executed it (``execute``), or a
dash when it never heard that night's decision (a snapshot may have brought it
past the night). The gap between the chosen time and
each known time is the lesson of "chosen is not known", night by night. A
night chosen again under a later banner keeps its first time (a chosen night
never changes). At most :data:`MAX_NIGHTS` rows are drawn; the rest are
counted. Every text from the trace is escaped: the table is plain HTML, with
no script.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["MAX_NIGHTS", "log_view_html"]

MAX_NIGHTS = 300


def log_view_html(header: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The log view's HTML, or "" for a single-decree trace."""
    if header.get("protocol") != "multi-paxos":
        return ""
    caravans = [str(c) for c in header.get("caravans") or []]
    chosen: dict[int, tuple[int, str]] = {}
    known: dict[tuple[int, str], int] = {}
    executed: dict[tuple[int, str], tuple[int, bool]] = {}
    for event in events:
        kind = event.get("kind")
        slot = event.get("slot")
        if not isinstance(slot, int):
            continue
        t = int(event.get("t", 0))
        if kind == "chosen":
            chosen.setdefault(slot, (t, str(event.get("value"))))
        elif kind == "learn":
            known.setdefault((slot, str(event.get("node"))), t)
        elif kind == "execute":
            executed.setdefault((slot, str(event.get("node"))), (t, bool(event.get("again"))))
    nights = sorted({*chosen, *(s for s, _ in known)})
    e = html.escape
    heads = "".join(f"<th>{e(c)}</th>" for c in caravans)
    rows: list[str] = []
    for slot in nights[:MAX_NIGHTS]:
        when = chosen.get(slot)
        first = (
            f"chosen t={when[0]}: {e(when[1])}" if when is not None else "chosen: not in this trace"
        )
        cells = []
        for c in caravans:
            heard = known.get((slot, c))
            if heard is None:
                cells.append("<td class='unknown'>—</td>")
                continue
            ran = executed.get((slot, c))
            done = ""
            if ran is not None:
                done = f"; executed t={ran[0]}" + (" (a retry, skipped)" if ran[1] else "")
            late = f" (+{heard - when[0]})" if when is not None else ""
            cells.append(f"<td>known t={heard}{late}{done}</td>")
        rows.append(f"<tr><th>night {slot}</th><td>{first}</td>{''.join(cells)}</tr>")
    more = len(nights) - MAX_NIGHTS
    tail = f"<p>… and {more:,} more nights.</p>" if more > 0 else ""
    return (
        "<section id='log-view' aria-label='the log: nights by caravans'>"
        "<h2>The log: a command for every night</h2>"
        "<p>A night is <b>chosen</b> when a majority has written votes for one command in their "
        "logbooks; each caravan <b>knows</b> it only when the decision reaches it (+ ticks "
        "after it was chosen), then executes the nights in order. A dash: the caravan never "
        "heard that night's decision (it may have caught up on it by a snapshot of the "
        "supplies, or not yet).</p>"
        "<table class='log'><thead><tr><th>night</th><th>chosen</th>"
        f"{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>{tail}</section>"
    )
