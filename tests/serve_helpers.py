"""uvicorn serving an app on 127.0.0.1, a free port, in a thread: for the serve tests and bench."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

START_SECONDS = 10  # the most it may take to start
STOP_SECONDS = 10  # ... and to stop


@contextmanager
def running_server(app: Any) -> Iterator[str]:
    """Serve ``app``; yields its base URL; always stopped (and checked to have stopped)."""
    import uvicorn

    from desert_paxos.serve import MAX_FRAME_BYTES

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws_max_size=MAX_FRAME_BYTES)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        for _ in range(START_SECONDS * 20):
            if server.started or not thread.is_alive():
                break
            thread.join(0.05)
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STOP_SECONDS)
        listener.close()
        if thread.is_alive():
            raise RuntimeError("uvicorn did not stop")
