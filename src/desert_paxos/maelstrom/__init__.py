"""Maelstrom: the journey's Multi-Paxos core as a node of Jepsen's Maelstrom workbench.

``desert-paxos maelstrom-node`` (or the single executable ``desert-paxos-maelstrom``
that Maelstrom's ``--bin`` wants) speaks Maelstrom's node protocol, JSON lines
on standard input and output, for the ``lin-kv`` workload: ``read``, ``write``
and ``cas`` on keys, answered through the log of the very ``JourneyCaravan``
the simulator drives. The modules:

* ``_node``: the node itself (sans threads: lines in, messages out, timers on a loop);
* ``_run``: the process (standard input on a thread, the node on asyncio).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    from ._run import main as run_main

    return run_main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
