"""Explore mode: walk the model checker's state space by hand, one enabled move at a time.

Theory of operation
-------------------
A walk is a small desert (:class:`~desert_paxos.explore.ExploreOptions`) and a
*path*: the index of the move taken at each step in the list that the
explorer's own successor function (:meth:`Model.successors`) gives for the
state reached so far. So what the page offers is exactly what the checker
explores, in its order, broken moves marked with the invariant they break.

A path is replayed on a fresh :class:`Model` every time: the successor order
depends only on the options and the moves taken, so the same options and path
(the page's URL) always lead to the same state, on any server. The path is then
played with real caravans (:func:`~desert_paxos.explore.play_moves`) and drawn
by the viewer, and each enabled move is said in the story voice of the event
it would be (a delivery, a loss, a timer, a collapse...).

"Find the shortest counterexample" runs the checker itself (breadth-first,
bounded by :data:`MAX_STATES`; a broken variant is searched first for two
caravans deciding differently, as ``desert-paxos explore`` does) and turns the
path it finds into move indices of a fresh model by matching each move's
meaning: the rider (sender, receiver, message) or the caravan it concerns.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from ..check import INVARIANTS
from ..explore import (
    Action,
    ExploreOptions,
    Model,
    State,
    default_max_states,
    first_move,
    play_moves,
    search,
)
from ..narrate import story_voice
from ..protocol import VARIANTS
from ..sim._events import deliver_event, drop_event

__all__ = [
    "MAX_PATH",
    "MAX_STATES",
    "ExploreError",
    "Walk",
    "options_from",
    "shortest_counterexample",
    "variants",
]

MAX_PATH = 200  # moves in one walk
MAX_STATES = 500_000  # the page's search bound (the command line's is memory-aware and larger)
_BOOLS = ("loss", "duplicate", "self_delay")
_INTS = {  # field: (lowest, highest) the page accepts
    "caravans": (1, 5),
    "proposers": (1, 5),
    "max_round": (1, 3),
    "crashes": (0, 2),
    "inquiries": (0, 2),
}


class ExploreError(ValueError):
    """Options or a path the page cannot walk: one line each, naming the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def variants() -> list[dict[str, Any]]:
    """Every variant, its lesson, and the faults it needs to break (the page's defaults)."""
    return [{"name": v.name, "lesson": v.lesson, "needs": dict(v.needs)} for v in VARIANTS.values()]


def options_from(data: object) -> ExploreOptions:
    """Explore options from the page's JSON (or the URL's query), checked field by field."""
    if not isinstance(data, dict):
        raise ExploreError(['options must be an object of fields, e.g. {"caravans": 3}'])
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, (low, high) in _INTS.items():
        raw = data.get(name)
        if raw is None:
            continue
        value = _whole(raw)
        if value is None or not low <= value <= high:
            problems.append(f"{name} must be a whole number from {low} to {high}, got {raw!r:.40}")
        else:
            values[name] = value
    for name in _BOOLS:
        raw = data.get(name)
        if raw is None:
            continue
        if raw in (True, False, "1", "0", "true", "false", 1, 0):
            values[name] = raw in (True, "1", "true", 1)
        else:
            problems.append(f"{name} must be true or false, got {raw!r:.40}")
    variant = data.get("variant")
    if variant is not None:
        if not isinstance(variant, str) or variant not in VARIANTS:
            problems.append(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r:.40}")
        else:
            values["variant"] = variant
    watch = data.get("invariants")
    if watch not in (None, "", "all"):
        names = watch.split(",") if isinstance(watch, str) else watch
        if not isinstance(names, list) or not all(n in INVARIANTS for n in names):
            problems.append(f"invariants must be 'all' or names from {', '.join(INVARIANTS)}")
        else:
            values["invariants"] = tuple(dict.fromkeys(names))
    if problems:
        raise ExploreError(problems)
    options = ExploreOptions(**values)
    problems = [p.replace("--", "") for p in options.problems()]
    if problems:
        raise ExploreError(problems)
    return options


def _whole(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 4:
        return int(raw)
    return None


def query_of(options: ExploreOptions, path: list[int]) -> str:
    """The page's URL query for this walk: shareable, and enough to come back to it."""
    fields: dict[str, Any] = {
        "caravans": options.caravans,
        "proposers": options.proposers,
        "variant": options.variant,
        "max_round": options.max_round,
        "crashes": options.crashes,
        "inquiries": options.inquiries,
    }
    fields |= {name: 1 for name in _BOOLS if getattr(options, name)}
    if options.invariants:
        fields["invariants"] = ",".join(options.invariants)
    fields["path"] = ".".join(str(i) for i in path)
    return urlencode(fields)


def path_from(text: object) -> list[int]:
    """``3.0.12`` as move indices, or an ExploreError naming what is wrong."""
    if text in (None, ""):
        return []
    if isinstance(text, list):
        parts: list[Any] = text
    elif isinstance(text, str):
        parts = text.split(".")
    else:
        raise ExploreError(["path must be move numbers joined by dots, e.g. 0.3.1"])
    if len(parts) > MAX_PATH:
        raise ExploreError([f"path has {len(parts):,} moves; a walk has at most {MAX_PATH}"])
    out = []
    for part in parts:
        value = _whole(part) if not isinstance(part, int) or isinstance(part, bool) else part
        if value is None or value < 0:
            raise ExploreError([f"path must be move numbers joined by dots, got {part!r:.20}"])
        out.append(value)
    return out


class Walk:
    """One walk through one model: options, the path so far, and what the page shows."""

    def __init__(self, options: ExploreOptions, path: list[int]) -> None:
        self.options = options
        self.path = list(path)
        self.model = Model(options)
        self.actions: list[Action] = []
        self.state: State = self.model.initial
        self.broken: str | None = None
        for step, index in enumerate(self.path, start=1):
            if self.broken is not None:
                raise ExploreError([f"path goes on after step {step - 1} broke {self.broken}"])
            moves = self.model.successors(self.state)
            if not 0 <= index < len(moves):
                raise ExploreError(
                    [
                        f"path step {step} takes move {index}, but {len(moves)} moves are enabled there"
                    ]
                )
            action, self.state, self.broken = moves[index]
            self.actions.append(action)

    def view(self) -> dict[str, Any]:
        """The page's message: the walk's trace (viewer data), its enabled moves, its URL."""
        from ..viewer import page_data

        played = play_moves(self.model, self.actions)
        header = dict(played.header)
        header["description"] = f"A walk through the explorer's states: {self.options.describe()}."
        header["scenario"] = f"explore-{self.options.variant}"
        moves = [] if self.broken is not None else self._moves(played.riders)
        return {
            "type": "explore",
            "options": query_of(self.options, []).rsplit("&path=", 1)[0],
            "path": self.path,
            "query": query_of(self.options, self.path),
            "describe": self.options.describe(),
            "watching": [n for n in INVARIANTS if n in self.model.watched],
            "broken": self.broken,
            "rule": INVARIANTS.get(self.broken, "") if self.broken else "",
            "moves": moves,
            "data": page_data(header, list(played.events)),
        }

    def _moves(self, riders: tuple[tuple[int, str, str, Any], ...]) -> list[dict[str, Any]]:
        model = self.model
        out = []
        for index, (action, _next, broken) in enumerate(model.successors(self.state)):
            kind, arg = action
            if kind in ("deliver", "duplicate", "lose", "drop"):
                src, dst, msg = model.message(arg)
                rider = next((r[0] for r in riders if r[1:] == (src, dst, msg)), 0)
                if kind in ("deliver", "duplicate"):
                    said = story_voice(deliver_event(rider, src, dst, msg))
                    if kind == "duplicate":
                        said = f"A second copy arrives (the rider stays on the way): {said}"
                else:
                    reason = "loss" if kind == "lose" else "crashed"
                    said = story_voice(drop_event(rider, src, dst, msg, reason))
                label = f"{kind} rider #{rider}"
            else:
                name = model.names[arg]
                said = story_voice(_caravan_event(model, kind, arg))
                label = f"{kind} {name}"
            out.append(
                {"index": index, "kind": kind, "label": label, "says": said, "breaks": broken}
            )
        return out


def _caravan_event(model: Model, kind: str, index: int) -> dict[str, Any]:
    name = model.names[index]
    match kind:
        case "propose":
            return {"kind": "propose", "node": name, "value": model.campsites[index]}
        case "timer":
            return {"kind": "timer", "node": name, "name": "proposer"}
        case "learn":
            return {"kind": "timer", "node": name, "name": "learner"}
        case _:
            return {"kind": kind, "node": name}


def _meaning(model: Model, action: Action) -> tuple[Any, ...]:
    kind, arg = action
    if kind in ("deliver", "duplicate", "lose", "drop"):
        return (kind, *model.message(arg))
    return (kind, arg)


def shortest_counterexample(
    options: ExploreOptions, stop: threading.Event
) -> tuple[ExploreOptions, list[int] | None, str]:
    """Search breadth-first; the options searched, the path as move indices (or None), a verdict.

    ``stop`` ends the search early (the server is stopping); at most MAX_STATES states.
    """
    bound = min(MAX_STATES, default_max_states())
    stages = [options]
    if options.variant != "paxos" and not options.invariants:
        stages = [replace(options, invariants=("agreement",)), options]

    def progress(states: int, transitions: int, depth: int, seconds: float) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # search() ends early and says "interrupted"

    result: Any = None
    for explored in stages:
        model = Model(explored)
        result = search(
            model, strategy="bfs", max_states=bound, progress=progress, progress_every=0.2
        )
        if result.violation is not None:
            return (
                explored,
                _indices(model, explored, result.path),
                (
                    f"The shortest counterexample: {len(result.path) - 1} moves break "
                    f"{result.violation} ({result.states:,} states searched)."
                ),
            )
        if result.stopped == "interrupted":
            return options, None, "The search was interrupted."
    assert result is not None
    if result.stopped == "max-states":
        return (
            options,
            None,
            (
                f"No counterexample in the first {result.states:,} states (the page's bound): "
                "not a proof; desert-paxos explore searches further."
            ),
        )
    return options, None, f"Safety holds in all {result.states:,} states: no counterexample exists."


def _indices(searched: Model, options: ExploreOptions, path: list[State]) -> list[int]:
    """The search's path (states of ``searched``) as move indices of a fresh model."""
    fresh = Model(options)
    state, concrete = fresh.initial, searched.initial
    out = []
    for target in path[1:]:
        action, concrete = first_move(searched, concrete, target)
        wanted = _meaning(searched, action)
        for index, (mine, nxt, _broken) in enumerate(fresh.successors(state)):
            if _meaning(fresh, mine) == wanted:
                out.append(index)
                state = nxt
                break
        else:  # pragma: no cover - the two models make the same moves
            raise LookupError("the counterexample's move is not enabled in a fresh model")
    return out
