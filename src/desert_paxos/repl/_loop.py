"""Reading commands: prompt_toolkit on a terminal, plain lines from a pipe.

On a terminal the prompt is ``>>>`` with line editing, history kept across
sessions in the user's data directory (never in the working tree) and tab
completion; Ctrl-C clears the line, Ctrl-D leaves. From a pipe or a file,
lines are read as bytes and decoded leniently (undecodable bytes become an
error line, not a crash), with no prompt, so a lesson can be piped in; with
``echo`` each line is printed after ``>>>`` so the output reads like a session.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Any

from ..narrate import want_colour
from ..scenario import Scenario
from ._screen import Screen
from ._session import Session

__all__ = ["history_path", "run_repl"]

PROMPT = ">>> "


def history_path() -> Path:
    """Where the REPL keeps its history: the user's data directory, or $DESERT_PAXOS_HISTORY."""
    override = os.environ.get("DESERT_PAXOS_HISTORY")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("desert-paxos")) / "repl-history"


def run_repl(
    spec: str,
    scenario: Scenario,
    *,
    seed: int | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    echo: bool = False,
    interactive: bool | None = None,
    level: str = "info",
) -> int:
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if interactive is None:
        interactive = _isatty(stdin) and _isatty(stdout)
    screen = Screen(stdout, colour=want_colour(stdout))  # a lesson piped in still gets colour
    session = Session(spec, scenario, screen, seed=seed, interactive=interactive)
    session.welcome()
    if level != session.level:  # as if the learner had typed /log LEVEL first
        session.execute(f"/log {level}")
    if interactive:
        _terminal_loop(session)
    else:
        _pipe_loop(session, stdin, stdout, echo)
    stdout.flush()
    return 0


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _pipe_lines(stdin: IO[str]) -> Any:
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:
        for line in stdin:
            yield line.rstrip("\r\n")
        return
    for raw in buffer:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _pipe_loop(session: Session, stdin: IO[str], stdout: IO[str], echo: bool) -> None:
    for line in _pipe_lines(stdin):
        if echo and not line.lstrip().startswith("#"):  # comments are shown as they are
            session.screen.say(PROMPT + line)
        if not session.execute(line):
            break
        stdout.flush()


def _terminal_loop(session: Session) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory

    from ._complete import ReplCompleter

    history: History
    try:
        path = history_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        history = FileHistory(str(path))
    except OSError as exc:
        session.screen.say(f"(history not kept: {exc})", "dim")
        history = InMemoryHistory()
    prompt: PromptSession[str] = PromptSession(
        history=history, completer=ReplCompleter(session), complete_while_typing=False
    )
    while True:
        try:
            line = prompt.prompt(PROMPT)
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            break
        if not session.execute(line):
            break
