"""The control channel of a running desert: ``desert crash``, ``sandstorm``, ``calm``, ``status``...

Theory of operation
-------------------
While ``desert up`` runs, its coordinator listens on a TCP socket on
127.0.0.1 (a port the system picks) and writes where, with a random token, to
``DIR/control.json``, readable by its owner only; it removes the file when the
desert ends. A command is one JSON line ``{"token", "cmd", "args"}`` and gets
one JSON line back, ``{"ok": true|false, "message": ...}``. Commands without
the token are refused, so only someone who can read the folder steers the
desert. Everything a command changes (a collapse, a sandstorm) is played by
the coordinator as if the scenario's timeline had it now, and so is told in
the trace like any other event.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
from pathlib import Path
from typing import Any

from .._untrusted import SCENARIO_LIMIT, InputError, JsonReader, decode_utf8, read_file

__all__ = [
    "COMMANDS",
    "CONTROL_FILE",
    "ControlError",
    "new_token",
    "parse_groups",
    "remove_control_file",
    "send_command",
    "write_control_file",
]

CONTROL_FILE = "control.json"
COMMANDS = ("crash", "recover", "sandstorm", "calm", "status", "down")
_TIMEOUT = 10.0  # seconds a command waits for the coordinator's answer


class ControlError(Exception):
    """A command that could not be sent or was refused: the message says why."""


def new_token() -> str:
    return secrets.token_hex(16)


def write_control_file(folder: Path, port: int, token: str) -> Path:
    """``DIR/control.json``, created readable by its owner only."""
    path = folder / CONTROL_FILE
    data = json.dumps({"host": "127.0.0.1", "port": port, "token": token, "pid": os.getpid()})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write(data + "\n")
    return path


def remove_control_file(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / CONTROL_FILE)


def parse_groups(text: str, names: tuple[str, ...]) -> list[list[str]]:
    """``"A,B | C,D,E"`` as groups of caravan names (case-insensitive); ``ValueError`` says why."""
    by_lower = {name.lower(): name for name in names}
    groups: list[list[str]] = []
    seen: set[str] = set()
    for part in text.split("|"):
        words = [w.strip() for w in part.split(",") if w.strip()]
        if not words:
            raise ValueError(f'an empty group in {text!r}; e.g. "Aghilas,Taziri | Amastan,Itri"')
        group: list[str] = []
        for word in words:
            name = by_lower.get(word.lower())
            if name is None:
                raise ValueError(f"unknown caravan {word!r} (caravans: {', '.join(names)})")
            if name in seen:
                raise ValueError(f"{name} is named twice; each caravan stands in one group")
            seen.add(name)
            group.append(name)
        groups.append(group)
    if len(groups) == 1 and len(seen) == len(names):
        raise ValueError("everyone is in one group: that storm separates nobody")
    return groups


def _control_address(folder: Path) -> dict[str, Any]:
    path = folder / CONTROL_FILE
    try:
        doc = JsonReader().loads(decode_utf8(read_file(path, SCENARIO_LIMIT), "control file"))
    except InputError as exc:
        if exc.message == "no such file":
            raise ControlError(
                f"no desert is running in {folder} (no {CONTROL_FILE}): start one with "
                f"`desert-paxos desert up --dir {folder}`"
            ) from None
        raise ControlError(f"{path}: {exc}") from None
    if (
        not isinstance(doc, dict)
        or type(doc.get("port")) is not int
        or not isinstance(doc.get("token"), str)
    ):
        raise ControlError(f"{path}: not a control file of desert-paxos")
    return doc


def send_command(folder: str | Path, cmd: str, args: list[str] | None = None) -> str:
    """Send ``cmd`` to the desert running in ``folder``; its answer, or a :class:`ControlError`."""
    where = Path(folder)
    address = _control_address(where)
    request = {"token": address["token"], "cmd": cmd, "args": list(args or [])}
    try:
        with socket.create_connection(("127.0.0.1", address["port"]), timeout=_TIMEOUT) as conn:
            conn.sendall((json.dumps(request) + "\n").encode("utf-8"))
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
    except OSError as exc:
        raise ControlError(
            f"the desert in {where} does not answer ({exc.strerror or exc}); it may have ended"
        ) from None
    try:
        answer = json.loads(reply.decode("utf-8"))
    except ValueError:
        raise ControlError(f"the desert in {where} gave no answer") from None
    if not isinstance(answer, dict):
        raise ControlError(f"the desert in {where} gave no answer")
    message = str(answer.get("message", ""))
    if not answer.get("ok"):
        raise ControlError(message)
    return message
