"""The Paxos core, sans I/O: messages in, effects out.

Nothing here reads a clock, draws a random number or touches a socket or a
file, and nothing here imports the simulator or any user interface. Every
interpreter (the simulator, the REPL, the model checker) drives these same
classes, so there is exactly one implementation of Paxos in the project.
"""

from ._ballot import Ballot, ballot_from_json, ballot_to_json, format_ballot
from ._caravan import Caravan, sends_of
from ._config import DEFAULT_CARAVANS, Config
from ._durable import EMPTY_RECORD, AcceptorRecord
from ._effects import Adopt, CancelTimer, Decide, Effect, Persist, Send, SetTimer
from ._learner import LEARN_TIMER
from ._messages import (
    Accept,
    Accepted,
    Decided,
    Inquire,
    Message,
    Nack,
    Prepare,
    Promise,
    Proposal,
    message_from_json,
    message_to_json,
)
from ._proposer import PHASES, PROPOSER_TIMER
from ._variants import VARIANTS, Variant, variant_named

__all__ = [
    "DEFAULT_CARAVANS",
    "EMPTY_RECORD",
    "LEARN_TIMER",
    "PHASES",
    "PROPOSER_TIMER",
    "VARIANTS",
    "Accept",
    "Accepted",
    "AcceptorRecord",
    "Adopt",
    "Ballot",
    "CancelTimer",
    "Caravan",
    "Config",
    "Decide",
    "Decided",
    "Effect",
    "Inquire",
    "Message",
    "Nack",
    "Persist",
    "Prepare",
    "Promise",
    "Proposal",
    "Send",
    "SetTimer",
    "Variant",
    "ballot_from_json",
    "ballot_to_json",
    "format_ballot",
    "message_from_json",
    "message_to_json",
    "sends_of",
    "variant_named",
]
