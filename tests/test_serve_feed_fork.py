"""A room's feed after forks: the room tells the feed how much of the past a fork kept.

When an act in the past forks the session (or an act at the present, or after the
run ended), the room passes the feed the number of leading lines the new record
shares with the old, and the feed compares only the lines after them. Here every
kind of fork goes through a room, and after each command the page's data, merged
from the deltas the room sent, is the viewer's data for the session's known history.
"""

from __future__ import annotations

import json
from typing import Any

from desert_paxos.scenario import load_builtin
from desert_paxos.serve._room import Room

from .test_serve_protocol import Mirror, expected


def test_the_data_after_forks_through_a_room_is_the_viewer_data() -> None:
    room = Room("sandstorm-minority", load_builtin("sandstorm-minority"))
    mirror = Mirror()
    mirror.merge(json.loads(json.dumps(room.feed.snapshot())))
    lines = [
        "/run 120",
        "/crash Itri",  # an act at the present
        "/step 20",
        "/back 15",
        "/recover Itri",  # an act in the past: the known future is discarded
        "/run 200",
        "/goto 60",
        "/sandstorm Aghilas, Taziri | Amastan, Itri, Tassadit",  # far back
        "/run",  # to the end of the run
        "/propose Taziri Ksar Ghilane",  # after the end: the run's close reopens
        "/back 3",
        "/calm",
        "/step 5",
    ]
    forks = 0
    for line in lines:
        messages: list[dict[str, Any]] = room.execute(line, typed=False)
        for message in messages:
            if message["type"] == "data":
                mirror.merge(json.loads(json.dumps(message)))
            if message["type"] == "at" and message.get("forked"):
                forks += 1
        assert json.loads(json.dumps(mirror.data)) == expected(room.session), line
    assert forks >= 2  # the future discarded twice (an act at the present discards none)
