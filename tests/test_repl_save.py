"""A saved session is a scenario: `desert-paxos run FILE` reproduces its trace byte for byte."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desert_paxos.cli import main
from desert_paxos.repl import Screen, Session, TimeMachine
from desert_paxos.scenario import load_scenario_file, resolve_scenario


@pytest.fixture(autouse=True)
def verify_every_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step replayed after travelling or acting is checked against the record."""
    monkeypatch.setattr(TimeMachine, "verify", True)


def open_session(name: str = "calm-day", seed: int | None = None) -> Session:
    return Session(name, resolve_scenario(name), Screen(io.StringIO()), seed=seed)


def do(s: Session, *lines: str) -> None:
    for line in lines:
        before = s.rejected
        assert s.execute(line)
        assert s.rejected == before, f"{line!r} was rejected"


def save_and_rerun(
    s: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[bytes, bytes]:
    scenario_file = tmp_path / "session.json"
    session_trace = tmp_path / "session.jsonl"
    rerun_trace = tmp_path / "rerun.jsonl"
    do(s, f"/save {scenario_file}", f"/export trace {session_trace}")
    main(["run", str(scenario_file), "--trace", str(rerun_trace), "--log-level", "quiet"])
    capsys.readouterr()
    return session_trace.read_bytes(), rerun_trace.read_bytes()


def test_every_kind_of_hand_made_event_replays_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = open_session("calm-day", seed=4)
    do(
        s,
        "/step 3",
        "/loss 20%",
        "/step 2",
        "/delay 1 60",
        "/step",
        "/sandstorm Aghilas,Taziri | Amastan,Itri,Tassadit",
        "/step 4",
    )
    while not _riders(s):
        do(s, "/step")
    rider = min(r.msg_id for r in _riders(s))  # type: ignore[attr-defined]
    do(s, f"/drop {rider}", "/crash Amastan", "/run +40", "/calm", "/recover Amastan")
    do(s, "/propose Itri Ksar Ghilane", "/run")
    assert len(s.injections) == 8
    session, rerun = save_and_rerun(s, tmp_path, capsys)
    assert session == rerun
    assert b'"kind": "network"' in session and b'"reason": "hand"' in session


def test_acting_after_going_back_replays_the_new_future_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = open_session("dueling-proposers")
    do(s, "/step 30", "/crash Itri", "/step 20", "/back 35", "/crash Taziri", "/run")
    assert [i.item.caravan for i in s.injections] == ["Taziri"]  # type: ignore[union-attr]
    session, rerun = save_and_rerun(s, tmp_path, capsys)
    assert session == rerun
    crashes = [json.loads(line) for line in session.splitlines() if b'"kind": "crash"' in line]
    assert [c["node"] for c in crashes] == ["Taziri"]


def test_a_session_paused_midway_is_a_prefix_of_the_full_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = open_session("lossy-desert")
    do(s, "/step 12", "/crash Tassadit", "/step 5")
    session, rerun = save_and_rerun(s, tmp_path, capsys)
    assert rerun.startswith(session)
    assert len(rerun) > len(session)


def test_acting_after_the_desert_went_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = open_session("calm-day")
    do(s, "/run", "/run 700", "/crash Aghilas", "/run +50", "/recover Aghilas", "/run")
    assert s.tm.ended
    session, rerun = save_and_rerun(s, tmp_path, capsys)
    assert session == rerun
    ends = [line for line in session.splitlines() if b'"kind": "end"' in line]
    assert len(ends) == 1  # the quiet end before the hand-made acts is not in the new history


def test_the_saved_file_is_a_valid_scenario_with_the_session_seed(tmp_path: Path) -> None:
    s = open_session("calm-day", seed=11)
    do(s, "/step 2", "/crash Itri", f"/save {tmp_path / 's.json'}")
    saved = load_scenario_file(tmp_path / "s.json")
    assert saved.seed == 11
    assert saved == s.scenario
    assert saved.expect.decided is None  # the lesson's expectation no longer applies
    assert [e.kind for e in saved.timeline if e.kind != "note"] == ["crash"]  # + the notes


def test_saving_to_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    out = io.StringIO()
    s = Session("calm-day", resolve_scenario("calm-day"), Screen(out))
    s.execute(f"/save {tmp_path / 'no' / 'such' / 'dir.json'}")
    assert s.rejected == 1
    assert out.getvalue().splitlines()[-1].startswith("cannot write")


def _riders(s: Session) -> list[object]:
    from desert_paxos.repl._views import riders_in_flight

    return [r for r in riders_in_flight(s.tm) if r.arrive >= s.act_time()]  # type: ignore[misc]


ACTS = st.sampled_from(
    [
        "/step",
        "/step 3",
        "/run +25",
        "/back 2",
        "/goto 40",
        "/crash Itri",
        "/recover Itri",
        "/crash Aghilas",
        "/recover Aghilas",
        "/sandstorm Aghilas,Taziri | Amastan",
        "/calm",
        "/loss 0.2",
        "/delay 2 30",
        "/propose Taziri Wells of Timbuktu",
    ]
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(acts=st.lists(ACTS, max_size=10), seed=st.integers(0, 50))
def test_any_session_replays_byte_for_byte(
    acts: list[str], seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = open_session("calm-day", seed=seed)
    for act in acts:
        s.execute(act)  # some are refused in some states: that is fine
    s.execute("/run")
    session, rerun = save_and_rerun(s, tmp_path, capsys)
    assert session == rerun


NAMES = ["Aghilas", "Taziri", "Amastan", "Itri", "Tassadit"]
LONG = {
    "name": "long-storm",
    "seed": 2,
    "until": 200_000,
    "network": {"loss": 0.05},
    "proposals": [{"at": 0, "caravan": n, "campsite": f"Camp {n}"} for n in NAMES],
    "timeline": [{"at": 1, "sandstorm": [[n] for n in NAMES]}],
}


def test_acting_late_in_a_long_run_reuses_the_recorded_past(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.json"
    path.write_text(json.dumps(LONG), encoding="utf-8")
    s = Session(str(path), load_scenario_file(path), Screen(io.StringIO()))
    do(
        s,
        "/log quiet",
        "/run 120000",
        "/sandstorm Aghilas,Taziri,Amastan | Itri,Tassadit",
        "/goto 60000",
    )
    assert s.tm.position > 3000

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt from t=0")

    with monkeypatch.context() as patch:
        patch.setattr(TimeMachine, "__init__", no_rebuild)
        do(s, "/calm", "/run +5000", "/crash Itri")
    do(s, "/run")
    session, rerun = save_and_rerun(s, tmp_path, capsys)
    assert session == rerun


def test_when_the_reused_past_cannot_be_trusted_the_session_rebuilds_and_stays_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import desert_paxos.repl._machine as machine

    monkeypatch.setattr(machine, "rescripted", lambda *args: None)
    s = open_session("dueling-proposers")
    do(s, "/step 40", "/crash Itri", "/back 10", "/sandstorm Aghilas | Taziri", "/run")
    session, rerun = save_and_rerun(s, tmp_path, capsys)
    assert session == rerun
