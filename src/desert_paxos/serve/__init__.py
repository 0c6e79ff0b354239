"""The desert in the browser, live: ``desert-paxos serve``.

A local web app (Starlette on uvicorn, imported only by the ``serve`` command)
drives the REPL's own :class:`~desert_paxos.repl.Session` and draws it with the
viewer's own script, fed live: step, play, travel in time, crash and recover
caravans, raise sandstorms, drop riders, load, save and export; other browsers
may follow a session read-only; explore mode walks the model checker's states
by hand. See ``_app`` for the pages and sockets, ``_room`` for one live desert,
``_feed`` for the viewer's data by deltas and ``_explore`` for explore mode.
"""

from ._app import LOCAL_HOSTS, MAX_FRAME_BYTES, MAX_ROOMS, make_app
from ._feed import LiveFeed
from ._room import Room

__all__ = ["LOCAL_HOSTS", "MAX_FRAME_BYTES", "MAX_ROOMS", "LiveFeed", "Room", "make_app"]
