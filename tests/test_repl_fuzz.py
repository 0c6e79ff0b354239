"""Whatever is typed, the REPL survives, and a rejected line leaves the session exactly as it was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desert_paxos.repl import COMMANDS, Screen, Session
from desert_paxos.scenario import resolve_scenario

WORDS = st.sampled_from(
    [
        "Itri",
        "itri",
        "Aghilas,Taziri",
        "|",
        "-1",
        "0",
        "3",
        "+5",
        "1e9",
        "99999999999999999999",
        "nan",
        "50%",
        "trace",
        "debug",
        "#4",
        "",
        "calm-day",
    ]
)
COMMAND_WORDS = st.sampled_from(
    [f"/{c.name}" for c in COMMANDS if c.name not in ("play",)] + ["/", "//", "/st", "step", "x"]
)
LINES = st.one_of(
    st.text(max_size=60),
    st.builds(lambda c, a: " ".join([c, *a]), COMMAND_WORDS, st.lists(WORDS, max_size=3)),
    st.builds(lambda c, t: f"{c} {t}", COMMAND_WORDS, st.text(max_size=20)),
)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # /save and /export may write files: keep them here
    return tmp_path


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(LINES, min_size=1, max_size=8))
def test_any_lines_leave_a_working_session(lines: list[str], in_tmp: Path) -> None:
    out = io.StringIO()
    s = Session("calm-day", resolve_scenario("calm-day"), Screen(out))
    s.execute("/step 3")
    for line in lines:
        before = s.fingerprint()
        rejected = s.rejected
        written = out.tell()
        keep_going = s.execute(line)
        assert "internal error" not in out.getvalue()[written:], line
        if s.rejected > rejected:
            assert s.fingerprint() == before, line
            assert out.getvalue()[written:].count("\n") == 1, line
        if not keep_going:
            break
    # The session still works after all that.
    position = s.tm.position
    ended = s.tm.ended
    assert s.execute("/step")
    assert s.tm.position == position + (0 if ended else 1)
