"""A traveller: a client that asks the caravans to record or read the supplies.

Theory of operation
-------------------
A traveller carries a fixed list of operations and has one request out at a
time. After a think time (a drawn range) it sends its next request, with a new
request number, to a caravan; if no answer comes within ``patience`` ticks it
sends the *same* request, same number, to the next caravan in turn, and so on
until one answers. The replicas use the number to execute the request at most
once. The ``Invoke`` and ``Complete`` effects are the client history the
linearizability checker reads: a request invoked and never completed may have
taken effect or not.

A traveller never collapses and its list is finite, so it stops by itself.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace

from .._effects import CancelTimer, Send, SetTimer
from ._commands import Command
from ._config import Complete, Invoke, JourneyEffect
from ._messages import Request, Response

__all__ = ["THINK_TIMER", "WAIT_TIMER", "Traveller", "TravellerPlan"]

THINK_TIMER = "think"
WAIT_TIMER = "wait"


@dataclass(frozen=True, slots=True, kw_only=True)
class TravellerPlan:
    """What a traveller will ask (``request`` numbers are filled in as it goes)."""

    name: str
    operations: tuple[Command, ...]
    think_low: int = 20
    think_high: int = 60
    patience: int = 200
    first: int = 0  # the caravan it asks first, as an index into the caravans


class Traveller:
    __slots__ = ("caravans", "current", "done", "next_op", "plan", "target")

    def __init__(self, plan: TravellerPlan, caravans: tuple[str, ...]) -> None:
        self.plan = plan
        self.caravans = caravans
        self.next_op = 0
        self.current: Command | None = None
        self.target = plan.first % len(caravans)
        self.done = not plan.operations

    @property
    def name(self) -> str:
        return self.plan.name

    def snapshot(self) -> Hashable:
        return (self.plan, self.next_op, self.current, self.target, self.done)

    @classmethod
    def restore(cls, snapshot: Hashable, caravans: tuple[str, ...]) -> Traveller:
        assert isinstance(snapshot, tuple)
        plan, next_op, current, target, done = snapshot
        traveller = cls(plan, caravans)
        traveller.next_op, traveller.current = next_op, current
        traveller.target, traveller.done = target, done
        return traveller

    def ask(self, operation: Command) -> list[JourneyEffect]:
        """One more operation for this traveller (the REPL's /request): asked at once if it
        is idle, else after the request it is waiting on."""
        self.plan = replace(self.plan, operations=(*self.plan.operations, operation))
        if self.current is not None:
            self.done = False
            return []
        self.done = False
        op = self.plan.operations[self.next_op]
        self.next_op += 1
        self.current = replace(op, traveller=self.name, request=self.next_op)
        return [CancelTimer(name=THINK_TIMER), *self._ask(retry=False)]

    def on_start(self) -> list[JourneyEffect]:
        return self._think()

    def _think(self) -> list[JourneyEffect]:
        if self.next_op >= len(self.plan.operations):
            self.done = True
            return []
        return [SetTimer(name=THINK_TIMER, low=self.plan.think_low, high=self.plan.think_high)]

    def _ask(self, retry: bool) -> list[JourneyEffect]:
        assert self.current is not None
        caravan = self.caravans[self.target]
        patience = self.plan.patience
        return [
            Invoke(command=self.current, caravan=caravan, retry=retry),
            Send(dst=caravan, msg=Request(command=self.current)),
            SetTimer(name=WAIT_TIMER, low=patience, high=patience),
        ]

    def on_timer(self, name: str) -> list[JourneyEffect]:
        if name == THINK_TIMER and self.current is None and not self.done:
            op = self.plan.operations[self.next_op]
            self.next_op += 1
            self.current = replace(op, traveller=self.name, request=self.next_op)
            return self._ask(retry=False)
        if name == WAIT_TIMER and self.current is not None:
            self.target = (self.target + 1) % len(self.caravans)
            return self._ask(retry=True)
        return []

    def on_message(self, src: str, msg: object) -> list[JourneyEffect]:
        current = self.current
        if not isinstance(msg, Response) or current is None or msg.request != current.request:
            return []  # a late answer to an earlier request, or a second copy
        self.current = None
        self.target = self.caravans.index(src)  # ask the one that answered next time
        return [
            CancelTimer(name=WAIT_TIMER),
            Complete(command=current, result=msg.result),
            *self._think(),
        ]
