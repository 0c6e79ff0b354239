"""Multi-Paxos, sans I/O: the long journey, a campsite for every night.

The single-decree core (``desert_paxos.protocol``) decides one campsite; this
package decides one command per slot of a log (a *night*) with a stable
leader, replicating the travellers' supplies. Its roles follow *Paxos Made
Moderately Complex* (replica, leader with scout and commanders, acceptor),
played by one :class:`JourneyCaravan`; its acceptor keeps the single-decree
acceptor's rules and logbook shape, per night. Travellers are sans-I/O too.
"""

from ._caravan import JourneyCaravan
from ._commands import (
    OPS,
    REST_DAY,
    Command,
    Result,
    command_from_json,
    command_to_json,
    describe,
    execute,
    result_from_json,
    result_to_json,
)
from ._config import (
    EMPTY_LOGBOOK,
    JOURNEY_VARIANTS,
    Complete,
    Elected,
    Executed,
    Invoke,
    JourneyConfig,
    JourneyEffect,
    JourneyVariant,
    Learn,
    Logbook,
)
from ._leader import ELECTION_TIMER, HEARTBEAT_TIMER, RETRY_TIMER
from ._messages import (
    Accept,
    Accepted,
    CatchUp,
    Decision,
    Heartbeat,
    JourneyMessage,
    Nack,
    Prepare,
    Promise,
    Request,
    Response,
    SlotVote,
    Snapshot,
    message_from_json,
    message_to_json,
)
from ._traveller import THINK_TIMER, WAIT_TIMER, Traveller, TravellerPlan

__all__ = [
    "ELECTION_TIMER",
    "EMPTY_LOGBOOK",
    "HEARTBEAT_TIMER",
    "JOURNEY_VARIANTS",
    "OPS",
    "REST_DAY",
    "RETRY_TIMER",
    "THINK_TIMER",
    "WAIT_TIMER",
    "Accept",
    "Accepted",
    "CatchUp",
    "Command",
    "Complete",
    "Decision",
    "Elected",
    "Executed",
    "Heartbeat",
    "Invoke",
    "JourneyCaravan",
    "JourneyConfig",
    "JourneyEffect",
    "JourneyMessage",
    "JourneyVariant",
    "Learn",
    "Logbook",
    "Nack",
    "Prepare",
    "Promise",
    "Request",
    "Response",
    "Result",
    "SlotVote",
    "Snapshot",
    "Traveller",
    "TravellerPlan",
    "command_from_json",
    "command_to_json",
    "describe",
    "execute",
    "message_from_json",
    "message_to_json",
    "result_from_json",
    "result_to_json",
]
