"""What a trace holds, counted from its events: the summary every view of a saved run tells.

A trace written to the end closes with an ``end`` event. A run killed mid-way
(or a REPL session exported while paused) leaves a trace without one: it is
*incomplete*, and its views say so, with the counts of what it does hold. The
counts always come from the events present, never from the ``end`` event's own
figures, so a cut or edited file cannot claim more than it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["INCOMPLETE", "incomplete_note", "summarize_trace", "what_it_holds"]

INCOMPLETE = "incomplete: the trace stops here, without its end"


def summarize_trace(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What ``events`` (a trace's events, without the header) hold, counted.

    The fields of an ``end`` event (``t``, ``reason``, ``decided``, ``decided_at``,
    ``knowing``, ``sent``, ``delivered``, ``dropped``, ``duplicated``), plus ``complete``
    (the trace has its ``end``), ``events`` and ``decisions`` (how many decide events).
    Without an ``end`` the reason is :data:`INCOMPLETE` and ``t`` the last event's time.
    """
    sent = delivered = duplicated = decisions = 0
    dropped: dict[str, int] = {}
    knowing: set[str] = set()
    decided: Any = None
    decided_at: Any = None
    for event in events:
        match event.get("kind"):
            case "send":
                sent += 1
                if "copy_of" in event:
                    duplicated += 1
            case "deliver":
                delivered += 1
            case "drop":
                reason = str(event.get("reason", "?"))
                dropped[reason] = dropped.get(reason, 0) + 1
            case "decide":
                decisions += 1
                knowing.add(str(event.get("node")))
                if decided is None:
                    decided, decided_at = event.get("value"), event.get("t")
            case "crash" | "recover":  # a caravan back on its feet keeps only its logbook
                knowing.discard(str(event.get("node")))
    end = events[-1] if events and events[-1].get("kind") == "end" else None
    summary: dict[str, Any] = dict(
        kind="end",
        t=events[-1].get("t", 0) if events else 0,
        reason=INCOMPLETE,
        decided=decided,
        decided_at=decided_at,
        knowing=sorted(knowing),
        sent=sent,
        delivered=delivered,
        dropped=dict(sorted(dropped.items())),
        duplicated=duplicated,
        complete=end is not None,
        events=len(events),
        decisions=decisions,
    )
    if end is not None:  # what only the end can tell: why the run stopped, who knew
        summary["reason"] = end.get("reason", "?")
        if isinstance(end.get("knowing"), list):
            summary["knowing"] = end["knowing"]
        for key in ("executed", "nights", "answered", "linearizable"):  # a journey's end
            if key in end:
                summary[key] = end[key]
    return summary


def what_it_holds(summary: dict[str, Any]) -> str:
    """What a trace holds, in one phrase: "3,021 events: 782 riders sent, 700 delivered, ..."."""
    lost = sum(summary["dropped"].values())
    count, decided = summary["decisions"], summary["decided"]
    told = (
        f"{count} decision{'s' if count != 1 else ''} ({decided})"
        if count and decided is not None
        else "no decision"
    )
    return (
        f"{summary['events']:,} events: {summary['sent']:,} riders sent, "
        f"{summary['delivered']:,} delivered, {lost:,} lost, {told}"
    )


def incomplete_note(summary: dict[str, Any]) -> str:
    """How every view tells a trace without its end (the summary of :func:`summarize_trace`)."""
    return (
        f"INCOMPLETE trace: it stops at t={summary['t']} without its end event (a run cut short, "
        f"or a session saved mid-way). It holds {what_it_holds(summary)}."
    )
