"""The one glossary: the story's words and the Paxos terms they stand for.

Every view speaks these words: the narrator's story voice, the REPL's map,
``/state``, ``/why`` and ``/help words``, the HTML viewer's table and legend,
and the GIF's captions. ``docs/glossary.md`` is the same list for readers
(``tests/test_narrate_glossary.py`` keeps the two in step).

``GLOSSARY`` maps each story word to its :class:`Word`, in teaching order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["GLOSSARY", "Word", "glossary_lines"]


@dataclass(frozen=True, slots=True)
class Word:
    """One glossary entry: the ``story`` word, the ``paxos`` term, what it ``means``."""

    story: str
    paxos: str
    means: str


_WORDS = (
    Word("caravan", "node", "one participant; every caravan is proposer, acceptor and learner"),
    Word("campsite", "value", "what the caravans must agree on"),
    Word(
        "banner",
        "ballot",
        "a proposer's numbered attempt, (round, caravan); a higher banner outranks a lower one",
    ),
    Word(
        "promise",
        "promise",
        "an acceptor's word to follow a banner and refuse every lower one",
    ),
    Word(
        "vote",
        "accepted proposal",
        "an acceptor's agreement to a campsite under a banner (the campsite it accepted)",
    ),
    Word(
        "majority",
        "quorum",
        "enough caravans that any two such groups share one (3 of 5 by default)",
    ),
    Word(
        "chosen",
        "chosen",
        "a majority has written a vote for one campsite under one banner; "
        "usually no caravan knows it yet",
    ),
    Word("knows", "decided (learned)", "a caravan has learned the chosen campsite"),
    Word(
        "carry forward",
        "adopt",
        "a proposer takes the campsite of the highest vote reported in the promises",
    ),
    Word(
        "logbook",
        "durable state",
        "what an acceptor writes down (its promise and its vote); a collapse keeps it",
    ),
    Word("rider", "message", "one message on its way from one caravan to another"),
    Word("refusal", "nack", "an acceptor's answer that it already promised a higher banner"),
    Word(
        "inquiry",
        "inquire (learner catch-up)",
        "a caravan's question whether a campsite has been chosen",
    ),
    Word(
        "patience",
        "timeout",
        "how long a proposer waits for a majority, or a caravan for news, before acting again",
    ),
    Word("sandstorm", "partition", "riders cannot cross between the groups it separates"),
    Word("collapse", "crash", "a caravan stops; only its logbook survives"),
)

GLOSSARY: Mapping[str, Word] = MappingProxyType({word.story: word for word in _WORDS})


def glossary_lines() -> list[str]:
    """The glossary as plain lines: ``banner = ballot: a proposer's numbered attempt, ...``."""
    return [f"{w.story} = {w.paxos}: {w.means}" for w in GLOSSARY.values()]
