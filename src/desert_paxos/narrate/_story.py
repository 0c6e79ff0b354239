"""The story in context: each event told with the rule at work when it acts.

Theory of operation
-------------------
:func:`~desert_paxos.narrate.story_voice` tells one event on its own. A
:class:`Story` reads the events of one run in order and remembers what the
trace has said so far (who promised which banner to whom, which votes a
proposer has counted, which refusals it heard, what each logbook holds, when a
campsite was chosen), so it can tell *why* as things happen:

* the moment a proposer has a majority of promises or of votes, naming its
  members and the size ("promises from Aghilas, Tassadit and Taziri: 3 of 5,
  a majority");
* who reported the vote a proposer must carry forward;
* an answer that arrives after its majority (a late promise, a vote for a banner
  given up), with the reason ignoring it is safe;
* each retry, once, with its cause (who did not answer by when, or which higher
  banner the refusals follow), the random wait and the new banner;
* the inquiry of a caravan without news, and the answer;
* a second copy of a rider;
* a collapse and a recovery, with what the logbook keeps in this variant;
* the moment a campsite is *chosen* (the ``chosen`` event) and, for each
  caravan that learns it, how long after.

It reads trace events only, so a live run, a replayed trace, the REPL and the
explorer's counterexamples are told alike. Internal timer names never reach
the story; the protocol voice keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._untrusted import printable
from ..protocol import LEARN_TIMER, PROPOSER_TIMER, VARIANTS
from ._voices import _CARRIES, LEVELS, event_level, fmt_ballot, join_names, story_voice

__all__ = ["Story", "StoryKeeper", "Told", "quorum_size_text"]

_INFO, _DEBUG = LEVELS["info"], LEVELS["debug"]

Ballot = tuple[int, str]


def _ballot(value: object) -> Ballot | None:
    if isinstance(value, list) and len(value) == 2:
        return (int(value[0]), str(value[1]))
    return None


def _banner(ballot: Ballot | None) -> str:
    return f"banner {fmt_ballot(list(ballot))}" if ballot is not None else "no banner"


def quorum_size_text(count: int, size: int, quorum: int) -> str:
    """``3 of 5, a majority``: how many answered, of how many, and what that quorum is."""
    majority = size // 2 + 1
    if quorum == majority:
        kind = "a majority"
    elif quorum > majority:
        kind = f"the {quorum} this desert asks for"
    else:
        kind = f"a quorum of {quorum}, smaller than a majority"
    return f"{count} of {size}, {kind}"


@dataclass(frozen=True, slots=True)
class Told:
    """How one event is told: the lowest ``level`` that shows it and its ``story``.

    For a send, ``lead`` is a sentence told before it (a retry's cause, why a
    caravan inquires), and ``alone`` says it must not merge into a broadcast.
    """

    level: int
    story: str
    lead: str = ""
    alone: bool = False


@dataclass(slots=True)
class _Lead:
    """One caravan as a proposer, as far as the trace has shown it."""

    phase: str = "idle"  # idle, preparing, accepting, backing-off, done
    ballot: Ballot | None = None
    wish: str | None = None
    value: str | None = None
    promises: dict[str, Any] = field(default_factory=dict)  # who -> reported vote, in order
    majority: list[str] = field(default_factory=list)  # the phase-1 quorum, in order
    votes: list[str] = field(default_factory=list)
    refusals: dict[str, Ballot | None] = field(default_factory=dict)
    cause: str = ""  # why its last banner failed
    failed: Ballot | None = None
    failed_at: int = 0


class Story:
    """Reads one run's events in order; :meth:`tell` returns how each one is told."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.caravans: list[str] = []
        self.q1 = self.q2 = 0
        self.persist_promise = True
        self.adopts = True
        self.learn_needs_quorum = True
        self.variant = "paxos"
        self.leads: dict[str, _Lead] = {}
        self.logbook: dict[str, tuple[Ballot | None, Any]] = {}  # promised, accepted vote
        self.promised: dict[str, Ballot] = {}  # what each acceptor obeys now (memory)
        self.knows: dict[str, str] = {}
        self.chosen_at: dict[str, tuple[int, Ballot | None]] = {}  # value -> first choice
        self.family: dict[int, int] = {}  # rider id -> the id of the rider it copies
        self.to_itself: dict[int, int] = {}  # a rider a caravan sent itself -> when it left
        self.arrived: set[int] = set()  # rider families already delivered
        self.asked: dict[tuple[str, str], int] = {}  # (asked, asker) -> when the inquiry came
        self.answers: set[int] = set()  # rider ids that answer an inquiry
        self.last_news: dict[str, tuple[str, int, str]] = {}  # who -> (from, rider id, type)
        self.awake: dict[str, int] = {}  # when each caravan last started
        self.forgotten: dict[str, Ballot] = {}  # the promise a collapse took from memory
        self.asking: tuple[str, int] | None = None  # who inquired last, and when
        self.written_by = ""  # whose logbook was written last
        self.late_told: set[tuple[str, Ballot | None]] = set()  # (proposer, banner) explained

    # -- the header ---------------------------------------------------------------

    def _header(self, event: dict[str, Any]) -> None:
        self._reset()  # a new run: forget the old one
        self.caravans = [str(c) for c in event.get("caravans") or []]
        quorums = event.get("quorums") or {}
        size = len(self.caravans)
        default = size // 2 + 1
        self.q2 = int(quorums.get("phase2", event.get("quorum", default)) or default)
        self.q1 = int(quorums.get("phase1", self.q2) or self.q2)
        self.variant = str(event.get("variant") or "paxos")
        variant = VARIANTS.get(self.variant)
        if variant is not None:
            self.persist_promise = variant.persist_promise
            self.adopts = variant.adopt_reported_value
            self.learn_needs_quorum = variant.learn_needs_quorum
        for name in self.caravans:
            self.awake[name] = 0

    @property
    def size(self) -> int:
        return len(self.caravans)

    def _lead(self, name: str) -> _Lead:
        lead = self.leads.get(name)
        if lead is None:
            lead = self.leads[name] = _Lead()
        return lead

    # -- telling --------------------------------------------------------------------

    def tell(self, event: dict[str, Any]) -> Told:
        """Remember ``event`` and say how it is told (level and story)."""
        kind = event.get("kind")
        handler = _HANDLERS.get(str(kind))
        if handler is not None and (self.caravans or kind == "header"):
            told = handler(self, event)
            if (
                told is not None
            ):  # names and campsites come from files: escape what a terminal obeys
                return Told(told.level, printable(told.story), printable(told.lead), told.alone)
        return Told(event_level(event), story_voice(event))

    def recall(self, event: dict[str, Any]) -> None:
        """Remember ``event`` without telling it (catching up on what came before)."""
        self.tell(event)

    # -- the desert's script ------------------------------------------------------------

    def _on_header(self, event: dict[str, Any]) -> Told | None:
        self._header(event)
        return None

    def _on_propose(self, event: dict[str, Any]) -> Told | None:
        node = str(event.get("node"))
        lead = self._lead(node)
        if lead.phase != "done":
            lead.wish = str(event.get("value"))
            lead.phase = "proposing"
        return None

    def _on_crash(self, event: dict[str, Any]) -> Told | None:
        node = str(event.get("node"))
        promised, vote = self.logbook.get(node, (None, None))
        memory = self.promised.pop(node, None)
        self.leads.pop(node, None)
        self.knows.pop(node, None)
        if not self.persist_promise:
            story = (
                f"{node} collapses. Its logbook survives with {_vote_text(vote)}, but in this "
                f"variant a promise is never written down"
            )
            if memory is not None and memory != promised:
                self.forgotten[node] = memory
                story += f": its promise to follow {_banner(memory)} is lost."
            else:
                story += (
                    "; it had promised nothing beyond its vote, so no promise is lost."
                    if vote
                    else "; it had promised nothing yet, so nothing is lost."
                )
            return Told(_INFO, story)
        return Told(
            _INFO,
            f"{node} collapses. Its logbook survives ({_logbook_text(promised, vote)}); "
            f"everything else (its wish, its banner, what it knows) is lost.",
        )

    def _on_recover(self, event: dict[str, Any]) -> Told | None:
        node = str(event.get("node"))
        promised = _ballot(event.get("promised"))
        vote = event.get("accepted")
        self.logbook[node] = (promised, vote)
        if promised is not None:
            self.promised[node] = promised
        self.awake[node] = int(event.get("t", 0))
        story = (
            f"{node} is back on its feet. Its logbook gives back {_logbook_text(promised, vote)}"
        )
        lost = self.forgotten.pop(node, None)
        if lost is not None:
            story += (
                f", but it has forgotten its promise to follow {_banner(lost)}: this variant "
                f"never writes promises down, so it would now follow a lower banner again."
            )
        else:
            story += "; it knows no campsite until it learns one again, by news or by asking."
        return Told(_INFO, story)

    # -- what acceptors write ----------------------------------------------------------

    def _on_persist(self, event: dict[str, Any]) -> Told | None:
        node = str(event.get("node"))
        promised = _ballot(event.get("promised"))
        self.logbook[node] = (promised, event.get("accepted"))
        self.written_by = node
        return None

    def _on_chosen(self, event: dict[str, Any]) -> Told | None:
        value = str(event.get("value"))
        ballot = _ballot(event.get("ballot"))
        by = [str(name) for name in event.get("by") or []]
        size = quorum_size_text(len(by), self.size or len(by), self.q2 or len(by))
        t = int(event.get("t", 0))
        earlier = self.chosen_at.get(value)
        others = [(v, at) for v, at in self.chosen_at.items() if v != value]
        self.chosen_at.setdefault(value, (t, ballot))
        voters = join_names(by)
        last = self.written_by
        completes = f"{last}'s vote completes a majority: " if last in by else ""
        if others:
            other, (at, other_ballot) = others[0]
            return Told(
                _INFO,
                f"✦ {value} is chosen too: {voters} have written votes for it under "
                f"{_banner(ballot)} ({size}). But {other} was chosen under "
                f"{_banner(other_ballot)} at t={at}: two campsites are chosen, and Paxos is broken.",
            )
        if earlier is not None:
            return Told(
                _INFO,
                f"✦ {value} is chosen again, under {_banner(ballot)}: {voters} have written "
                f"votes for it ({size}). The same campsite as at t={earlier[0]}, as Paxos "
                f"guarantees: every higher banner carries the chosen campsite forward.",
            )
        knowing = [name for name, v in self.knows.items() if v == value]
        if knowing:
            news = f"{join_names(knowing)} already claimed to know it before it was chosen."
        else:
            news = "No caravan knows it yet."
        return Told(
            _INFO,
            f"✦ {completes}{value} is chosen. {voters} have written votes for it under "
            f"{_banner(ballot)} in their logbooks ({size}). {news}",
        )

    def _on_adopt(self, event: dict[str, Any]) -> Told | None:
        node = str(event.get("node"))
        value = str(event.get("value"))
        reported = _ballot(event.get("from_ballot"))
        own = event.get("own_value")
        lead = self.leads.get(node)
        reporters: list[str] = []
        if lead is not None:
            reporters = [
                who
                for who, vote in lead.promises.items()
                if isinstance(vote, dict) and _ballot(vote.get("ballot")) == reported
            ]
        if not reporters and event.get("reported_by"):
            reporters = [str(event["reported_by"])]
        others = [who for who in reporters if who != node]
        vote = f"a vote for {value} under {_banner(reported)}"
        if len(others) == 1:
            source = f"{others[0]}'s promise reports {vote}"
        elif others:
            source = f"the promises of {join_names(others)} report {vote}"
        else:
            source = f"{node}'s own logbook holds {vote}"
        if others and node in reporters:
            source += f", and so does {node}'s own logbook"
        if own and own != value:
            instead = f" instead of its own wish, {own}"
        elif own:
            instead = ", which is its own wish too"
        else:
            instead = ""
        return Told(
            _INFO,
            f"{source[0].upper()}{source[1:]}: the highest vote its majority reports. That "
            f"campsite may already be chosen, so {node} carries {value} forward{instead}. "
            f"This is the heart of Paxos safety.",
        )

    def _on_decide(self, event: dict[str, Any]) -> Told | None:
        node = str(event.get("node"))
        value = str(event.get("value"))
        t = int(event.get("t", 0))
        lead = self.leads.get(node)
        if lead is not None:
            lead.phase = "done"
        self.knows[node] = value
        news = self.last_news.get(node)
        if news is not None and news[2] == "decided":
            how = (
                f"from {news[0]}'s answer to its inquiry"
                if news[1] in self.answers
                else f"from {news[0]}'s rider"
            )
        elif lead is not None and len(lead.votes) < self.q2:
            how = f"by counting {len(lead.votes)} vote{'s' if len(lead.votes) != 1 else ''}"
        else:
            how = "by counting its majority of votes"
        chosen = self.chosen_at.get(value)
        if chosen is None:
            why = (
                "one vote is not a decision, yet this variant's learner takes it for one"
                if not self.learn_needs_quorum
                else "no majority has written votes for it"
            )
            return Told(
                _INFO,
                f"⛺ {node} believes the campsite is {value}, {how}, but it is not chosen: {why}.",
            )
        at, ballot = chosen
        return Told(
            _INFO,
            f"⛺ {node} knows the campsite: {value}, {how}, {t - at} tick{'s' if t - at != 1 else ''} after it was "
            f"chosen (t={at}, under {_banner(ballot)}).",
        )

    # -- riders -------------------------------------------------------------------------

    def _on_send(self, event: dict[str, Any]) -> Told | None:
        src, dst = str(event.get("src")), str(event.get("dst"))
        msg = event.get("msg") or {}
        kind = msg.get("type")
        msg_id = int(event.get("id", 0))
        copy_of = event.get("copy_of")
        self.family[msg_id] = int(copy_of) if isinstance(copy_of, int) else msg_id
        if src == dst:
            self.to_itself[msg_id] = int(event.get("t", 0))
        if isinstance(copy_of, int):
            return Told(
                _DEBUG,
                f"The desert doubles rider #{copy_of}: a second copy sets out from {src} "
                f"to {dst}, on a path of its own.",
                alone=True,
            )
        ballot = _ballot(msg.get("ballot"))
        if kind in ("promise", "accepted") and ballot is not None:
            self.promised[src] = max(ballot, self.promised.get(src, ballot))
        if kind == "prepare":
            return self._prepare_sent(src, ballot, event)
        if kind == "accept":
            lead = self._lead(src)
            lead.phase, lead.ballot, lead.value = "accepting", ballot, msg.get("value")
            return None
        if kind == "inquire":
            asking = (src, int(event.get("t", 0)))
            if self.asking == asking:  # the rest of the same round of inquiries
                return Told(_INFO, story_voice(event))
            self.asking = asking
            since = self.awake.get(src, 0)
            lead_text = (
                f"{src} has had no news of a campsite since t={since}, so it asks. "
                if since
                else f"{src} has waited long without news of a campsite, so it asks. "
            )
            return Told(_INFO, lead_text + story_voice(event), lead=lead_text)
        if kind == "decided" and self.asked.get((src, dst)) == int(event.get("t", 0)):
            self.answers.add(msg_id)
            return Told(
                _INFO,
                f"{src} answers {dst}'s inquiry: a rider tells {dst} that the caravans have "
                f"chosen {msg.get('value')}.",
                alone=True,
            )
        return None

    def _prepare_sent(self, src: str, ballot: Ballot | None, event: dict[str, Any]) -> Told:
        lead = self._lead(src)
        retry = ""
        if lead.phase == "backing-off" and ballot != lead.ballot and lead.cause:
            wait = int(event.get("t", 0)) - lead.failed_at
            retry = (
                f"B{_banner(lead.failed)[1:]} failed: {lead.cause}. After a random "
                f"wait of {wait} tick{'s' if wait != 1 else ''}, "
            )
        if lead.ballot != ballot:
            lead.ballot = ballot
            lead.promises, lead.majority, lead.votes, lead.refusals = {}, [], [], {}
            lead.value = None
        lead.phase = "preparing"
        return Told(_INFO, retry + story_voice(event), lead=retry)

    def _on_drop(self, event: dict[str, Any]) -> Told | None:
        return None

    def _on_deliver(self, event: dict[str, Any]) -> Told | None:
        told = self._delivered(event)
        left = self.to_itself.pop(int(event.get("id", 0)), None)
        if told is None and left is not None and left < int(event.get("t", 0)):
            # `explore --self-delay`: the word to itself rode like any rider, so not "at once"
            carries = _CARRIES.get(str((event.get("msg") or {}).get("type")), "message")
            return Told(
                event_level(event),
                f"{event.get('dst')} hears its own {carries}, sent at t={left}: here a "
                "caravan's word to itself rides like any other rider, and may arrive late.",
            )
        return told

    def _delivered(self, event: dict[str, Any]) -> Told | None:
        src, dst = str(event.get("src")), str(event.get("dst"))
        msg = event.get("msg") or {}
        kind = str(msg.get("type"))
        msg_id = int(event.get("id", 0))
        family = self.family.get(msg_id, msg_id)
        if family in self.arrived:
            then = {
                "prepare": "it answers again, which is harmless",
                "accept": "it answers again, which is harmless",
                "inquire": "it answers again if it knows, which is harmless",
                "decided": "it already knows the campsite, so the copy changes nothing",
            }.get(kind, f"{dst} counts each caravan's answer once, so the copy changes nothing")
            return Told(_INFO, f"A second copy of rider #{family} reaches {dst}; {then}.")
        self.arrived.add(family)
        self.last_news[dst] = (src, msg_id, kind)
        match kind:
            case "promise":
                return self._promise_arrives(src, dst, msg)
            case "accepted":
                return self._vote_arrives(src, dst, msg)
            case "nack":
                return self._refusal_arrives(src, dst, msg, event)
            case "inquire":
                self.asked[(dst, src)] = int(event.get("t", 0))
                if dst in self.knows:
                    return None
                return Told(
                    _DEBUG,
                    f"{src}'s inquiry reaches {dst}, which knows no campsite yet: "
                    "it has nothing to answer.",
                )
            case "decided" if dst in self.knows:
                return Told(
                    _DEBUG,
                    f"{src}'s rider reaches {dst} with the campsite, which {dst} already knows.",
                )
        return None

    def _promise_arrives(self, src: str, dst: str, msg: dict[str, Any]) -> Told | None:
        lead = self.leads.get(dst)
        ballot = _ballot(msg.get("ballot"))
        if lead is None or lead.ballot is None:
            return None
        reported = msg.get("accepted")
        if lead.phase == "done" and not lead.majority:
            return Told(
                _DEBUG,
                f"{src}'s promise for {_banner(ballot)} reaches {dst}, which already knows the "
                "campsite and leads nothing any more: it ignores it.",
            )
        if ballot != lead.ballot or lead.phase == "backing-off":
            return Told(
                _INFO,
                f"{src}'s promise for {_banner(ballot)} reaches {dst}, which has given that "
                f"banner up: it ignores it, since a promise counts only for the banner it answers.",
            )
        if lead.phase != "preparing":
            if src in lead.promises:
                return None
            members = join_names(lead.majority) if lead.majority else "a majority"
            if (dst, ballot) in self.late_told:
                return Told(
                    _INFO,
                    f"{src}'s promise for {_banner(ballot)} reaches {dst} late too; "
                    f"{dst} ignores it, safely, for the same reason.",
                )
            self.late_told.add((dst, ballot))
            report = (
                f" (it reports a vote for {reported.get('value')} under "
                f"{fmt_ballot(reported.get('ballot'))})"
                if isinstance(reported, dict)
                else ""
            )
            return Told(
                _INFO,
                f"{src}'s promise for {_banner(ballot)} reaches {dst} late{report}: phase 2 "
                f"has begun, so {dst} ignores it. That is safe: {members} already promised, and "
                f"any campsite chosen under a lower banner has a vote in every majority, so "
                f"at least one of them would have reported it.",
            )
        if src in lead.promises:
            return None
        lead.promises[src] = reported
        if len(lead.promises) < self.q1:
            return None
        lead.majority = list(lead.promises)
        lead.phase = "accepting"
        size = quorum_size_text(len(lead.majority), self.size, self.q1)
        story = (
            f"{dst} has promises from {join_names(lead.majority)} for {_banner(ballot)}: "
            f"{size}, so phase 1 is won."
        )
        reports = {who: vote for who, vote in lead.promises.items() if isinstance(vote, dict)}
        if not reports:
            if lead.wish is not None:
                story += (
                    f" None of them has voted yet, so {dst} is free to ask for its own wish, "
                    f"{lead.wish}."
                )
        elif not self.adopts:
            best = max(reports.items(), key=lambda item: _ballot(item[1].get("ballot")) or (0, ""))
            story += (
                f" {best[0]} reports a vote for {best[1].get('value')} under "
                f"{fmt_ballot(best[1].get('ballot'))}, but this stubborn proposer ignores it and "
                f"asks for its own wish, {lead.wish} (real Paxos would carry "
                f"{best[1].get('value')} forward)."
            )
        return Told(_INFO, story)

    def _vote_arrives(self, src: str, dst: str, msg: dict[str, Any]) -> Told | None:
        lead = self.leads.get(dst)
        ballot = _ballot(msg.get("ballot"))
        value = msg.get("value")
        if lead is None or lead.ballot is None:
            return None
        if ballot != lead.ballot or lead.phase == "backing-off":
            return Told(
                _INFO,
                f"{src}'s vote for {value} under {_banner(ballot)} reaches {dst}, which has "
                f"given that banner up: it ignores it. That is safe: the vote stays written "
                f"in {src}'s logbook, and if it was part of a majority, every later majority of "
                f"promises will report it.",
            )
        if lead.phase != "accepting":
            return Told(
                _DEBUG,
                f"{src}'s vote for {value} reaches {dst}, which already knows the campsite: "
                "one more vote changes nothing.",
            )
        if src in lead.votes:
            return None
        lead.votes.append(src)
        needed = self.q2 if self.learn_needs_quorum else 1
        if len(lead.votes) < needed:
            return None
        if not self.learn_needs_quorum:
            return Told(
                _INFO,
                f"{dst} has one vote, from {src}, for {value} under {_banner(ballot)}, and this "
                f"variant's learner takes it for a decision (real Paxos waits for "
                f"{quorum_size_text(self.q2, self.size, self.q2).split(', ', 1)[1]} of votes).",
            )
        size = quorum_size_text(len(lead.votes), self.size, self.q2)
        return Told(
            _INFO,
            f"{dst} has votes from {join_names(lead.votes)} for {value} under "
            f"{_banner(ballot)}: {size}, so phase 2 is won.",
        )

    def _refusal_arrives(
        self, src: str, dst: str, msg: dict[str, Any], event: dict[str, Any]
    ) -> Told | None:
        lead = self.leads.get(dst)
        ballot = _ballot(msg.get("ballot"))
        if lead is None or ballot != lead.ballot or lead.phase not in ("preparing", "accepting"):
            return None
        lead.refusals[src] = _ballot(msg.get("promised"))
        quorum = self.q1 if lead.phase == "preparing" else self.q2
        if self.size - len(lead.refusals) >= quorum:
            return None
        higher = sorted({b for b in lead.refusals.values() if b is not None}, reverse=True)
        following = (
            f"the higher {_banner(higher[0])}"
            if len(higher) == 1
            else "the higher banners " + join_names([fmt_ballot(list(b)) for b in higher])
        )
        cause = (
            f"{join_names(list(lead.refusals))} refused it, following {following}, so no "
            f"{'majority' if quorum == self.size // 2 + 1 else 'quorum'} can answer yes"
        )
        self._back_off(lead, cause, int(event.get("t", 0)))
        return None

    def _back_off(self, lead: _Lead, cause: str, t: int) -> None:
        lead.phase, lead.cause, lead.failed, lead.failed_at = "backing-off", cause, lead.ballot, t

    # -- timers ---------------------------------------------------------------------------

    def _on_timer(self, event: dict[str, Any]) -> Told | None:
        node, name = str(event.get("node")), event.get("name")
        t = int(event.get("t", 0))
        if name == LEARN_TIMER:
            return Told(
                LEVELS["trace"], f"{node} has waited long enough without news of a campsite."
            )
        lead = self.leads.get(node)
        if name != PROPOSER_TIMER or lead is None:
            return None
        if lead.phase in ("preparing", "accepting"):
            first = lead.phase == "preparing"
            answered = list(lead.promises) if first else list(lead.votes)
            missing = [c for c in self.caravans if c not in answered and c not in lead.refusals]
            quorum = self.q1 if first else self.q2
            verb = "promised" if first else "voted"
            if answered:
                cause = (
                    f"by t={t} only {join_names(answered)} had {verb} "
                    f"({len(answered)} of {self.size}; {quorum} needed)"
                )
            else:
                cause = f"by t={t} no caravan had {verb} ({quorum} needed)"
            if missing:
                cause += f", with no answer from {join_names(missing)}"
            if lead.refusals:
                cause += f", and {join_names(list(lead.refusals))} refused it"
            self._back_off(lead, cause, t)
            return Told(
                LEVELS["trace"],
                f"{node}'s patience with {_banner(lead.ballot)} runs out: no majority answered.",
            )
        if lead.phase == "backing-off":
            return Told(LEVELS["trace"], f"{node}'s random wait is over: it tries again.")
        return None

    def _on_timer_set(self, event: dict[str, Any]) -> Told | None:
        node, name, fire = str(event.get("node")), event.get("name"), event.get("fire")
        if name == LEARN_TIMER:
            return Told(
                LEVELS["trace"],
                f"{node} will wait for news of a campsite until t={fire}, then ask.",
            )
        lead = self.leads.get(node)
        if name != PROPOSER_TIMER or lead is None:
            return None
        if lead.phase == "backing-off":
            story = f"{node} waits a random while, until t={fire}, before it tries again."
        elif lead.phase == "accepting":
            story = (
                f"{node} gives {_banner(lead.ballot)} until t={fire} to gather a majority of votes."
            )
        else:
            story = f"{node} gives {_banner(lead.ballot)} until t={fire} to gather a majority of promises."
        return Told(LEVELS["trace"], story)

    def _on_timer_cancel(self, event: dict[str, Any]) -> Told | None:
        node, name = str(event.get("node")), event.get("name")
        if name == LEARN_TIMER:
            return Told(LEVELS["trace"], f"{node} stops waiting for news: it knows the campsite.")
        if name == PROPOSER_TIMER:
            return Told(LEVELS["trace"], f"{node} stops leading its banner: it knows the campsite.")
        return None


def _logbook_text(promised: Ballot | None, vote: Any) -> str:
    """``its promise to follow banner (2, Taziri) and its vote for ...`` or ``no promise ...``."""
    promise = f"its promise to follow {_banner(promised)}" if promised is not None else "no promise"
    return f"{promise} and {_vote_text(vote)}"


def _vote_text(vote: Any) -> str:
    if isinstance(vote, dict):
        return f"its vote for {vote.get('value')} under banner {fmt_ballot(vote.get('ballot'))}"
    return "no vote"


_HANDLERS = {
    "header": Story._on_header,
    "propose": Story._on_propose,
    "crash": Story._on_crash,
    "recover": Story._on_recover,
    "persist": Story._on_persist,
    "chosen": Story._on_chosen,
    "adopt": Story._on_adopt,
    "decide": Story._on_decide,
    "send": Story._on_send,
    "drop": Story._on_drop,
    "deliver": Story._on_deliver,
    "timer": Story._on_timer,
    "timer_set": Story._on_timer_set,
    "timer_cancel": Story._on_timer_cancel,
}


def _story_for(header: dict[str, Any]) -> Story:
    """A journey's header (protocol multi-paxos) is read by the journey's storyteller."""
    if header.get("protocol") == "multi-paxos":
        from ._journey import JourneyStory

        return JourneyStory()  # type: ignore[return-value]  # the same interface, duck-typed
    return Story()


class StoryKeeper:
    """A :class:`Story` kept up to date with a growing list of trace lines.

    For a view that tells a run a piece at a time (the REPL's ``/step``,
    ``/run``, ``/play``): ``story_at(header, lines, seq)`` returns the story
    having read every line before ``seq``, reading only the lines it has not
    read yet; going back in time, or a timeline that forked before that point,
    makes it start again from the header. After telling lines up to ``last``
    with that story, ``moved(lines, last)`` says so.
    """

    def __init__(self) -> None:
        self._story: Story | None = None
        self._header: object = None
        self._seq = 0
        self._last: str | None = None

    def story_at(self, header: dict[str, Any], lines: Sequence[str], seq: int) -> Story:
        story = self._story
        same = (
            story is not None
            and self._header is header
            and self._seq <= seq
            and (self._seq == 0 or lines[self._seq - 1] is self._last)
        )
        if story is None or not same:
            story = self._story = _story_for(header)
            story.recall(header)
            self._header, self._seq = header, 0
        for line in lines[self._seq : seq]:
            story.recall(json.loads(line))
        self.moved(lines, seq)
        return story

    def moved(self, lines: Sequence[str], seq: int) -> None:
        self._seq = seq
        self._last = lines[seq - 1] if seq else None
