"""The learner role: knowing what was chosen.

Theory of operation
-------------------
"Paxos Made Simple" lets acceptors report their votes to a distinguished
learner, which tells the others once a value is chosen. Here the proposer of a
ballot is its distinguished learner (see the proposer module); this role keeps
what the caravan has learned and spreads it: a caravan that has learned answers
any ``Inquire`` with ``Decided``, and one that has waited a patience period
without learning (it was behind a sandstorm, or collapsed and came back)
inquires of everyone else, again and again, until someone answers.

What a caravan has learned is volatile: after a crash it learns again.
"""

from __future__ import annotations

from ._ballot import Ballot
from ._config import Config
from ._effects import CancelTimer, Decide, Effect, Send, SetTimer
from ._messages import Decided, Inquire, Proposal

__all__ = ["LEARN_TIMER", "Learner"]

LEARN_TIMER = "learn"


class Learner:
    __slots__ = ("config", "decided", "name")

    def __init__(self, config: Config, name: str) -> None:
        self.config = config
        self.name = name
        self.decided: Proposal | None = None

    def _patience(self) -> SetTimer:
        config = self.config
        return SetTimer(name=LEARN_TIMER, low=config.patience_low, high=config.patience_high)

    def on_start(self) -> list[Effect]:
        return [] if self.decided is not None else [self._patience()]

    def learn(self, ballot: Ballot, value: str) -> list[Effect]:
        """Record a decision once; later news of the same (or any) value changes nothing."""
        if self.decided is not None:
            return []
        self.decided = Proposal(ballot=ballot, value=value)
        return [Decide(ballot=ballot, value=value), CancelTimer(name=LEARN_TIMER)]

    def announce(self) -> list[Effect]:
        """As distinguished learner, tell every other caravan what was chosen."""
        decided = self.decided
        if decided is None:
            return []
        notice = Decided(ballot=decided.ballot, value=decided.value)
        return [Send(dst=other, msg=notice) for other in self.config.caravans if other != self.name]

    def on_inquire(self, src: str) -> list[Effect]:
        decided = self.decided
        if decided is None:
            return []
        return [Send(dst=src, msg=Decided(ballot=decided.ballot, value=decided.value))]

    def on_timer(self) -> list[Effect]:
        if self.decided is not None:
            return []
        asks: list[Effect] = [
            Send(dst=other, msg=Inquire()) for other in self.config.caravans if other != self.name
        ]
        asks.append(self._patience())
        return asks
