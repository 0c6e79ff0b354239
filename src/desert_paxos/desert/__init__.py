"""Real caravans: the protocol core as separate processes over UDP, with durable logbooks.

The simulator teaches; a real desert shows the core is not a toy. ``desert up``
starts one OS process per caravan, each an asyncio program driving the very
``Caravan`` the simulator drives, over UDP on 127.0.0.1 with the scenario's
faults drawn by the project's own transport, logbooks written and fsynced
before every reply, and the scenario's collapses played as ``SIGKILL``.
Every process writes its events; ``desert merge`` joins them into one trace
that every view and check reads. The modules:

* ``_clock``: ticks on the shared monotonic clock, and the part files;
* ``_logbook``: the durable record on disk (atomic, fsynced, validated);
* ``_transport``: riders as datagrams, with the desert's faults;
* ``_node``: one caravan process (``desert-paxos caravan``);
* ``_coordinator``: ``desert up``: the processes, the script, the end;
* ``_control``: the control channel of a running desert;
* ``_merge``: the parts as one checked trace;
* ``_up``: ``desert up`` from start to printed verdict;
* ``_args``: a caravan process's arguments (light, for the command line).

Every name below is imported on first use (PEP 562), so the command line and
``desert-paxos run`` do not pay for asyncio and the rest when they do not use them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._clock import Clock, PartWriter
    from ._control import COMMANDS, ControlError, parse_groups, send_command
    from ._coordinator import DEFAULT_MAX_SECONDS, DEFAULT_TICK_MS, Coordinator, DesertOutcome
    from ._logbook import LOGBOOK_FORMAT, Logbook, LogbookError, record_from_json, record_to_json
    from ._merge import MergedTrace, MergeError, merge_desert
    from ._node import KILL_AFTER_PERSIST, caravan_main
    from ._setup import DesertSetup, SetupError, read_setup
    from ._transport import LinkRules, Rider, decode_rider, draw_fate, encode_rider, separated
    from ._up import UpError, desert_up, prepare_folder

_WHERE: dict[str, str] = {
    "Clock": "_clock",
    "PartWriter": "_clock",
    "COMMANDS": "_control",
    "ControlError": "_control",
    "parse_groups": "_control",
    "send_command": "_control",
    "DEFAULT_MAX_SECONDS": "_coordinator",
    "DEFAULT_TICK_MS": "_coordinator",
    "Coordinator": "_coordinator",
    "DesertOutcome": "_coordinator",
    "LOGBOOK_FORMAT": "_logbook",
    "Logbook": "_logbook",
    "LogbookError": "_logbook",
    "record_from_json": "_logbook",
    "record_to_json": "_logbook",
    "MergedTrace": "_merge",
    "MergeError": "_merge",
    "merge_desert": "_merge",
    "KILL_AFTER_PERSIST": "_node",
    "caravan_main": "_node",
    "DesertSetup": "_setup",
    "SetupError": "_setup",
    "read_setup": "_setup",
    "UpError": "_up",
    "desert_up": "_up",
    "prepare_folder": "_up",
    "LinkRules": "_transport",
    "Rider": "_transport",
    "decode_rider": "_transport",
    "draw_fate": "_transport",
    "encode_rider": "_transport",
    "separated": "_transport",
}

__all__ = [
    "COMMANDS",
    "DEFAULT_MAX_SECONDS",
    "DEFAULT_TICK_MS",
    "KILL_AFTER_PERSIST",
    "LOGBOOK_FORMAT",
    "Clock",
    "ControlError",
    "Coordinator",
    "DesertOutcome",
    "DesertSetup",
    "LinkRules",
    "Logbook",
    "LogbookError",
    "MergeError",
    "MergedTrace",
    "PartWriter",
    "Rider",
    "SetupError",
    "UpError",
    "caravan_main",
    "decode_rider",
    "desert_up",
    "draw_fate",
    "encode_rider",
    "merge_desert",
    "parse_groups",
    "prepare_folder",
    "read_setup",
    "record_from_json",
    "record_to_json",
    "send_command",
    "separated",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
