"""The journey's replica: the log, the supplies and the travellers' table.

Theory of operation
-------------------
The replica keeps what each night holds once it is decided and executes the
nights strictly in order: night ``k`` only after nights ``1..k-1``. Executing
applies the command to the supplies (see ``_commands``); a rest day changes
nothing. So every caravan that has executed ``k`` nights holds the same
supplies: the executed prefix is the same everywhere.

Each request is executed at most once. The replica keeps, per traveller, the
number of the last request it executed and that request's answer. A command
whose number is not above the table's is a retry already executed (the leader
may have put one request in two nights, across an election): it is skipped,
and the traveller gets the answer from the table. (The ``twice-executed``
variant forgets this check.)

A replica answers a traveller when it executes that traveller's request if it
leads or if the traveller asked it directly; a request that arrives for a
command already executed is answered from the table at once.

Catching up: a caravan that hears (in a heartbeat) that the leader has
executed more nights than itself asks ``CatchUp(after=executed)``. The answer
is the ``Decision`` of each night it lacks, or, when the asked caravan has
compacted those nights away, a ``Snapshot`` of its supplies and table as of its
floor, followed by the decisions it still holds.
"""

from __future__ import annotations

from .._effects import Send
from ._commands import Command, Result, execute
from ._config import Executed, JourneyConfig, JourneyEffect, Learn, Logbook
from ._messages import CatchUp, Decision, Response, Snapshot

__all__ = ["Replica"]


class Replica:
    __slots__ = ("asked", "config", "decisions", "executed", "floor", "name", "supplies", "table")

    def __init__(
        self,
        config: JourneyConfig,
        name: str,
        floor: int = 0,
        supplies: tuple[tuple[str, int], ...] = (),
        table: tuple[tuple[str, int, Result], ...] = (),
    ) -> None:
        self.config = config
        self.name = name
        self.floor = floor  # nights compacted into the supplies (no decisions kept)
        self.executed = floor
        self.supplies: dict[str, int] = dict(supplies)
        self.table: dict[str, tuple[int, Result]] = {t: (r, res) for t, r, res in table}
        self.decisions: dict[int, Command] = {}  # floor < night: the decided command
        self.asked: set[tuple[str, int]] = set()  # requests a traveller sent here directly

    def answered(self, command: Command) -> Result | None:
        """The answer to ``command`` if this replica already executed it."""
        row = self.table.get(command.traveller)
        if row is not None and row[0] == command.request:
            return row[1]
        return None

    def executed_before(self, command: Command) -> bool:
        row = self.table.get(command.traveller)
        return row is not None and row[0] >= command.request

    def learn(self, slot: int, command: Command, leading: bool) -> list[JourneyEffect]:
        """A decided night: record it and execute every night now in order."""
        if slot <= self.executed or slot in self.decisions:
            return []
        self.decisions[slot] = command
        effects: list[JourneyEffect] = [Learn(slot=slot, command=command)]
        effects.extend(self._execute(leading))
        return effects

    def _execute(self, leading: bool) -> list[JourneyEffect]:
        effects: list[JourneyEffect] = []
        decisions = self.decisions
        once_only = self.config.variant.once_only
        while self.executed + 1 in decisions:
            self.executed += 1
            slot = self.executed
            command = decisions[slot]
            if command.is_rest:
                effects.append(
                    Executed(slot=slot, command=command, result=Result(ok=True), again=False)
                )
                continue
            if once_only and self.executed_before(command):
                cached = self.answered(command)
                result = cached if cached is not None else Result(ok=True)
                effects.append(Executed(slot=slot, command=command, result=result, again=True))
                continue
            result = execute(self.supplies, command)
            self.table[command.traveller] = (command.request, result)
            effects.append(Executed(slot=slot, command=command, result=result, again=False))
            key = (command.traveller, command.request)
            if leading or key in self.asked:
                self.asked.discard(key)
                effects.append(
                    Send(
                        dst=command.traveller,
                        msg=Response(
                            traveller=command.traveller, request=command.request, result=result
                        ),
                    )
                )
        return effects

    def compacted(self) -> bool:
        """Forget decisions at or below the executed night, once enough have gathered."""
        if self.executed - self.floor < self.config.compact_every:
            return False
        for slot in [s for s in self.decisions if s <= self.executed]:
            del self.decisions[slot]
        self.floor = self.executed
        return True

    def on_catch_up(self, src: str, msg: CatchUp, logbook: Logbook) -> list[JourneyEffect]:
        effects: list[JourneyEffect] = []
        after = msg.after
        if after < self.floor:
            effects.append(
                Send(
                    dst=src,
                    msg=Snapshot(
                        floor=self.floor,
                        supplies=logbook.supplies,
                        table=logbook.table,
                    ),
                )
            )
            after = self.floor
        for slot in range(after + 1, self.executed + 1):
            command = self.decisions.get(slot)
            if command is not None:
                effects.append(Send(dst=src, msg=Decision(slot=slot, command=command)))
        return effects

    def on_snapshot(self, msg: Snapshot, leading: bool) -> list[JourneyEffect]:
        if msg.floor <= self.executed:
            return []
        self.supplies = dict(msg.supplies)
        self.table = {t: (r, res) for t, r, res in msg.table}
        self.executed = msg.floor
        for slot in [s for s in self.decisions if s <= msg.floor]:
            del self.decisions[slot]
        return self._execute(leading)
