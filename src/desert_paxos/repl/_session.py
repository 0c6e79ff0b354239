"""One REPL session: a scenario, a seed, a time machine and the hand-made events.

Theory of operation
-------------------
The session *is* a scenario: the one it was opened with, plus every fault or
proposal made by hand, each written as a timeline event (or proposal) at the
tick it happened. Running that scenario from scratch produces the session's
trace byte for byte, which is what ``/save`` relies on.

The simulator lays its whole script on the heap at the start and, within one
tick, runs the script before anything else. A hand-made act therefore lands at
the session clock when nothing has happened at that tick yet, and at the next
tick otherwise (the rest of the current tick is finished first); either way the
run from scratch puts it in exactly the same place. Making the act forks the
time machine onto the new scenario (keeping the recorded past, see
``TimeMachine.forked``) and steps until the act has happened. An act made after
travelling back forks the future: the known future and the hand-made events in
it are discarded, and we say so.

``clock`` is the time the learner sees: at least the simulator's time, more when
``/run T`` went past the last event. Every command answers through
:meth:`Session.execute`, which turns each mistake into one line and never lets
an error escape: the REPL never loses the session.
"""

from __future__ import annotations

import copy
import io
import json
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from .._files import OutputError, write_output
from ..narrate import (
    LEVELS,
    Narrator,
    StoryKeeper,
    off_seed_note,
    protocol_voice,
    story_voice,
)
from ..narrate._layout import GLUE, two_voices
from ..scenario import (
    BUILTIN_NAMES,
    Delay,
    Expectation,
    NetworkChange,
    Scenario,
    ScenarioError,
    TimelineEvent,
    resolve_scenario,
)
from ..scenario import Proposal as PlannedProposal
from ..scenario._load import LIMITS as SCENARIO_LIMITS
from ..scenario._load import _Validator
from ._commands import Command, ReplError, command_named, help_lines, parse_line
from ._journey import (
    chosen_nights,
    is_journey,
    journey_picture,
    journey_state_lines,
    journey_why_lines,
    leader_lines,
    log_lines,
    parse_request,
)
from ._machine import ReplayMismatch, TimeMachine, encode_event
from ._map import DesertPicture, draw_desert
from ._screen import Screen
from ._views import (
    chosen_lines,
    inflight_lines,
    riders_in_flight,
    sandstorm_groups,
    state_lines,
    why_lines,
)

__all__ = ["Injection", "Session"]

MAX_COUNT = 1_000_000  # /step, /back and /timeline take n from 1 to this
MAX_RUN_STEPS = 200_000  # one /run never takes longer than this without asking again
MAX_SPEED = 100_000  # /play's fastest speed, in ticks a second
GOTO_TELLS_EVENTS = 2_000  # a forward /goto over more events only counts them
GOTO_TELLS_LINES = 40  # ... and so does one whose telling takes more lines than this
PLAY_STORY_LINES = 8  # the latest story lines /play shows under the map
MAX_SEED = SCENARIO_LIMITS["seed"]  # /seed's largest: what a scenario file may hold


@dataclass(slots=True)
class Injection:
    """One act of the learner's hand, and the position after which it had happened."""

    item: TimelineEvent | PlannedProposal
    executed_at: int | None = None


class _Flag:
    hit = False


@contextmanager
def pause_on_ctrl_c() -> Iterator[_Flag]:
    """While moving time, Ctrl-C raises a flag checked between steps, never inside one."""
    flag = _Flag()

    def handler(signum: int, frame: Any) -> None:
        flag.hit = True

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: nothing to catch
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


class Session:
    def __init__(
        self,
        spec: str,
        scenario: Scenario,
        screen: Screen,
        *,
        seed: int | None = None,
        interactive: bool = False,
    ) -> None:
        self.screen = screen
        self.interactive = interactive
        self.level = "info"
        self.rejected = 0  # lines answered with an error (scripts and tests read it)
        self._stories = StoryKeeper()  # the story told so far, for telling the next events
        self._after_move: list[str] = []  # said once the events of a move are told
        self._open(spec, scenario, seed)

    def _open(self, spec: str, scenario: Scenario, seed: int | None) -> None:
        self.spec = spec
        self.scripted_seed = scenario.seed  # what the teacher timed the notes for
        self.base = replace(scenario, seed=scenario.seed if seed is None else seed)
        self.injections: list[Injection] = []
        self.tm = TimeMachine(self.base)
        self.clock = 0

    # -- what the session is ----------------------------------------------------

    @property
    def scenario(self) -> Scenario:
        return self._scenario_with(self.injections)

    def _scenario_with(self, injections: list[Injection]) -> Scenario:
        if not injections:
            return self.base
        timeline = self.base.timeline + tuple(
            i.item for i in injections if isinstance(i.item, TimelineEvent)
        )
        proposals = self.base.proposals + tuple(
            i.item for i in injections if isinstance(i.item, PlannedProposal)
        )
        # The scenario's expectation was about the desert as written, not as changed by hand.
        return replace(self.base, timeline=timeline, proposals=proposals, expect=Expectation())

    @property
    def names(self) -> tuple[str, ...]:
        return self.base.caravans

    def fingerprint(self) -> tuple[Any, ...]:
        """What a rejected line must leave untouched (tests compare it)."""
        tm = self.tm
        return (
            self.spec,
            self.scenario,
            self.clock,
            self.level,
            tm.position,
            tm.frontier,
            tm.seq,
            tuple(tm.lines[: tm.seq]),
        )

    # -- the loop's entry point ---------------------------------------------------

    def welcome(self) -> None:
        s = self.base
        self.screen.say(f"Desert Paxos — {s.name} (seed {s.seed})", "bold")
        if s.description:
            self.screen.say(s.description, "italic", indent="")
        self.show_map()
        self.screen.say("Time is paused at t=0. Type /help for the commands, /step to begin.")

    def execute(self, line: str) -> bool:
        """Run one input line; False once the learner wants to leave."""
        try:
            parsed = parse_line(line)
            if parsed is None:
                if not self.interactive:
                    self.screen.say(line.strip(), "dim")
                return True
            command, args, rest = parsed
            return self._dispatch(command, args, rest)
        except ReplError as exc:
            self.rejected += 1
            self.screen.error(str(exc))
            return True
        except KeyboardInterrupt:
            self._recover()
            self.screen.error(f"interrupted; the session is intact at t={self.clock}")
            return True
        except Exception as exc:  # a bug: say so, and keep the session
            self._recover()
            self.screen.error(
                f"internal error ({type(exc).__name__}: {exc}); this is a bug — the session "
                f"is intact at t={self.clock}"
            )
            return True

    def _recover(self) -> None:
        """Rebuild the simulation from a snapshot, in case the error struck mid-step."""
        try:
            self.tm.repair()
            self.clock = max(self.clock, self.tm.now)
        except Exception:
            self.tm = TimeMachine(self.scenario)
            self.clock = 0

    def _dispatch(self, command: Command, args: list[str], rest: str) -> bool:
        match command.name:
            case "help":
                self._help(args)
            case "step":
                n = _count(args, 1, command)
                self._move(lambda flag: self._steps(n, flag))
            case "run":
                self._run(args, command)
            case "play":
                self._play(args, command)
            case "back":
                n = _count(args, 1, command)
                self._back(n)
            case "goto":
                self._goto(args, command)
            case "map":
                _no_args(args, command)
                self.show_map()
            case "state" if is_journey(self.tm):
                name = self._caravan_arg(args, command, optional=True)
                for text in journey_state_lines(self.tm, name, self.screen.width):
                    self.screen.say(text, indent=" " * 12)
            case "why" if is_journey(self.tm):
                self._journey_why(self._caravan_arg(args, command, optional=True))
            case "state":
                name = self._caravan_arg(args, command, optional=True)
                for text in state_lines(self.tm, name, self.screen.width):
                    self.screen.say(text, indent=" " * 12)
            case "inflight":
                _no_args(args, command)
                for text in inflight_lines(self.tm, self.clock):
                    self.screen.say(text)
            case "timeline":
                self._timeline(_count(args, 20, command))
            case "why":
                self._why(self._caravan_arg(args, command, optional=True))
            case "crash" | "recover":
                self._crash_or_recover(command, args)
            case "sandstorm":
                self._sandstorm(rest, command)
            case "calm":
                _no_args(args, command)
                if self.tm.sim.groups is None:
                    raise ReplError("there is no sandstorm to calm (see /map)")
                self._inject("the sandstorm calms", lambda at: TimelineEvent(at=at, kind="calm"))
            case "drop":
                self._drop(args, command)
            case "propose":
                self._propose(args, rest, command)
            case "leader" | "request":
                self._journey_command(command, args)
            case "log" if is_journey(self.tm) and args and args[0].lower() not in LEVELS:
                self._journey_command(command, args)  # a caravan's nights (repl._journey)
            case "loss":
                self._loss(args, command)
            case "delay":
                self._delay(args, command)
            case "log":
                self._log(args, command)
            case "seed":
                self._seed(args, command)
            case "save":
                self._save(rest, command)
            case "load":
                self._load(rest, command)
            case "export":
                self._export(args, rest, command)
            case "quit":
                return False
        return True

    # -- help ---------------------------------------------------------------------

    def _help(self, args: list[str]) -> None:
        if not args:
            for text in help_lines():
                self.screen.say(text)
            return
        if len(args) > 1:
            raise ReplError("/help takes one command name or words, e.g. /help crash")
        if args[0].lower() == "words":
            self._words()
            return
        command = command_named(args[0])
        if command is None:
            raise ReplError(f"no command {args[0]!r} to explain; /help lists them all")
        self.screen.say(f"{command.synopsis} — {command.summary}", "bold")
        self.screen.say(f"  e.g. {command.example}")

    def _words(self) -> None:
        """The glossary: the words every view uses, and the Paxos terms behind them."""
        from ..narrate import glossary_lines

        self.screen.say("The story's words and the Paxos terms they stand for:", "bold")
        for entry in glossary_lines():
            self.screen.say(f"  {entry}", indent="      ")

    # -- moving through time ---------------------------------------------------------

    def _move(self, mover: Callable[[_Flag], None]) -> None:
        """Move forward, tell what happened, and stop loudly at a safety violation."""
        tm = self.tm
        first_seq = tm.seq
        was_violated = tm.sim.violation is not None
        with pause_on_ctrl_c() as flag:
            mover(flag)
            paused = flag.hit
        self.tell(first_seq, tm.seq)
        for note in self._after_move:
            self.screen.say(note, "yellow")
        self._after_move.clear()
        if paused:
            self.screen.say(f"Paused at t={self.clock} (Ctrl-C).", "yellow")
        if tm.sim.violation is not None and not was_violated:
            self.report_violation()
        self.status()

    def _steps(self, n: int, flag: _Flag) -> None:
        tm = self.tm
        if tm.ended:
            self._say_over()
            return
        taken = 0
        while taken < n and not flag.hit and tm.step():
            taken += 1
            if tm.ended:
                break
        self.clock = max(self.clock, tm.now)

    def _say_over(self) -> None:
        reason = self.tm.sim.end_reason
        why = {
            "quiet": "the desert is quiet: nothing more happens unless you act "
            "(/crash, /recover, /propose ...)",
            "until": f"the scenario stops at t={self.tm.sim.until}",
            "violation": "a safety invariant broke; /back to look before it",
            "exhausted": "nothing is left to happen",
        }.get(str(reason), str(reason))
        self.screen.say(f"The run is over: {why}.", "yellow")

    def _run(self, args: list[str], command: Command) -> None:
        tm = self.tm
        if len(args) > 1:
            raise ReplError(f"/run takes at most one time; usage: {command.synopsis}")
        if not args:
            if tm.ended:
                self._say_over()
                return
            target = tm.sim.until
        else:
            target = self._tick_arg(args[0], command)
            if target < self.clock:
                raise ReplError(
                    f"t={target} is in the past (now t={self.clock}); /goto {target} travels back"
                )
            target = self._past_the_end(target, command)

        def mover(flag: _Flag) -> None:
            taken = tm.run_until(target, should_stop=lambda: flag.hit, max_steps=MAX_RUN_STEPS)
            if flag.hit or (taken >= MAX_RUN_STEPS and not tm.ended):
                self.clock = tm.now
                if not flag.hit:
                    self._after_move.append(f"Paused after {taken} steps; /run again to go on.")
                return
            if args:
                self.clock = max(tm.now, min(target, tm.sim.until))
            else:
                self.clock = tm.now

        self._move(mover)

    def _play(self, args: list[str], command: Command) -> None:
        if len(args) > 1:
            raise ReplError(f"usage: {command.synopsis}")
        speed = (
            _int(args[0], "speed", command, 1, MAX_SPEED, unit=" ticks a second") if args else 40
        )
        if self.tm.ended:
            self._say_over()
            return
        if not self.interactive:
            self.screen.say("(not a terminal: playing without animation)", "dim")
            self._run([], command)
            self.show_map()
            return
        self._animate(speed)

    def _animate(self, speed: int) -> None:
        """The map redrawn in place as time runs, the latest story lines under it."""
        import time
        from collections import deque

        from rich.console import Group
        from rich.live import Live
        from rich.text import Text

        tm = self.tm
        first_seq = tm.seq
        ticks_per_frame = max(1, speed // 10)
        story = io.StringIO()
        narrator = self.narrator(first_seq, story, colour=False)  # plain: the map has the colour
        latest: deque[str] = deque(maxlen=PLAY_STORY_LINES)

        def frame() -> Any:
            return Group(self.picture().to_rich(), Text("\n".join(latest)))

        console = self.screen.console()
        with (
            pause_on_ctrl_c() as flag,
            Live(frame(), console=console, refresh_per_second=20) as live,
        ):
            while not flag.hit and not tm.ended and tm.sim.violation is None:
                target = min(self.clock + ticks_per_frame, tm.sim.until)
                seq = tm.seq
                taken = tm.run_until(target, should_stop=lambda: flag.hit, max_steps=MAX_RUN_STEPS)
                stopped = flag.hit or tm.ended or taken >= MAX_RUN_STEPS
                self.clock = tm.now if stopped else max(tm.now, target)
                if LEVELS[self.level]:
                    start = story.tell()
                    for line in tm.lines_between(seq, tm.seq):
                        narrator(json.loads(line))
                    narrator.flush()
                    latest.extend(story.getvalue()[start:].splitlines())
                live.update(frame())
                time.sleep(0.1)  # presentation pace only; the desert's time is the tick count
        if LEVELS[self.level]:
            self.told(tm.seq)
        n = self._visible(first_seq, tm.seq)
        self.screen.say(f"{n} events happened; /timeline{GLUE}{max(1, n)} shows them.", "dim")
        if flag.hit:
            self.screen.say(f"Paused at t={self.clock} (Ctrl-C).", "yellow")
        if tm.sim.violation is not None:
            self.report_violation()
        self.status()

    def _back(self, n: int) -> None:
        tm = self.tm
        if tm.position == 0:
            raise ReplError("already at the very beginning (t=0)")
        target = max(0, tm.position - n)
        tm.goto(target)
        self.clock = tm.now
        self.screen.say(
            f"Back {n if target else 'to the start'}: t={self.clock}, step {target}. "
            "Going forward again replays the same events.",
            "cyan",
        )
        self.show_map()

    def _goto(self, args: list[str], command: Command) -> None:
        if len(args) != 1:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        tm = self.tm
        target = self._past_the_end(self._tick_arg(args[0], command), command)
        first_seq = tm.seq
        first_position = tm.position
        forward = target >= self.clock
        with pause_on_ctrl_c() as flag:  # going forward runs live: bounded, and Ctrl-C pauses
            arrived = tm.goto_time(target, should_stop=lambda: flag.hit, max_steps=MAX_RUN_STEPS)
        if arrived and tm.sim.violation is None:
            self.clock = max(tm.now, target)
        else:
            self.clock = tm.now
        if forward and tm.position == first_position:
            self.screen.say(f"Already at t={self.clock}.", "cyan")
        elif forward:
            self._tell_passed(first_seq, tm.seq)
        else:
            self.screen.say(f"Back to t={self.clock} (step {tm.position}).", "cyan")
        if not arrived:
            taken = tm.position - first_position
            self.screen.say(
                f"Paused at t={self.clock} (Ctrl-C)."
                if flag.hit
                else f"Paused after {taken:,} steps at t={self.clock}; /goto{GLUE}{target} again "
                "to go on.",
                "yellow",
            )
        if forward and tm.sim.violation is not None:
            self.report_violation()
        self.show_map()

    def _tell_passed(self, first_seq: int, last_seq: int) -> None:
        """What a forward /goto passed over: told at the log level, or counted when too many.

        The count is what ``/timeline N`` counts, so ``/timeline N`` shows them all.
        """
        lines = self.tm.lines_between(first_seq, last_seq)
        n = self._visible(first_seq, last_seq)
        head = f"Forward to t={self.clock}: {n:,} event{'s' if n != 1 else ''} happened"
        show = (
            f"/timeline{GLUE}{min(n, MAX_COUNT)} shows {'them' if n <= MAX_COUNT else 'the last'}"
        )
        if n == 0:
            self.screen.say(f"Forward to t={self.clock}: nothing happened on the way.", "cyan")
            return
        if LEVELS[self.level] == 0:
            self.screen.say(f"{head}; {show}.", "cyan")
            return
        if len(lines) <= GOTO_TELLS_EVENTS:
            told = io.StringIO()
            self.tell(first_seq, last_seq, told, colour=False, rehearsal=True)
            if told.getvalue().count("\n") <= GOTO_TELLS_LINES:
                self.screen.say(f"{head}:", "cyan")
                self.tell(first_seq, last_seq)
                return
        self.screen.say(f"{head}, too many to tell here; {show}.", "cyan")

    # -- looking ------------------------------------------------------------------

    def picture(self) -> DesertPicture:
        tm = self.tm
        sim = tm.sim
        riders = riders_in_flight(tm)
        groups = sandstorm_groups(tm)
        if is_journey(tm):  # a journey's caravans keep logs, not one campsite (repl._journey)
            title = f"{self.base.name} · seed {self.base.seed} · t={self.clock}"
            return journey_picture(tm, title, [self.status_text()], self.screen.width)
        status = [self.status_text(), *chosen_lines(tm)]
        if groups:
            status.append("Sandstorm: " + " | ".join(", ".join(g) for g in groups))
        return draw_desert(
            caravans=sim.caravans,
            logbooks=sim.disk,
            riders=riders,
            groups=groups,
            now=self.clock,
            title=f"{self.base.name} · seed {self.base.seed} · t={self.clock}",
            status=status,
            width=self.screen.width,
        )

    def show_map(self) -> None:
        self.screen.show(self.picture())

    def status_text(self) -> str:
        tm = self.tm
        riders = len(riders_in_flight(tm))
        known = f" of {tm.frontier} known" if tm.frontier > tm.position else ""
        over = f" · over ({tm.sim.end_reason})" if tm.ended else ""
        return (
            f"t={self.clock} · step {tm.position}{known} · "
            f"{riders} rider{'s' if riders != 1 else ''} on the sand{over}"
        )

    def status(self) -> None:
        self.screen.say(self.status_text(), "dim")

    def _visible(self, first_seq: int, last_seq: int) -> int:
        """How many of these events /timeline shows (it hides timer bookkeeping below trace)."""
        hidden = () if self.level == "trace" else ('"kind": "timer_set"', '"kind": "timer_cancel"')
        return self.tm.count_between(first_seq, last_seq, hidden)

    def tell(
        self,
        first_seq: int,
        last_seq: int,
        stream: IO[str] | None = None,
        colour: bool | None = None,
        *,
        rehearsal: bool = False,
    ) -> None:
        """Narrate the recorded events ``first_seq < seq <= last_seq`` at the log level.

        On the screen, or on ``stream``; a ``rehearsal`` (a /goto counting the
        lines it would tell) leaves the kept story where it was.
        """
        if LEVELS[self.level] == 0:
            return
        narrator = self.narrator(first_seq, stream, colour, rehearsal=rehearsal)
        changed_from = min((i.item.at for i in self.injections), default=None)
        for line in self.tm.lines_between(first_seq, last_seq):
            event = json.loads(line)
            if changed_from is not None and _scripted_note_after(event, changed_from):
                # A teacher wrote the note for the day as scripted; the learner changed it.
                event["text"] = (
                    f"(written for the day as scripted, before your changes) {event['text']}"
                )
            elif _scripted_note_after(event, 0) and self.base.seed != self.scripted_seed:
                event["text"] = off_seed_note(event["text"], self.scripted_seed, self.base.seed)
            narrator(event)
        narrator.flush()
        if not rehearsal:
            self.told(last_seq)

    def narrator(
        self,
        first_seq: int,
        stream: IO[str] | None = None,
        colour: bool | None = None,
        *,
        rehearsal: bool = False,
    ) -> Narrator:
        """The narrator every command tells events from ``first_seq`` on with.

        Its story has read every event before ``first_seq`` (a StoryKeeper reads
        only what it has not read yet), so each event is told in context: the
        majority that formed, the late answer, the moment a campsite is chosen.
        A ``rehearsal`` tells a copy, leaving the kept story where it was.
        """
        narrator = self.screen.narrator(self.level, stream, colour)
        narrator.caravans = list(self.names)
        story = self._stories.story_at(self.tm.header, self.tm.lines, first_seq)
        narrator.story = copy.deepcopy(story) if rehearsal else story
        return narrator

    def told(self, last_seq: int) -> None:
        """The kept story has now read every event up to ``last_seq``."""
        self._stories.moved(self.tm.lines, last_seq)

    def _timeline(self, n: int) -> None:
        tm = self.tm
        hide = () if self.level == "trace" else ("timer_set", "timer_cancel")
        events = []
        for line in reversed(tm.lines[: tm.seq]):
            event = json.loads(line)
            if event["kind"] in hide:
                continue
            events.append(event)
            if len(events) >= n:
                break
        if not events:
            self.screen.say("Nothing has happened yet: /step lets the first event happen.")
            return
        width = self.screen.width
        for event in reversed(events):
            stamp = f"t={event['t']:>5}"
            for text, protocol in two_voices(
                stamp, story_voice(event), protocol_voice(event), width
            ):
                self.screen.whole(text, "dim" if protocol else None)

    def _journey_why(self, name: str | None) -> None:
        width = self.screen.width
        if name is not None:
            for text in journey_why_lines(self.tm, name, width):
                self.screen.whole(text)
            return
        chosen = chosen_nights(self.tm)
        self.screen.say(
            f"Chosen nights (a majority voted one command): {', '.join(map(str, chosen))}."
            if chosen
            else "No night is chosen yet: no majority has written a vote for one command.",
            "bold",
        )
        for caravan in self.names:
            self.screen.say(f"{caravan}:", "bold")
            for text in journey_why_lines(self.tm, caravan, width):
                self.screen.whole(f"  {text}")

    def _why(self, name: str | None) -> None:
        if name is not None:
            for text in why_lines(self.tm, name):
                self.screen.say(text)
            return
        chosen = chosen_lines(self.tm)
        for text in chosen or [
            "No campsite is chosen yet: no majority has written a vote for one."
        ]:
            self.screen.say(text, "bold")
        self.screen.say("Caravan by caravan:", "bold")
        for caravan in self.names:
            self.screen.say(f"{caravan}:", "bold")
            for text in why_lines(self.tm, caravan):
                self.screen.say(f"  {text}")

    def report_violation(self) -> None:
        v = self.tm.sim.violation
        if v is None:
            return
        s = self.screen
        s.say(f"!!! SAFETY VIOLATED at t={v.t}: {v.invariant} — {v.rule}", "bold white on red")
        s.say(f"!!! {v.message}", "bold red")
        journey = is_journey(self.tm)
        variant = self.tm.sim.protocol_config.variant if journey else self.tm.sim.config.variant
        if variant.name != "paxos":
            s.say(f"This desert runs the broken variant {variant.name!r}: {variant.lesson}")
        mentioned = [(v.message.find(n), n) for n in self.names if n in v.message]
        culprit = min(mentioned)[1] if mentioned else None
        if culprit is not None:
            s.say(f"Why is {culprit} there?", "bold")
            if journey:
                for text in journey_why_lines(self.tm, culprit, s.width):
                    s.whole(f"  {text}")
            else:
                for text in why_lines(self.tm, culprit):
                    s.say(f"  {text}")
        s.say("Reproduce it with:", "bold")
        s.whole(f"  {self.reproduce_command()}")
        s.say("The run is paused here: /timeline shows how it came to this, /back goes before it.")

    def reproduce_command(self) -> str:
        from ..cli._common import reproduce_command

        if not self.injections:
            return reproduce_command(self.spec, self.base.seed, None, "--log-level debug")
        return "/save session.json, then: desert-paxos run session.json --log-level debug"

    # -- changing the desert by hand --------------------------------------------------

    def act_time(self) -> int:
        """The tick a hand-made act lands on (see the module docstring)."""
        return self.clock if self.clock > self.tm.last_event_time() else self.clock + 1

    def _inject(self, what: str, make: Callable[[int], TimelineEvent | PlannedProposal]) -> None:
        tm = self.tm
        if tm.sim.violation is not None:
            raise ReplError(
                f"the run stopped at a safety violation (t={tm.sim.violation.t}); "
                "/back before it to change the desert"
            )
        # A saved session must load again: it holds no more than a scenario file may.
        field, noun = (
            ("proposals", "proposals")
            if isinstance(make(0), PlannedProposal)
            else ("timeline", "desert events")
        )
        held, limit = len(getattr(self.scenario, field)), SCENARIO_LIMITS[field]
        if held >= limit:
            raise ReplError(
                f"this desert already holds {held:,} {noun}, the most a scenario may hold; "
                "/save it, or /seed N to start over"
            )
        at = self.act_time()
        if at > tm.sim.until:
            raise ReplError(
                f"the scenario stops at t={tm.sim.until}; there is no t={at} to act in "
                "(/back to an earlier time first)"
            )
        position = tm.position
        kept = [
            i for i in self.injections if i.executed_at is not None and i.executed_at <= position
        ]
        discarded_steps = tm.frontier - position
        discarded_acts = len(self.injections) - len(kept)
        old_frontier_t = tm.t_after[tm.frontier]
        item = make(at)
        injections = [*kept, Injection(item)]
        scenario = self._scenario_with(injections)
        rank = _script_rank(scenario, item)
        # The past up to here is shared, except a run's closing step, which the act reopens.
        shared = position - 1 if tm.ended else position
        try:
            new_tm = tm.forked(scenario, shared)
        except ReplayMismatch:  # never seen; rebuilding from t=0 is always right
            new_tm = TimeMachine(scenario)
            new_tm.goto(shared)

        def done() -> bool:
            sim = new_tm.sim
            return len(sim.script) - sim.script_pending > rank

        first_seq = new_tm.seq
        first_position = new_tm.position
        with pause_on_ctrl_c():  # the act is applied whole or not at all
            while not done() and new_tm.step():
                pass
        injections[-1].executed_at = new_tm.position if done() else None
        self.tm = new_tm
        self.injections = injections
        self.clock = max(new_tm.now, at) if done() else new_tm.now
        before = new_tm.position - first_position - 1
        if before > 0:
            self.screen.say(
                f"At t={at}: {what} (first, {before} step{'s' if before != 1 else ''} still "
                f"due before it happens).",
                "bold cyan",
            )
        else:
            self.screen.say(f"At t={at}: {what}.", "bold cyan")
        if not done():
            self.screen.say(
                f"A safety violation stopped the run before t={at}: your act never happened.",
                "yellow",
            )
        if discarded_steps > 0:
            acts = (
                f", with {discarded_acts} hand-made event{'s' if discarded_acts != 1 else ''}"
                if discarded_acts
                else ""
            )
            self.screen.say(
                f"The old future was discarded ({discarded_steps} step"
                f"{'s' if discarded_steps != 1 else ''} up to t={old_frontier_t}"
                f"{acts}): from here the desert takes a new course.",
                "yellow",
            )
        self.tell(first_seq, new_tm.seq)
        if new_tm.sim.violation is not None:
            self.report_violation()
        self.status()

    def _crash_or_recover(self, command: Command, args: list[str]) -> None:
        if len(args) != 1:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        name = self._caravan(args[0])
        alive = self.tm.sim.caravans.get(name) is not None
        if command.name == "crash":
            if not alive:
                raise ReplError(f"{name} has already collapsed; /recover {name} brings it back")
            self._inject(
                f"{name} collapses", lambda at: TimelineEvent(at=at, kind="crash", caravan=name)
            )
        else:
            if alive:
                raise ReplError(f"{name} is on its feet; only a collapsed caravan can recover")
            self._inject(
                f"{name} gets back on its feet",
                lambda at: TimelineEvent(at=at, kind="recover", caravan=name),
            )

    def _sandstorm(self, rest: str, command: Command) -> None:
        if not rest:
            raise ReplError(f"say who is separated from whom, e.g. {command.example}")
        groups: list[tuple[str, ...]] = []
        seen: set[str] = set()
        for part in rest.split("|"):
            words = part.replace(",", " ").split()
            if not words:
                raise ReplError(f"an empty group in {rest!r}; e.g. {command.example}")
            group: list[str] = []
            for word in words:
                name = self._caravan(word)
                if name in seen:
                    raise ReplError(f"{name} is named twice; each caravan stands in one group")
                seen.add(name)
                group.append(name)
            groups.append(tuple(group))
        if len(groups) == 1 and len(seen) == len(self.names):
            raise ReplError("everyone is in one group: that storm separates nobody")
        shown = " | ".join(", ".join(g) for g in groups)
        self._inject(
            f"a sandstorm rises: {shown}",
            lambda at: TimelineEvent(at=at, kind="sandstorm", groups=tuple(groups)),
        )

    def _drop(self, args: list[str], command: Command) -> None:
        if len(args) != 1:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example} (ids in /inflight)")
        riders = {r.msg_id: r for r in riders_in_flight(self.tm)}
        msg_id = _parse_int(args[0].removeprefix("#"))
        if msg_id is None or msg_id < 1:
            listing = ", ".join(f"#{i}" for i in sorted(riders)[:8]) or "none"
            raise ReplError(
                f"a rider's id is a whole number from 1 up, got {_shown(args[0])} "
                f"(on the sand: {listing}; see /inflight)"
            )
        rider = riders.get(msg_id)
        if rider is None:
            listing = ", ".join(f"#{i}" for i in sorted(riders)[:8]) or "none"
            raise ReplError(
                f"no rider #{msg_id} is on the sand (in flight: {listing}; see /inflight)"
            )
        at = self.act_time()
        if rider.arrive < at:
            raise ReplError(
                f"rider #{msg_id} arrives at t={rider.arrive}, before your hand can reach it at t={at}"
            )
        self._inject(
            f"rider #{msg_id} ({rider.src} → {rider.dst}) is taken off the sand",
            lambda at: TimelineEvent(at=at, kind="drop", rider=msg_id),
        )

    def _journey_command(self, command: Command, args: list[str]) -> None:
        """/log, /leader and /request: the long journey's own commands (repl._journey)."""
        if not is_journey(self.tm):
            raise ReplError(
                f"/{command.name} is for a journey (Multi-Paxos): /load calm-journey, for one"
            )
        if command.name == "log":
            if len(args) != 1:
                raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
            for text in log_lines(self.tm, self._caravan(args[0])):
                self.screen.say(text)
            return
        if command.name == "leader":
            _no_args(args, command)
            for text in leader_lines(self.tm):
                self.screen.say(text)
            return
        asked = parse_request(args)
        if isinstance(asked, str):
            raise ReplError(f"{asked} (usage: {command.synopsis}, e.g. {command.example})")
        travellers = self.tm.sim.nodes[len(self.names) :]
        if asked[0] not in travellers:
            raise ReplError(
                f"unknown traveller {asked[0][:30]!r} (travellers: {', '.join(travellers)})"
            )
        words = " ".join(args[1:])
        self._inject(
            f"{asked[0]} asks to {words}",
            lambda at: TimelineEvent(at=at, kind="request", request=asked),
        )

    def _propose(self, args: list[str], rest: str, command: Command) -> None:
        if len(args) < 2:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        name = self._caravan(args[0])
        campsite = rest[len(args[0]) :].strip()
        rule = _Validator()  # the scenario's own rule, so that /save writes a file that loads
        if rule.name(campsite, "CAMPSITE") is None:
            raise ReplError(f"{rule.problems[0]}; e.g. {command.example}")
        if self.tm.sim.caravans.get(name) is None:
            raise ReplError(f"{name} has collapsed and cannot propose; /recover {name} first")
        self._inject(
            f"{name} wishes to camp at {campsite}",
            lambda at: PlannedProposal(at=at, caravan=name, campsite=campsite),
        )

    def _loss(self, args: list[str], command: Command) -> None:
        if len(args) != 1:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        loss = _probability(args[0], command)
        self._inject(
            f"from now on {loss:.0%} of riders are lost",
            lambda at: TimelineEvent(at=at, kind="network", network=NetworkChange(loss=loss)),
        )

    def _delay(self, args: list[str], command: Command) -> None:
        if len(args) != 2:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        until = self.tm.sim.until  # a rider slower than the whole day never arrives
        low = _int(args[0], "MIN", command, 0, until, unit=" (the scenario's end)")
        high = _int(args[1], "MAX", command, 0, until, unit=" (the scenario's end)")
        if low > high:
            raise ReplError(f"MIN {low} is greater than MAX {high}; e.g. {command.example}")
        delay = Delay(kind="uniform", low=low, high=high)
        self._inject(
            f"from now on riders take {low} to {high} ticks",
            lambda at: TimelineEvent(at=at, kind="network", network=NetworkChange(delay=delay)),
        )

    # -- the session ----------------------------------------------------------------

    def _log(self, args: list[str], command: Command) -> None:
        if len(args) != 1 or args[0].lower() not in LEVELS:
            raise ReplError(f"usage: /log LEVEL with LEVEL one of {', '.join(LEVELS)}")
        self.level = args[0].lower()
        self.screen.say(f"Telling events at level {self.level}.")

    def _seed(self, args: list[str], command: Command) -> None:
        if len(args) != 1:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        seed = _int(args[0], "seed", command, 0, MAX_SEED)
        cleared = len(self.injections)
        scripted = self.scripted_seed
        self._open(self.spec, self.base, seed)
        self.scripted_seed = scripted
        note = f" ({cleared} hand-made events cleared)" if cleared else ""
        self.screen.say(f"Starting over at t=0 with seed {seed}{note}.", "cyan")
        self.show_map()

    def _save(self, rest: str, command: Command) -> None:
        if not rest:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        path = Path(rest).expanduser()
        replaced = self._write(path, self.saved_text(), "the session")
        acts = len(self.injections)
        what = f"{acts} hand-made event{'s' if acts != 1 else ''}, seed {self.base.seed}"
        done = (
            f"Replaced {path} (it existed) with the session: {what}."
            if replaced
            else f"Saved to {path} ({what})."
        )
        self.screen.say(f"{done} Replay it: `desert-paxos run {path}`")

    def _load(self, rest: str, command: Command) -> None:
        if not rest:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        try:
            scenario = resolve_scenario(rest)
        except ScenarioError as exc:
            problems = exc.problems
            first = f"{problems[0]}" if problems else "cannot load it"
            others = len(problems) - 1
            more = f" (and {others} more problem{'s' if others != 1 else ''})" if others else ""
            raise ReplError(f"{rest}: {first}{more}") from None
        self._open(rest, scenario, None)
        self.welcome()

    def _export(self, args: list[str], rest: str, command: Command) -> None:
        if len(args) < 2 or args[0].lower() != "trace":
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        path = Path(rest[len(args[0]) :].strip()).expanduser()
        tm = self.tm
        replaced = self._write(path, self.trace_text(), "the trace")
        done = (
            f"Replaced {path} (it existed) with {tm.seq} events"
            if replaced
            else f"Wrote {tm.seq} events to {path}"
        )
        self.screen.say(f"{done}; `desert-paxos replay {path}` tells them.")

    def saved_text(self) -> str:
        """The session as a scenario file: what /save writes (and serve's Save downloads)."""
        return json.dumps(self.scenario.to_json(), indent=2, ensure_ascii=False) + "\n"

    def trace_text(self) -> str:
        """The session's trace up to now: what /export trace writes (and serve's Export)."""
        tm = self.tm
        return "\n".join([encode_event(tm.header), *tm.lines[: tm.seq]]) + "\n"

    def _write(self, path: Path, text: str, what: str) -> bool:
        """Write atomically; True when a file was replaced. Never over the loaded scenario."""
        loaded = () if self.spec in BUILTIN_NAMES else (("loaded scenario", self.spec),)
        try:
            return write_output(path, text, what=what, inputs=loaded)
        except OutputError as exc:
            raise ReplError(str(exc)) from None

    # -- arguments --------------------------------------------------------------------

    def _caravan(self, word: str) -> str:
        for name in self.names:
            if name.lower() == word.lower():
                return name
        prefixed = [n for n in self.names if n.lower().startswith(word.lower())]
        if len(prefixed) == 1 and len(word) >= 2:
            return prefixed[0]
        import difflib

        close = difflib.get_close_matches(word, self.names, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]}? " if close else ""
        shown = word if len(word) <= 30 else word[:29] + "…"
        raise ReplError(f"unknown caravan {shown!r}: {hint}(caravans: {', '.join(self.names)})")

    def _caravan_arg(self, args: list[str], command: Command, optional: bool) -> str | None:
        if not args and optional:
            return None
        if len(args) != 1:
            raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
        return self._caravan(args[0])

    def _tick_arg(self, text: str, command: Command) -> int:
        """Tick T, or +dt (and, for /goto, -dt) ticks from now; it may lie past the end."""
        until = self.tm.sim.until
        sign = text[:1] if text[:1] in "+-" else ""
        value = _parse_int(text[1:] if sign else text)
        back = command.name == "goto"
        if value is None or value < 0:
            raise ReplError(
                f"/{command.name} takes a tick from 0 to {until:,} (the scenario's end) like "
                f"120, or +dt ticks from now{', or -dt ticks back' if back else ''}; "
                f"got {_shown(text)}"
            )
        if sign == "-":
            if not back:
                raise ReplError(
                    f"/run only goes forward (now t={self.clock}); /goto T or /back n travel back"
                )
            if value > self.clock:
                raise ReplError(
                    f"ticks start at 0: t={self.clock} minus {value} is before the start "
                    "(/goto 0 goes to the very beginning)"
                )
            return self.clock - value
        return self.clock + value if sign else value

    def _past_the_end(self, target: int, command: Command) -> int:
        """``target``, or the scenario's end (said in one line) when it lies beyond it."""
        until = self.tm.sim.until
        if target <= until:
            return target
        self.screen.say(
            f"t={target} is past the end: the scenario stops at t={until}, "
            f"so /{command.name} goes no further.",
            "dim",
        )
        return until


# -- small helpers ------------------------------------------------------------------------


def _scripted_note_after(event: dict[str, Any], changed_from: int) -> bool:
    """A teacher's note (no ``node``) told at or after the first hand-made change."""
    return event.get("kind") == "note" and "node" not in event and event["t"] >= changed_from


def _script_rank(scenario: Scenario, item: TimelineEvent | PlannedProposal) -> int:
    """Where ``item`` (the last of its kind) stands in the simulator's script order."""
    timeline, proposals = scenario.timeline, scenario.proposals
    keys = [(e.at, i) for i, e in enumerate(timeline)]
    keys += [(p.at, len(timeline) + i) for i, p in enumerate(proposals)]
    if isinstance(item, TimelineEvent):
        mine = (item.at, len(timeline) - 1)
    else:
        mine = (item.at, len(timeline) + len(proposals) - 1)
    return sorted(keys).index(mine)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:29] + "…")


def _parse_int(text: str) -> int | None:
    """A whole number written in ASCII digits, with an optional sign; None otherwise."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        return None
    return int(text)  # at most MAX_LINE digits, far below Python's own limit


def _int(text: str, what: str, command: Command, minimum: int, maximum: int, unit: str = "") -> int:
    """``text`` as a whole number in [minimum, maximum], or one line that says the range."""
    value = _parse_int(text)
    if value is None or not minimum <= value <= maximum:
        got = str(value) if value is not None else _shown(text)
        raise ReplError(
            f"{what} must be a whole number from {minimum:,} to {maximum:,}{unit}, got {got}; "
            f"e.g. {command.example}"
        )
    return value


def _count(args: list[str], default: int, command: Command) -> int:
    if not args:
        return default
    if len(args) > 1:
        raise ReplError(f"usage: {command.synopsis}, e.g. {command.example}")
    return _int(args[0], "n", command, minimum=1, maximum=MAX_COUNT)


def _no_args(args: list[str], command: Command) -> None:
    if args:
        raise ReplError(f"/{command.name} takes no arguments; e.g. {command.example}")


def _probability(text: str, command: Command) -> float:
    percent = text.endswith("%")
    body = text[:-1] if percent else text
    try:
        value = float(body) if body.isascii() else float("nan")
    except ValueError:
        value = float("nan")
    if percent:
        value /= 100
    if not 0.0 <= value <= 1.0:  # also rejects nan
        raise ReplError(f"P must be between 0 and 1 (or 0% to 100%), got {_shown(text)}")
    return value + 0.0  # -0 is 0 (told as 0%, not -0%)
