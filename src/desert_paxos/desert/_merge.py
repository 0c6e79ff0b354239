"""``desert merge``: the parts of a real desert as one trace, checked for safety.

Theory of operation
-------------------
Each process of a real desert wrote its own part (``coordinator.jsonl`` and
one ``NAME.jsonl`` per caravan, see ``_clock.py``), each line stamped with
``ns`` on the clock every process shares. The merged trace is the parts'
events in the order of ``ns`` (a tie keeps the coordinator's first and each
part's own order), which is the order they happened in: every process's
order is kept, and a rider's ``send`` line was written before it left, so it
comes before its ``deliver`` or ``drop`` (checked: a delivery of a rider never
sent is refused). Times become ticks of the shared clock (``t``, never
decreasing), and ``seq`` counts the lines from 1.

What no process could tell is told here, as the simulator would have told it:

* a rider sent but neither delivered nor dropped was held by a receiver that
  collapsed (``drop``, reason ``crashed``, at its arrival or the collapse,
  whichever is later), or lost by the network itself (reason ``loss``: a real
  loss, such as a firewall's); one whose arrival is after the end is still on
  the sand, as in a simulated trace cut by ``until``;
* a :class:`~desert_paxos.check.SafetyMonitor` reads the events as the
  simulator feeds its own: proposals, every logbook write (votes, for single
  choice, and promises, which must never go down), every recovery (the record
  the logbook gave back: a promise lower than one written before is a
  violation) and every decision. A ``chosen`` event follows the write that
  completed a majority of votes, and a ``violation`` event the first event
  that broke an invariant (the run is told on to its end, unlike the
  simulator's, since the real desert did go on);
* the ``end`` event, with the reason the coordinator ended for, and the
  counts of what the trace holds (``trace.summarize_trace``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._untrusted import TRACE_LIMIT, InputError, JsonReader, decode_utf8, read_file
from ..check import SafetyMonitor, Violation
from ..protocol import AcceptorRecord, message_from_json
from ..sim._events import chosen_event, drop_event
from ..trace import summarize_trace
from ._clock import Clock
from ._coordinator import COORDINATOR_PART
from ._logbook import record_from_json
from ._node import part_path
from ._setup import SetupError, read_setup

__all__ = ["MergeError", "MergedTrace", "merge_desert"]


class MergeError(Exception):
    """Parts that cannot be merged: the message names the file (and line) and why."""


@dataclass(slots=True)
class MergedTrace:
    header: dict[str, Any]
    events: list[dict[str, Any]]
    violation: Violation | None
    torn: list[str]  # parts whose last line was cut short (left out)

    def lines(self) -> list[dict[str, Any]]:
        return [self.header, *self.events]


def _read_part(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """The lines of one part (each an object with ``ns``); True if its last line was torn."""
    try:
        text = decode_utf8(read_file(path, TRACE_LIMIT), "part of a real desert's trace")
    except InputError as exc:
        raise MergeError(f"{path}: {exc}") from None
    lines = text.split("\n")
    torn = bool(lines[-1])  # a file of whole lines ends with "\n"
    if torn:
        lines.pop()
    out: list[dict[str, Any]] = []
    reader = JsonReader(one_line=True)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = reader.loads(line)
        except InputError as exc:
            raise MergeError(f"{path}:{number}: {exc}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
            raise MergeError(f'{path}:{number}: every line must be an object with a "kind"')
        if type(obj.get("ns")) is not int:
            raise MergeError(f"{path}:{number}: ns: expected the clock's reading (a whole number)")
        out.append(obj)
    return out, torn


def merge_desert(folder: str | Path) -> MergedTrace:
    """Merge the parts in ``folder`` (the ``--dir`` of a ``desert up``) into one trace."""
    where = Path(folder)
    try:
        setup = read_setup(where)
    except SetupError as exc:
        raise MergeError(str(exc)) from None
    coordinator, torn_c = _read_part(where / COORDINATOR_PART)
    if len(coordinator) < 2 or coordinator[0].get("kind") != "desert":
        raise MergeError(
            f"{where / COORDINATOR_PART}: the desert never started (no tick 0 and header)"
        )
    first = coordinator[0]
    epoch, tick_ms = first.get("epoch_ns"), first.get("tick_ms")
    if type(epoch) is not int or type(tick_ms) is not int or tick_ms < 1:
        raise MergeError(f"{where / COORDINATOR_PART}:1: expected epoch_ns and tick_ms")
    clock = Clock(epoch, tick_ms)
    header = dict(coordinator[1])
    header.pop("ns", None)
    header.pop("t", None)
    if header.get("kind") != "header":
        raise MergeError(f"{where / COORDINATOR_PART}:2: expected the trace's header")
    torn = [COORDINATOR_PART] if torn_c else []
    # (ns, part, line, event): the coordinator's part first on a tie, each part in its order.
    items: list[tuple[int, int, int, dict[str, Any]]] = []
    stop: dict[str, Any] | None = None
    for i, event in enumerate(coordinator[2:]):
        if event["kind"] == "desert_end":
            stop = event
        else:
            items.append((event["ns"], 0, i, event))
    for index, name in enumerate(setup.scenario.caravans, start=1):
        path = part_path(where, name)
        if not path.exists():
            continue
        events, was_torn = _read_part(path)
        if was_torn:
            torn.append(path.name)
        items.extend((event["ns"], index, i, event) for i, event in enumerate(events))
    end_ns = stop["ns"] if stop is not None else max((item[0] for item in items), default=epoch)
    items.extend(_untold_drops(items, clock, end_ns))
    items.sort(key=lambda item: (item[0], item[1], item[2]))
    config = setup.scenario.config()
    events, violation = _checked(items, clock, config.phase2_quorum, config.caravans, where)
    for name in torn:
        events.append(
            {
                "kind": "note",
                "text": f"{name}: its last line was cut short (its process was killed while "
                "writing it) and is left out",
            }
        )
    if stop is not None:
        summary = summarize_trace(events)
        end = {key: summary[key] for key in _END_FIELDS}
        end["kind"], end["reason"] = "end", str(stop.get("reason", "?"))
        events.append(end)
    last_t = 0
    for seq, event in enumerate(events, start=1):
        event["seq"] = seq
        if "t" not in event:
            event["t"] = last_t
        last_t = event["t"]
    if stop is not None:  # when the end was decided (the caravans were stopped after it)
        at = stop.get("at_ns")
        events[-1]["t"] = max(last_t, clock.tick(at if type(at) is int else stop["ns"]))
    return MergedTrace(header, events, violation, torn)


_END_FIELDS = ("decided", "decided_at", "knowing", "sent", "delivered", "dropped", "duplicated")


def _untold_drops(
    items: list[tuple[int, int, int, dict[str, Any]]], clock: Clock, end_ns: int
) -> list[tuple[int, int, int, dict[str, Any]]]:
    """Drops for the riders sent and never delivered nor dropped by anyone."""
    sends: dict[int, tuple[int, dict[str, Any]]] = {}
    judged: set[int] = set()
    # Each caravan's collapses and recoveries, in order: (ns, True for a collapse).
    turns: dict[str, list[tuple[int, bool]]] = {}
    for ns, _, _, event in sorted(items, key=lambda item: item[0]):
        kind = event["kind"]
        if kind == "send":
            sends[event["id"]] = (ns, event)
        elif kind in ("deliver", "drop"):
            judged.add(event["id"])
        elif kind in ("crash", "recover"):
            turns.setdefault(str(event.get("node")), []).append((ns, kind == "crash"))
    out: list[tuple[int, int, int, dict[str, Any]]] = []
    last_part = 1 << 20  # after every real part on a tie
    for rider, (sent_ns, send) in sends.items():
        if rider in judged:
            continue
        arrive_ns = max(sent_ns + 1, clock.ns(int(send["arrive"])))
        down_at = _collapsed_by(turns.get(str(send["dst"]), []), sent_ns, arrive_ns)
        if down_at is not None:
            ns, reason = max(arrive_ns, down_at + 1), "crashed"
        else:
            ns, reason = arrive_ns, "loss"
        if ns > end_ns:
            continue  # still on the sand when the desert ended
        msg = message_from_json(send["msg"])
        event = drop_event(rider, send["src"], send["dst"], msg, reason)
        out.append((ns, last_part, rider, event))
    return out


def _collapsed_by(turns: list[tuple[int, bool]], sent_ns: int, arrive_ns: int) -> int | None:
    """When the receiver of a rider was down: at the rider's arrival (since that collapse), or
    else the first collapse after the rider was sent (it died holding it: a busy receiver may
    judge a rider a little after its arrival). None if it never was."""
    down: int | None = None
    for ns, collapse in turns:
        if ns > arrive_ns:
            break
        down = ns if collapse else None
    if down is not None:
        return down
    return next((ns for ns, collapse in turns if collapse and ns >= sent_ns), None)


def _record(event: dict[str, Any]) -> AcceptorRecord:
    """The logbook record a persist or recover event tells."""
    accepted = event.get("accepted")
    fields: dict[str, Any] = {"promised": event.get("promised")}
    if isinstance(accepted, dict):
        fields["accepted_ballot"] = accepted.get("ballot")
        fields["accepted_value"] = accepted.get("value")
    if "tried_round" in event:
        fields["tried_round"] = event["tried_round"]
    return record_from_json(fields)


def _checked(
    items: list[tuple[int, int, int, dict[str, Any]]],
    clock: Clock,
    quorum: int,
    caravans: tuple[str, ...],
    where: Path,
) -> tuple[list[dict[str, Any]], Violation | None]:
    """The events in order, with ``t``, the chosen and violation events, and the first violation."""
    monitor = SafetyMonitor(quorum, caravans)
    sent: set[int] = set()
    events: list[dict[str, Any]] = []
    first: Violation | None = None
    for ns, _, _, raw in items:
        event = {key: value for key, value in raw.items() if key != "ns"}
        t = event["t"] = clock.tick(ns)
        kind = event["kind"]
        problem: Violation | None = None
        extra: dict[str, Any] | None = None
        try:
            if kind == "send":
                sent.add(event["id"])
            elif kind in ("deliver", "drop") and event.get("id") not in sent:
                raise MergeError(
                    f"{where}: rider #{event.get('id')} reached {event.get('dst')} but was never "
                    "sent (a part is missing or was edited)"
                )
            elif kind == "propose":
                monitor.on_propose(str(event["value"]))
            elif kind in ("persist", "recover"):
                record, node = _record(event), str(event["node"])
                problem = monitor.on_promise(t, node, record.promised)
                voted = monitor.on_persist(t, node, record)
                problem = problem or voted
                if monitor.just_chosen is not None:
                    extra = chosen_event(*monitor.just_chosen)
            elif kind == "decide":
                problem = monitor.on_decide(t, str(event["node"]), str(event["value"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise MergeError(f"{where}: a {kind} event that is not whole: {exc!r:.80}") from None
        events.append(event)
        if extra is not None:
            extra["t"] = t
            events.append(extra)
        if problem is not None and first is None:
            first = problem
            events.append(
                {
                    "kind": "violation",
                    "t": t,
                    "invariant": problem.invariant,
                    "rule": problem.rule,
                    "message": problem.message,
                }
            )
    return events, first
