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
counted. Every text from the trace is escaped.

The table follows the time cursor: each cell carries its times as data
attributes (whole numbers only) and ``assets/journey.js`` (listening for the
``desert-time`` event viewer.js sends whenever it draws a time) marks each cell
by :func:`cell_state` at that time: not chosen yet, chosen but not known here,
known, executed. The page without script still shows every time.

Below it, the history view: the travellers' requests and answers
(``check._journey.history_events``) checked by the linearizability checker and
drawn by its own view (``check._history_view``): one bar per request, the
linearization points, and for a violation the longest linearizable prefix and
the first request that cannot be placed. The check is bounded by
:data:`HISTORY_MAX_STATES` (no time limit, so the page is the same every time).

The GIF of a journey reads the same events one at a time, with
:class:`JourneyFold`: who leads, how many nights each caravan knows and has
executed, the nights chosen so far and the requests answered, at each frame.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ..narrate._journey import command_words, request_words

__all__ = [
    "HISTORY_MAX_STATES",
    "MAX_NIGHTS",
    "JourneyFold",
    "cell_state",
    "history_view_html",
    "log_cell_states",
    "log_view_html",
]

MAX_NIGHTS = 300
HISTORY_MAX_STATES = 200_000  # the page's linearizability search stops here with "unknown"

_Times = tuple[
    dict[int, tuple[int, str]],
    dict[tuple[int, str], int],
    dict[tuple[int, str], tuple[int, bool]],
]


def _times(events: list[dict[str, Any]]) -> _Times:
    """When each night was chosen, and when each caravan knew and executed it."""
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
    return chosen, known, executed


def cell_state(t: int, chosen: int | None, known: int | None, executed: int | None) -> str:
    """A log cell at time ``t`` (journey.js says the same): "executed", "known",
    "chosen" (a majority voted for it, this caravan does not know yet) or "open"."""
    if executed is not None and executed <= t:
        return "executed"
    if known is not None and known <= t:
        return "known"
    if chosen is not None and chosen <= t:
        return "chosen"
    return "open"


def log_cell_states(
    header: dict[str, Any], events: list[dict[str, Any]], t: int
) -> dict[tuple[int, str], str]:
    """Every drawn (night, caravan) cell's state at time ``t``."""
    chosen, known, executed = _times(events)
    caravans = [str(c) for c in header.get("caravans") or []]
    out: dict[tuple[int, str], str] = {}
    for slot in sorted({*chosen, *(s for s, _ in known)})[:MAX_NIGHTS]:
        when = chosen.get(slot)
        for c in caravans:
            ran = executed.get((slot, c))
            out[slot, c] = cell_state(
                t,
                when[0] if when else None,
                known.get((slot, c)),
                ran[0] if ran else None,
            )
    return out


def log_view_html(header: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The log view's HTML, or "" for a single-decree trace."""
    if header.get("protocol") != "multi-paxos":
        return ""
    caravans = [str(c) for c in header.get("caravans") or []]
    chosen, known, executed = _times(events)
    nights = sorted({*chosen, *(s for s, _ in known)})
    e = html.escape
    heads = "".join(f"<th>{e(c)}</th>" for c in caravans)
    rows: list[str] = []
    for slot in nights[:MAX_NIGHTS]:
        when = chosen.get(slot)
        first = (
            f"chosen t={when[0]}: {e(when[1])}" if when is not None else "chosen: not in this trace"
        )
        at = f" data-chosen='{when[0]}'" if when is not None else ""
        cells = []
        for c in caravans:
            heard = known.get((slot, c))
            cell = f"<td data-night='{slot}' data-caravan='{e(c, quote=True)}'{at}"
            if heard is None:
                cells.append(f"{cell} class='unknown'><span class='now'></span>—</td>")
                continue
            ran = executed.get((slot, c))
            done = ""
            if ran is not None:
                cell += f" data-executed='{ran[0]}'"
                done = f"; executed t={ran[0]}" + (" (a retry, skipped)" if ran[1] else "")
            late = f" (+{heard - when[0]})" if when is not None else ""
            cells.append(
                f"{cell} data-known='{heard}'><span class='now'></span>"
                f"known t={heard}{late}{done}</td>"
            )
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
        "supplies, or not yet). The table follows the time cursor: at its time a cell is "
        "<span class='log-key open'>not chosen yet</span> "
        "<span class='log-key chosen'>chosen, not known here</span> "
        "<span class='log-key known'>known</span> "
        "<span class='log-key executed'>executed</span>.</p>"
        "<table class='log'><thead><tr><th>night</th><th>chosen</th>"
        f"{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>{tail}"
        f"<style>{_LOG_CSS}</style><script>{_asset('journey.js')}</script></section>"
    )


_LOG_CSS = """
#log-view table.log { border-collapse: collapse; font-size: 12px; }
#log-view td, #log-view th { border: 1px solid #ddd; padding: 2px 6px; }
#log-view .log-key { padding: 0 4px; border-radius: 3px; }
#log-view .open { background: #fff; color: #999; }
#log-view .chosen { background: #fbecc5; }
#log-view .known { background: #dbe8fb; }
#log-view .executed { background: #d6f0d9; }
#log-view .now { font-weight: 600; margin-right: .4em; }
#log-view, #history-view { margin: 1.2em 14px 0; }
"""


def _asset(name: str) -> str:
    return (Path(__file__).parent / "assets" / name).read_text(encoding="utf-8")


def history_view_html(header: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The history panel of a journey's page, or "" for a single-decree trace."""
    if header.get("protocol") != "multi-paxos":
        return ""
    from ..check._history_view import HISTORY_CSS, history_body_html
    from ..check._journey import history_events
    from ..check._linearizable import HistoryError, check_events

    history = history_events(events)
    intro = (
        "<h2>The travellers' history: is the journey linearizable?</h2>"
        "<p>One bar per request, from when a traveller asked to when the answer came back "
        "(a request never answered runs on, dashed). The linearizability checker looks for "
        "one order of all requests, each taking effect at a point inside its bar, that "
        "a single register would have answered the same way. Its time axis counts the "
        "requests and answers in order (line n of <code>export --history</code>), not the "
        "trace's ticks.</p>"
    )
    if not history:
        body = "<p>No traveller asked anything in this trace.</p>"
    else:
        try:
            result = check_events(history, max_states=HISTORY_MAX_STATES, timeout=None)
        except HistoryError as exc:
            body = f"<p>The history cannot be checked: {html.escape(str(exc))}.</p>"
        else:
            body = history_body_html(result)
    return (
        "<section id='history-view' aria-label='the travellers history'>"
        f"{intro}<style>#history-view {{{HISTORY_CSS}}}</style>{body}</section>"
    )


def _later(ballot: Any, than: Any) -> bool:
    """``ballot`` outranks ``than`` (banners as in the trace: ``[round, "Name"]``)."""
    if not (isinstance(ballot, list) and isinstance(than, list)):
        return False
    try:
        return bool(tuple(ballot) > tuple(than))
    except TypeError:  # a hand-made trace's odd banner: not comparable, not later
        return False


class JourneyFold:
    """What the journey's GIF tells at one moment, updated one trace event at a time.

    Read from the events only, as the log view reads them: who leads under which
    banner (``elected``, until it collapses, gets up again, or cancels its
    heartbeat: it stepped down for a higher banner), who stands for election (its
    patience for a heartbeat ran out, and it has not won, collapsed, nor promised
    another caravan's banner since), how many nights each caravan
    knows (``learn``) and has executed (``execute``; a caravan that gets up again
    has executed the nights of its logbook's floor and knows nothing more yet),
    which nights are chosen (``chosen``, the first time; a chosen night never
    changes), and the travellers' requests asked and answered.
    """

    def __init__(self, caravans: list[str]) -> None:
        self.leading: dict[str, Any] = {}  # caravan -> the banner it leads under
        self.standing: set[str] = set()  # caravans that stand for election
        self.promised: dict[str, Any] = {}  # caravan -> the banner its logbook last promised
        self.executed: dict[str, int] = {name: 0 for name in caravans}
        self.known: dict[str, set[int]] = {name: set() for name in caravans}
        self.chosen: dict[int, str] = {}  # night -> its command, in the order chosen
        self.waiting: dict[str, str] = {}  # traveller -> the request it waits on
        self.travellers: dict[str, tuple[int, int]] = {}  # traveller -> (asked, answered)

    @property
    def asked(self) -> int:
        """Requests asked by every traveller (a retry is the same request)."""
        return sum(asked for asked, _ in self.travellers.values())

    @property
    def answered(self) -> int:
        return sum(answered for _, answered in self.travellers.values())

    def knows(self, caravan: str) -> int:
        """How many nights ``caravan`` knows: those it executed and those it learned past them."""
        executed = self.executed.get(caravan, 0)
        return executed + sum(1 for s in self.known.get(caravan, ()) if s > executed)

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        node = event.get("node")
        slot = event.get("slot")
        match kind:
            case "elected" if isinstance(node, str):
                self.leading[node] = event.get("ballot")
                self.standing.discard(node)
            case "timer" if event.get("name") == "election" and isinstance(node, str):
                if node not in self.leading:
                    self.standing.add(node)
            case "timer_cancel" if event.get("name") == "heartbeat" and isinstance(node, str):
                self.leading.pop(node, None)  # a leader steps down: no more heartbeats
            case "persist" if isinstance(node, str):
                promised = event.get("promised")
                if node in self.leading and _later(promised, self.leading[node]):
                    self.leading.pop(node)  # it promised a higher banner than its own
                others = isinstance(promised, list) and promised[1:] != [node]
                if others and promised != self.promised.get(node):
                    self.standing.discard(node)  # it promised another caravan's banner: follows
                self.promised[node] = promised
            case "crash" if isinstance(node, str):
                self.leading.pop(node, None)
                self.standing.discard(node)
            case "recover" if isinstance(node, str):  # up from its logbook: memory is gone
                self.leading.pop(node, None)
                self.promised[node] = event.get("promised")
                self.standing.discard(node)
                floor = event.get("floor")
                self.executed[node] = floor if isinstance(floor, int) else 0
                self.known[node] = set()
            case "learn" if isinstance(node, str) and isinstance(slot, int):
                self.known.setdefault(node, set()).add(slot)
            case "execute" if isinstance(node, str) and isinstance(slot, int):
                self.executed[node] = max(self.executed.get(node, 0), slot)
            case "chosen" if isinstance(slot, int):
                command = event.get("command")
                what = (
                    command_words(command) if isinstance(command, dict) else str(event.get("value"))
                )
                self.chosen.setdefault(slot, what)
            case "request":
                who = str(event.get("traveller"))
                asked, answered = self.travellers.get(who, (0, 0))
                if not event.get("retry"):
                    asked += 1
                self.travellers[who] = (asked, answered)
                self.waiting[who] = request_words(event)
            case "response":
                who = str(event.get("traveller"))
                asked, answered = self.travellers.get(who, (0, 0))
                self.travellers[who] = (asked, answered + 1)
                self.waiting.pop(who, None)
