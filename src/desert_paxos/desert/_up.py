"""``desert up`` from start to verdict: a fresh folder, the coordinator, the merged trace.

Theory of operation
-------------------
A desert's folder holds its logbooks, which must never be mixed with another
desert's or overwritten, so ``desert up`` takes a new or empty folder only
(or makes a temporary one). :func:`desert_up` runs the coordinator on an
asyncio loop and, whatever happens there (an error, Ctrl-C), makes sure in a
``finally`` that no process it started is left: the coordinator stops its
caravans itself, and any it had started but not yet seen are killed here.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import IO

from ..scenario import Scenario
from ._coordinator import Coordinator, DesertOutcome, kill_session

__all__ = ["UpError", "desert_up", "prepare_folder"]


class UpError(Exception):
    """A folder or option ``desert up`` cannot use: the message says why."""


def prepare_folder(folder: str | Path | None) -> Path:
    """``folder`` made ready for a new desert (created if missing), or a new temporary one."""
    if folder is None:
        return Path(tempfile.mkdtemp(prefix="desert-paxos-"))
    path = Path(folder)
    if path.exists():
        if not path.is_dir():
            raise UpError(f"{path} is a file; --dir names a folder for the desert's files")
        if any(path.iterdir()):
            raise UpError(
                f"{path} is not empty (it may hold another desert's logbooks, which are never "
                "overwritten); name a new or empty folder"
            )
        return path
    try:
        path.mkdir()
    except FileNotFoundError:
        raise UpError(f"cannot make {path}: the folder {path.parent} does not exist") from None
    except OSError as exc:
        raise UpError(f"cannot make {path}: {exc.strerror or exc}") from None
    return path


def desert_up(
    scenario: Scenario,
    folder: Path,
    *,
    seed: int,
    until: int,
    tick_ms: int,
    max_seconds: float,
    revive: int | None = None,
    spawn: str = "fork",
    log: IO[str] | None = None,
) -> DesertOutcome:
    """Run ``scenario`` as real processes in ``folder``; every process is stopped on return."""
    coordinator = Coordinator(
        scenario,
        folder,
        seed=seed,
        until=until,
        tick_ms=tick_ms,
        max_seconds=max_seconds,
        revive=revive,
        spawn=spawn,
        log=log,
    )
    try:
        return asyncio.run(coordinator.run())
    finally:
        for pid in list(coordinator.pids):
            kill_session(pid)
