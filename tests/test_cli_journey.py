"""The journey from the command line: run checks it all, export gives the client history."""

from __future__ import annotations

import json
from pathlib import Path

from desert_paxos.scenario import load_builtin

from .test_cli_bad_input import cli


def test_run_a_journey_checks_everything_and_exits_0(tmp_path: Path) -> None:
    trace = tmp_path / "j.jsonl"
    done = cli("run", "calm-journey", "--log-level", "quiet", "--trace", str(trace))
    assert done.returncode == 0, done.stdout + done.stderr
    end = json.loads(trace.read_text(encoding="utf-8").splitlines()[-1])
    assert end["kind"] == "end" and end["linearizable"] == "linearizable"


def test_a_stale_read_fails_the_run_with_exit_1(tmp_path: Path) -> None:
    data = load_builtin("sandstorm-isolates-leader").to_json()
    data["variant"] = "stale-read"
    scenario = tmp_path / "stale.json"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    done = cli("run", str(scenario), "--log-level", "quiet")
    assert done.returncode == 1
    assert "linearizable" in done.stdout


def test_export_history_feeds_the_linearizability_checker(tmp_path: Path) -> None:
    trace, history = tmp_path / "j.jsonl", tmp_path / "h.jsonl"
    cli("run", "leader-collapses", "--log-level", "quiet", "--trace", str(trace))
    done = cli("export", str(trace), "--history", str(history))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in history.read_text(encoding="utf-8").splitlines()]
    invokes = [x for x in lines if x["type"] == "invoke"]
    assert len(invokes) == 12 and {x["process"] for x in invokes} == {"Ines", "Tin"}
    assert cli("linearizable", str(history)).returncode == 0


def test_export_history_of_a_single_decree_trace_is_refused(tmp_path: Path) -> None:
    trace = tmp_path / "day.jsonl"
    cli("run", "calm-day", "--log-level", "quiet", "--trace", str(trace))
    done = cli("export", str(trace), "--history", str(tmp_path / "h.jsonl"))
    assert done.returncode == 2 and "single-decree" in done.stderr
    assert not (tmp_path / "h.jsonl").exists()


def test_swarm_of_journeys_from_the_command_line(tmp_path: Path) -> None:
    done = cli("swarm", "--protocol", "multi-paxos", "--seeds", "20", "--executor", "inline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "20 held, 0 failed" in done.stdout
    wrong = cli("swarm", "--protocol", "multi-paxos", "--variant", "forgetful-acceptor")
    assert wrong.returncode == 2 and "stale-read" in wrong.stderr
    broken = ("--variant", "twice-executed", "--seeds", "10", "--executor", "inline")
    shrink = cli("swarm", "--protocol", "multi-paxos", *broken, "--shrink", "--out", str(tmp_path))
    assert "--protocol multi-paxos --variant twice-executed" in shrink.stdout
    assert shrink.returncode == 1, shrink.stdout + shrink.stderr
    shrunk = sorted(tmp_path.glob("swarm-*-shrunk.json"))
    assert len(shrunk) == 1 and "Shrunk seed" in shrink.stdout
    scenario = json.loads(shrunk[0].read_text(encoding="utf-8"))
    assert scenario["protocol"] == "multi-paxos" and scenario["variant"] == "twice-executed"
    # The shrunk journey still breaks "once" when run alone.
    replay = cli("run", str(shrunk[0]), "--log-level", "quiet")
    assert replay.returncode == 1, replay.stdout + replay.stderr


def test_replay_of_a_journey_tells_its_summary(tmp_path: Path) -> None:
    trace = tmp_path / "j.jsonl"
    cli("run", "leader-collapses", "--log-level", "quiet", "--trace", str(trace))
    done = cli("replay", str(trace))
    assert done.returncode == 0, done.stderr
    assert "Journey: 12 nights decided and executed, 12 requests answered" in done.stdout
    assert "the travellers' history: linearizable" in done.stdout
    assert "Night 1 is chosen" in done.stdout


def test_the_viewer_page_of_a_journey_has_its_log_view(tmp_path: Path) -> None:
    trace, page = tmp_path / "j.jsonl", tmp_path / "j.html"
    cli("run", "leader-collapses", "--log-level", "quiet", "--trace", str(trace))
    assert cli("export", str(trace), "--html", str(page)).returncode == 0
    text = page.read_text(encoding="utf-8")
    assert "<h2>The log: a command for every night</h2>" in text
    assert text.count("<tr><th>night ") == 12
    assert "<tr><th>night 1</th><td>chosen t=" in text and "known t=" in text
    assert "leads under banner" in text  # the page's story column speaks the journey's voice
    day, day_page = tmp_path / "d.jsonl", tmp_path / "d.html"
    cli("run", "calm-day", "--log-level", "quiet", "--trace", str(day))
    assert cli("export", str(day), "--html", str(day_page)).returncode == 0
    assert "log-view" not in day_page.read_text(encoding="utf-8")
