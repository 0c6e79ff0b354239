"""Tab completion: commands, caravans, scenarios, levels and paths; directly and through prompt_toolkit."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from desert_paxos.repl import Screen, Session
from desert_paxos.repl._complete import ReplCompleter
from desert_paxos.scenario import BUILTIN_NAMES, resolve_scenario


def completer() -> ReplCompleter:
    s = Session("calm-day", resolve_scenario("calm-day"), Screen(io.StringIO()))
    return ReplCompleter(s)


def offered(text: str) -> list[str]:
    return [c.text for c in completer().get_completions(Document(text), CompleteEvent())]


def test_commands_complete_with_or_without_the_slash() -> None:
    assert offered("/cr") == ["/crash"]
    assert offered("st") == ["/step", "/state"]
    assert len(offered("/")) == len(offered(""))
    assert offered("/zz") == []


def test_caravan_names_complete_after_commands_that_take_one() -> None:
    assert offered("/crash It") == ["Itri"]
    assert offered("/why ta") == ["Taziri", "Tassadit"]
    assert offered("/propose A") == ["Aghilas", "Amastan"]
    assert offered("/sandstorm Aghilas,Ta") == ["Taziri", "Tassadit"]
    assert offered("/sandstorm Aghilas | Am") == ["Amastan"]


def test_campsites_scenarios_levels_and_help_topics_complete() -> None:
    assert offered("/propose Taziri Oa") == ["Oasis of Siwa"]
    assert offered("/load sand") == [n for n in BUILTIN_NAMES if n.startswith("sand")]
    assert offered("/log d") == ["debug"]
    assert offered("/help cra") == ["crash"]
    assert offered("/export t") == ["trace"]


def test_file_paths_complete_for_save_load_and_export(tmp_path: Path) -> None:
    (tmp_path / "storm-session.json").write_text("{}", encoding="utf-8")
    prefix = str(tmp_path / "storm")
    assert offered(f"/save {prefix}") == ["-session.json"]
    assert "-session.json" in offered(f"/load {prefix}")
    assert offered(f"/export trace {prefix}") == ["-session.json"]


async def _typed(session: PromptSession[str], *keys: str) -> str:
    """Type ``keys`` one chunk at a time, letting completion finish after each Tab."""
    with create_pipe_input() as pipe:
        session.app.input = pipe
        task = asyncio.ensure_future(session.prompt_async(">>> "))
        for key in keys:
            before = session.app.current_buffer.text
            pipe.send_text(key)
            for _ in range(200):  # wait for the buffer to change: no fixed sleep to race
                await asyncio.sleep(0.01)
                if session.app.current_buffer.text != before or key == "\r":
                    break
        return await task


def test_tab_completes_in_a_real_prompt_toolkit_session() -> None:
    session: PromptSession[str] = PromptSession(output=DummyOutput(), completer=completer())
    line = asyncio.run(_typed(session, "/cra", "\t", " Itr", "\t", "\r"))
    assert line == "/crash Itri"
    session = PromptSession(output=DummyOutput(), completer=completer())
    line = asyncio.run(_typed(session, "/load calm", "\t", "\r"))
    assert line == "/load calm-day"
