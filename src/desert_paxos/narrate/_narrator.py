"""The narrator: an observer that tells events as they happen, at a log level.

It reads only trace events. A caravan's riders sent at the same tick with the
same message are told as one line ("sends riders to every caravan"), so a
broadcast reads like one act of the story. Colour comes from rich, imported
only when colour is wanted (a terminal, and ``NO_COLOR`` unset).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, Any

from .._untrusted import printable
from ..check import INVARIANTS
from ..trace import incomplete_note
from ._journey import JourneyStory, journey_protocol_voice, journey_story_voice
from ._layout import two_voices, wrap
from ._story import Story, Told
from ._voices import LEVELS, join_names, protocol_voice, story_voice

__all__ = ["Narrator", "off_seed_note", "want_colour"]

_STYLES = {
    "propose": "bold cyan",
    "adopt": "bold magenta",
    "chosen": "bold yellow",
    "decide": "bold green",
    "sandstorm": "yellow",
    "calm": "yellow",
    "crash": "bold red",
    "recover": "green",
    "violation": "bold white on red",
    "drop": "red",
    "deliver": "dim",
    "timer": "dim",
    "timer_set": "dim",
    "timer_cancel": "dim",
    "persist": "dim",
    "note": "italic",
}


def off_seed_note(text: str, scripted: object, seed: object) -> str:
    """A teacher's note, timed for the scenario's own seed, told in a desert of another seed
    (where it may come before or after what it describes)."""
    return f"(written for seed {scripted}, the scenario's own; this desert has seed {seed}) {text}"


def want_colour(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Narrator:
    """Tell events at ``level`` ("quiet", "info", "debug" or "trace") on ``stream``."""

    def __init__(
        self,
        level: str = "info",
        stream: IO[str] | None = None,
        colour: bool | None = None,
        width: int | None = None,
    ) -> None:
        self.level = LEVELS[level]
        self.stream = stream if stream is not None else sys.stdout
        self.colour = want_colour(self.stream) if colour is None else colour
        # Lines fitted to this many columns (the REPL's screen); None: one line per event.
        self.width = width
        self._console: Any = None
        self.header: dict[str, Any] = {}
        self.caravans: list[str] = []
        # The context every event is told in; a journey's (a header of protocol multi-paxos,
        # or a JourneyStory handed over by the REPL) is told in the journey's voices.
        self.story: Story | JourneyStory = Story()
        self._pending: list[tuple[dict[str, Any], Told]] = []
        self.decisions: dict[str, tuple[str, int]] = {}
        self.violation: dict[str, Any] | None = None
        self.end: dict[str, Any] | None = None
        self._scripted: int | None = None  # the scenario's own seed, when the run has another

    # -- output -------------------------------------------------------------

    def _write(self, text: str, style: str | None = None) -> None:
        if self.width is not None:  # on a terminal: broken at spaces, never mid-word by it
            text = "\n".join(
                line for part in text.split("\n") for line in wrap(part, self.width, "  ")
            )
        if self.colour:
            if self._console is None:
                from rich.console import Console

                self._console = Console(file=self.stream, highlight=False, soft_wrap=True)
            self._console.print(text, style=style, markup=False)
        else:
            self.stream.write(text + "\n")

    def recall(self, event: dict[str, Any]) -> None:
        """Take ``event`` into the story's context without telling it (catching up)."""
        if event.get("kind") == "header":
            self.header = event
            self.caravans = list(event.get("caravans", []))
            self._choose_voices(event)
        self.story.recall(event)

    def _choose_voices(self, header: dict[str, Any]) -> None:
        """A journey (Multi-Paxos) trace is told by its own story and voices."""
        if header.get("protocol") == "multi-paxos":
            self.story = JourneyStory()
            self.story.tell(header)

    @property
    def _story_voice(self) -> Callable[..., str]:
        return journey_story_voice if isinstance(self.story, JourneyStory) else story_voice

    @property
    def _protocol_voice(self) -> Callable[..., str]:
        return journey_protocol_voice if isinstance(self.story, JourneyStory) else protocol_voice

    def _line(self, event: dict[str, Any], story: str, protocol: str) -> None:
        t = event.get("t", 0)
        style = _STYLES.get(str(event.get("kind")))
        if self.width is not None:  # broken at spaces to the width (narrate._layout)
            stamp = f"t={t:>5}"
            if self.level >= LEVELS["debug"]:
                for text, is_protocol in two_voices(stamp, story, protocol, self.width):
                    self._write(text, "dim" if is_protocol else style)
            else:
                for text in wrap(f"{stamp}  {story}", self.width, " " * (len(stamp) + 2)):
                    self._write(text, style)
            return
        if self.level >= LEVELS["debug"]:
            text = f"t={t:>5}  {story:<72} │ {protocol}"
        else:
            text = f"t={t:>5}  {story}"
        self._write(text, style)

    # -- the observer interface ----------------------------------------------

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "header":  # a teacher timed the notes for the scenario's own seed
            spec, seed = event.get("spec"), event.get("seed")
            scripted = spec.get("seed") if isinstance(spec, dict) else None
            self._scripted = scripted if isinstance(scripted, int) and scripted != seed else None
        elif kind == "note" and "node" not in event and self._scripted is not None:
            text = off_seed_note(
                str(event.get("text", "")), self._scripted, self.header.get("seed")
            )
            event = dict(event, text=text)
        told = self.story.tell(event)
        if kind == "header":
            self.header = event
            self.caravans = list(event.get("caravans", []))
            self._choose_voices(event)
            if self.level >= LEVELS["info"]:
                title = f"Desert Paxos — {event.get('scenario')} (seed {event.get('seed')})"
                self._write(printable(title), "bold")
                if event.get("description"):
                    self._write(printable(str(event["description"]), lines=True), "italic")
            return
        if kind == "decide":
            self.decisions.setdefault(
                str(event.get("node")), (str(event.get("value")), int(event["t"]))
            )
        elif kind == "violation":
            self.violation = event
        elif kind == "end":
            self.end = event
        if told.level > self.level:
            return
        if kind == "send":
            if self._pending and not self._same_broadcast(self._pending[0], (event, told)):
                self.flush()
            self._pending.append((event, told))
            return
        self.flush()
        self._line(event, told.story, self._protocol_voice(event))

    @staticmethod
    def _same_broadcast(
        first: tuple[dict[str, Any], Told], then: tuple[dict[str, Any], Told]
    ) -> bool:
        (a, told_a), (b, told_b) = first, then
        return (
            a["t"] == b["t"]
            and a["src"] == b["src"]
            and a.get("msg") == b.get("msg")
            and not (told_a.alone or told_b.alone or told_b.lead)
        )

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        first, told = pending[0]
        if len(pending) == 1:
            self._line(first, told.story, self._protocol_voice(first))
            return
        dsts = [str(e["dst"]) for e, _ in pending]
        src = str(first["src"])
        everyone = sorted(dsts) == sorted(self.caravans)
        others = sorted(dsts) == sorted(c for c in self.caravans if c != src)
        merged = dict(first, dst=dsts)
        label = "all" if everyone else ("all others" if others else "{" + ",".join(dsts) + "}")
        story = self._story_voice(merged, everyone=everyone)
        if others:
            story = story.replace(join_names(dsts), "every other caravan")
        self._line(first, told.lead + story, self._protocol_voice(first, dst_label=label))

    # -- the closing summary ---------------------------------------------------

    def summary_lines(self) -> list[str]:
        self.flush()
        end = self.end or {}
        if isinstance(self.story, JourneyStory) or "nights" in end:  # a journey's end
            return self._journey_summary(end)
        lines: list[str] = []
        incomplete = end.get("complete") is False  # see trace.summarize_trace
        if incomplete:
            lines.append(incomplete_note(end))
        if self.violation is not None:
            v = self.violation
            lines.append(
                f"SAFETY VIOLATED at t={v.get('t')}: {v.get('invariant')} — {v.get('message')}"
            )
        values = sorted({value for value, _ in self.decisions.values()})
        if values:
            first_t = min(t for _, t in self.decisions.values())
            knowing = end.get("knowing")
            known = f"{len(knowing)} of {len(self.caravans)}" if isinstance(knowing, list) else "?"
            lines.append(
                f"Decision: {' and '.join(values)} at t={first_t}; "
                f"{known} caravans know it when the run ends at t={end.get('t', '?')} "
                f"({end.get('reason', '?')})."
            )
        else:
            lines.append(f"Decision: none by t={end.get('t', '?')} ({end.get('reason', '?')}).")
        dropped = end.get("dropped") or {}
        lost = sum(int(n) for n in dropped.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
        lines.append(
            f"Messages: {end.get('sent', 0)} sent, {end.get('delivered', 0)} delivered, "
            f"{lost} lost{f' ({detail})' if detail else ''}, {end.get('duplicated', 0)} duplicated."
        )
        status = "broken" if self.violation is not None else "all held"
        if incomplete and self.violation is None:
            status = "none broken in the events present; the rest of the run is unknown"
        lines.append(f"Invariants checked after every event: {', '.join(INVARIANTS)} — {status}.")
        return lines

    def _journey_summary(self, end: dict[str, Any]) -> list[str]:
        lines: list[str] = []
        if self.violation is not None:
            v = self.violation
            lines.append(
                f"SAFETY VIOLATED at t={v.get('t')}: {v.get('invariant')} — {v.get('message')}"
            )
        executed = end.get("executed") or {}
        lines.append(
            f"Journey: {end.get('nights', 0)} nights decided and executed, "
            f"{end.get('answered', 0)} requests answered, by t={end.get('t', '?')} "
            f"({end.get('reason', '?')}); nights executed per caravan on its feet: "
            + (", ".join(f"{k} {v}" for k, v in executed.items()) or "none")
            + "."
        )
        dropped = end.get("dropped") or {}
        lost = sum(int(n) for n in dropped.values())
        lines.append(
            f"Messages: {end.get('sent', 0)} sent, {end.get('delivered', 0)} delivered, "
            f"{lost} lost, {end.get('duplicated', 0)} duplicated."
        )
        status = "broken" if self.violation is not None else "all held"
        from ..check._journey import JOURNEY_INVARIANTS  # the Multi-Paxos core, for a journey only

        lines.append(
            f"Invariants checked after every event: {', '.join(JOURNEY_INVARIANTS)} — {status} "
            f"(the travellers' history: {end.get('linearizable', 'not judged')})."
        )
        return lines

    def print_summary(self, extra: list[str] | None = None) -> None:
        lines = self.summary_lines() + (extra or [])
        self._write("── summary " + "─" * 40, "bold")
        for line in lines:
            style = (
                "bold red"
                if line.startswith(("SAFETY", "Expectation not met", "INCOMPLETE"))
                else None
            )
            self._write(printable(line), style)
