"""The command line on good input: run, replay, scenarios, check, schema, --help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desert_paxos.scenario import BUILTIN_NAMES, JOURNEY_NAMES, load_builtin

from .test_cli_bad_input import cli

GOLDEN = Path(__file__).parent / "golden"


def test_calm_day_narration_matches_the_golden_story() -> None:
    done = cli("run", "calm-day")
    assert done.returncode == 0
    assert done.stdout == (GOLDEN / "calm-day-info.txt").read_text(encoding="utf-8")


def test_debug_level_adds_the_protocol_voice_and_deliveries() -> None:
    info = cli("run", "calm-day").stdout
    debug = cli("run", "calm-day", "--log-level", "debug").stdout
    assert "PREPARE (1, Aghilas)" in debug and "PREPARE" not in info
    assert "│ Aghilas → all  PREPARE (1, Aghilas)" in debug
    assert "deliver #" in debug
    assert len(debug.splitlines()) > len(info.splitlines())


def test_trace_level_adds_timers_and_logbook_writes() -> None:
    out = cli("run", "calm-day", "--log-level", "trace").stdout
    assert "writes in its logbook" in out and "timer" in out


def test_quiet_prints_only_the_summary() -> None:
    out = cli("run", "calm-day", "--log-level", "quiet").stdout
    assert out.startswith("── summary")
    assert "Decision: Oasis of Siwa" in out
    assert "Messages: 24 sent, 24 delivered, 0 lost" in out


def test_nack_reason_is_told_at_info() -> None:
    out = cli("run", "dueling-proposers").stdout
    assert "refuses" in out and "already promised" in out


def test_adoption_is_told() -> None:
    out = cli("run", "proposer-collapses").stdout
    assert "carries Oasis of Siwa forward instead of its own wish, Wells of Timbuktu" in out
    assert "heart of Paxos safety" in out


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_builtin_meets_its_expectation(name: str) -> None:
    done = cli("run", name, "--log-level", "quiet")
    assert done.returncode == 0, done.stdout
    assert "Expectation met" in done.stdout
    assert load_builtin(name).expect.decided is not None


def test_an_unmet_expectation_exits_1(tmp_path: Path) -> None:
    doc = load_builtin("calm-day").to_json()
    doc["expect"] = {"decided": "Wells of Timbuktu"}
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = cli("run", str(path), "--log-level", "quiet")
    assert done.returncode == 1
    assert "Expectation not met" in done.stdout
    assert f"desert-paxos run {path} --seed 1" in done.stdout


def test_a_violation_exits_1_with_story_and_reproduction(tmp_path: Path) -> None:
    doc = load_builtin("proposer-collapses").to_json()
    doc["variant"] = "stubborn-proposer"
    path = tmp_path / "stubborn.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = cli("run", str(path), "--log-level", "quiet")
    assert done.returncode == 1
    assert "Invariant broken:" in done.stdout
    assert "The events that led there:" in done.stdout
    assert f"desert-paxos run {path} --seed 2 --log-level debug" in done.stdout


def test_trace_then_replay_tells_the_same_story(tmp_path: Path) -> None:
    trace = tmp_path / "storm.jsonl"
    live = cli("run", "sandstorm-minority", "--trace", str(trace))
    replayed = cli("replay", str(trace))
    assert live.returncode == replayed.returncode == 0
    live_story = live.stdout.split("── summary")[0]
    assert replayed.stdout.startswith(live_story)
    header = json.loads(trace.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "desert-paxos-trace/1"
    assert header["caravans"] == list(load_builtin("sandstorm-minority").caravans)
    assert header["quorum"] == 3


def test_trace_lines_have_sorted_keys(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    cli("run", "lossy-desert", "--trace", str(trace), "--log-level", "quiet")
    for line in trace.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        assert list(obj) == sorted(obj)


def test_seed_and_until_override(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    cli(
        "run",
        "lossy-desert",
        "--seed",
        "99",
        "--until",
        "50",
        "--trace",
        str(trace),
        "--log-level",
        "quiet",
    )
    lines = [json.loads(x) for x in trace.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["seed"] == 99 and lines[0]["until"] == 50
    assert lines[-1]["kind"] == "end" and lines[-1]["t"] == 50


def test_scenarios_lists_one_line_each() -> None:
    out = cli("scenarios").stdout.splitlines()
    assert [line.split()[0] for line in out] == list(BUILTIN_NAMES + JOURNEY_NAMES)
    assert all(len(line.split(maxsplit=1)[1]) > 20 for line in out)


def test_check_accepts_builtins_and_toml(tmp_path: Path) -> None:
    toml = tmp_path / "desert.toml"
    toml.write_text(
        'name = "toml-desert"\nseed = 4\n\n[network]\nloss = 0.1\n\n'
        '[[proposals]]\nat = 0\ncaravan = "Itri"\ncampsite = "Siwa"\n\n'
        '[[timeline]]\nat = 20\nsandstorm = [["Itri", "Taziri"]]\n',
        encoding="utf-8",
    )
    done = cli("check", "calm-day", str(toml))
    assert done.returncode == 0, done.stderr
    assert "toml-desert" in done.stdout
    run = cli("run", str(toml), "--log-level", "quiet")
    assert run.returncode == 0


def test_schema_is_json_and_names_the_fields() -> None:
    schema = json.loads(cli("schema").stdout)
    assert set(schema["properties"]) >= {
        "caravans",
        "quorum",
        "network",
        "proposals",
        "timeline",
        "expect",
    }


@pytest.mark.parametrize("command", ["run", "replay", "scenarios", "check", "schema", "magic"])
def test_help_everywhere_has_examples(command: str) -> None:
    done = cli(command, "--help")
    assert done.returncode == 0
    assert "examples:" in done.stdout


def test_top_level_help_and_version() -> None:
    assert "examples:" in cli("--help").stdout
    assert cli("--version").stdout.startswith("desert-paxos ")


def test_colour_only_when_wanted_and_no_color_wins() -> None:
    import os
    import subprocess
    import sys

    def run(**env: str) -> str:
        full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        full.update(env)
        return subprocess.run(
            [sys.executable, "-m", "desert_paxos", "run", "calm-day"],
            capture_output=True,
            text=True,
            env=full,
            check=False,
        ).stdout

    assert "\x1b[" not in run()  # a pipe is not a terminal: plain text
    assert "\x1b[" in run(FORCE_COLOR="1")
    assert "\x1b[" not in run(FORCE_COLOR="1", NO_COLOR="1")
