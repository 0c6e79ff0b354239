"""The journey's configuration, durable record and effects.

Theory of operation
-------------------
:class:`JourneyConfig` adds to the single-decree :class:`~desert_paxos.protocol.Config`
(caravans, quorums, variant) the timings of a stable leader: how often it sends
a heartbeat, how long a follower waits before it starts an election (a range:
the interpreter draws it, so two followers rarely stand up at once), how many
nights a leader may have open at once (``window``) and how many executed nights
a caravan keeps before it compacts them (``compact_every``).

The log never grows without bound: a leader opens a night only within
``window`` nights of what its own replica has executed, and a caravan that has
executed ``compact_every`` nights beyond its floor writes its supplies and its
per-traveller table into the logbook and forgets the votes and decisions at or
below that night. So a caravan holds at most about ``compact_every + window``
nights of votes and decisions; a caravan that asks for nights already
compacted gets a :class:`~desert_paxos.protocol.multi.Snapshot` instead.

:class:`Logbook` is one caravan's durable record, the single-decree
``AcceptorRecord`` grown per slot: the promise (one for all slots), the vote in
each open slot, the highest round tried, and the floor with the supplies and
table as of that floor. It is written (a ``Persist``) before any reply that
depends on it.

The journey's own effects tell what the interpreter records and checks:
``Elected`` (a caravan's phase 1 succeeded), ``Learn`` (a caravan knows what a
night holds), ``Executed`` (its replica applied a night's command), and the
travellers' ``Invoke``/``Complete`` (the client history).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._ballot import Ballot
from .._config import Config
from .._effects import CancelTimer, Persist, Send, SetTimer
from ._commands import Command, Result

__all__ = [
    "EMPTY_LOGBOOK",
    "JOURNEY_VARIANTS",
    "Complete",
    "Elected",
    "Executed",
    "Invoke",
    "JourneyConfig",
    "JourneyEffect",
    "JourneyVariant",
    "Learn",
    "Logbook",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyVariant:
    """Switches for the broken journeys (each one rule removed, never a second implementation)."""

    name: str
    lesson: str
    quorum_reads: bool = True  # False: the leader answers a get from its own supplies
    once_only: bool = True  # False: a replica executes a retried request again
    phase1_on_election: bool = True  # False: a new leader assumes unknown nights are empty


JOURNEY_VARIANTS: dict[str, JourneyVariant] = {
    v.name: v
    for v in (
        JourneyVariant(
            name="paxos",
            lesson="The real journey: every command, reads included, goes through the log.",
        ),
        JourneyVariant(
            name="stale-read",
            lesson="A leader may have been replaced without knowing: a read must go "
            "through the log (a quorum), not the leader's own supplies.",
            quorum_reads=False,
        ),
        JourneyVariant(
            name="twice-executed",
            lesson="A retried request must be executed once: the replicas keep each "
            "traveller's last answer and reply with it.",
            once_only=False,
        ),
        JourneyVariant(
            name="skip-phase1",
            lesson="A new leader must run phase 1 for every open night, or it overwrites "
            "a night a quorum already chose.",
            phase1_on_election=False,
        ),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyConfig:
    base: Config = field(default_factory=Config)
    heartbeat_every: int = 40
    election_low: int = 150
    election_high: int = 300
    retry_every: int = 60  # a leader re-sends its open nights' Accept riders this often
    window: int = 4
    compact_every: int = 8
    variant: JourneyVariant = field(default_factory=lambda: JOURNEY_VARIANTS["paxos"])

    @property
    def caravans(self) -> tuple[str, ...]:
        return self.base.caravans

    @property
    def phase1_quorum(self) -> int:
        return self.base.phase1_quorum

    @property
    def phase2_quorum(self) -> int:
        return self.base.phase2_quorum


@dataclass(frozen=True, slots=True, kw_only=True)
class Logbook:
    """One caravan's durable record: the single-decree record, per slot."""

    promised: Ballot | None = None
    votes: tuple[tuple[int, Ballot, Command], ...] = ()  # (slot, ballot, command), by slot
    tried_round: int = 0
    floor: int = 0  # nights executed and compacted away
    supplies: tuple[tuple[str, int], ...] = ()  # as of the floor
    table: tuple[tuple[str, int, Result], ...] = ()  # traveller, last request, its answer


EMPTY_LOGBOOK = Logbook()


@dataclass(frozen=True, slots=True, kw_only=True)
class Elected:
    ballot: Ballot
    first: int  # the first night this leader opens
    filled: tuple[int, ...]  # nights it closes with a rest day


@dataclass(frozen=True, slots=True, kw_only=True)
class Learn:
    slot: int
    command: Command


@dataclass(frozen=True, slots=True, kw_only=True)
class Executed:
    slot: int
    command: Command
    result: Result
    again: bool  # a retried request already executed (answered from the table)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoke:
    command: Command
    caravan: str
    retry: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Complete:
    command: Command
    result: Result


JourneyEffect = (
    Send | SetTimer | CancelTimer | Persist | Elected | Learn | Executed | Invoke | Complete
)
