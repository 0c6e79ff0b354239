"""The animated GIF of a journey: written for every journey built-in, deterministic, its key
steps and captions in the journey's story voice, and frames that draw the leader, the nights
known and executed, the travellers and the nights-chosen strip.

The journeys are real ones (``desert-paxos run NAME --trace``), exported as a reader would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from desert_paxos.trace import read_trace
from desert_paxos.viewer import _gif, gif_frames, gif_steps
from desert_paxos.viewer._gif import _HEARTBEAT, HEIGHT, WIDTH

from .test_cli_bad_input import cli
from .test_viewer_gif import _texts_per_frame

Event = dict[str, Any]
JOURNEYS = ("calm-journey", "leader-collapses", "sandstorm-isolates-leader")


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("journeys")
    out = {}
    for name in JOURNEYS:
        trace = folder / f"{name}.jsonl"
        done = cli("run", name, "--log-level", "quiet", "--trace", str(trace))
        assert done.returncode == 0, done.stdout + done.stderr
        out[name] = trace
    return out


def _steps(header: Event, events: list[Event]) -> list[_gif.GifStep]:
    return gif_steps(events, [str(c) for c in header["caravans"]], journey=True)


@pytest.mark.parametrize("name", JOURNEYS)
def test_each_journey_exports_a_deterministic_animated_gif(
    name: str, traces: dict[str, Path], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.gif", tmp_path / "b.gif"
    done = cli("export", str(traces[name]), "--gif", str(first))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    count = int(done.stdout.split(": ")[1].split()[0])  # "wrote a.gif: N frames"
    with Image.open(first) as gif:
        assert gif.format == "GIF" and gif.is_animated
        assert gif.size == (WIDTH, HEIGHT)
        assert gif.n_frames == count >= 20  # Pillow merges equal frames: none are
    assert cli("export", str(traces[name]), "--gif", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()


def test_elections_and_nights_chosen_are_key_steps_told_in_the_journeys_voice(
    traces: dict[str, Path],
) -> None:
    header, events = read_trace(traces["leader-collapses"])
    steps = _steps(header, events)
    key = {s.index: s for s in steps if s.tier == 0}
    elected = [i for i, e in enumerate(events) if e["kind"] == "elected"]
    chosen = [i for i, e in enumerate(events) if e["kind"] == "chosen"]
    assert len(elected) >= 2 and chosen
    assert all(i in key for i in elected + chosen)
    for i in chosen:  # the caption names the night and its command
        assert f"Night {events[i]['slot']} is chosen" in key[i].caption
        assert str(events[i]["value"]) in key[i].caption
    first = key[elected[0]].caption
    assert first.startswith(f"{events[elected[0]]['node']} leads under banner (1, ")
    crash = next(i for i, e in enumerate(events) if e["kind"] == "crash")
    assert "collapses" in key[crash].caption and "logbook survives" in key[crash].caption
    assert steps[-1].caption.startswith("The journey ends (quiet): 12 nights")
    # Past the cap the key steps are kept, heartbeats dropped first.
    kept = _gif._choose(steps, 60)
    assert len(kept) == 60 and all(s in kept for s in key.values())
    heartbeats = [s for s in steps if "a heartbeat of banner" in s.caption]
    assert heartbeats and all(s.tier == 2 for s in heartbeats)
    assert not any(s in kept for s in heartbeats)
    _, durations = gif_frames(header, events, max_frames=60)
    assert len(durations) == 60


def test_the_frames_draw_the_leader_the_nights_the_travellers_and_the_strip(
    traces: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    header, events = read_trace(traces["leader-collapses"])
    drawn, _ = _texts_per_frame(monkeypatch, header, events)
    steps = _gif._choose(_steps(header, events), 400)
    assert len(drawn) == len(steps)
    at = {s.index: texts for s, texts in zip(steps, drawn, strict=True)}
    elected = next(e for e in events if e["kind"] == "elected")
    leader, (round_, name) = elected["node"], elected["ballot"]
    after = at[events.index(elected)]
    assert f"leader, banner ({round_}, {name})" in after
    others = [c for c in header["caravans"] if c != leader]
    assert after.count(f"follows banner ({round_}, {name})") + sum(
        t.startswith("stands for banner") for t in after
    ) == len(others)
    crash = next(i for i, e in enumerate(events) if e["kind"] == "crash")
    assert f"{events[crash]['node']} - collapsed" in at[crash]
    final = drawn[-1]
    assert len({e["slot"] for e in events if e["kind"] == "chosen"}) == 12
    assert final.count("knows 12 nights, executed 12") == len(header["caravans"])
    assert any(t.startswith("* 12 nights chosen: ...") for t in final)
    assert any(t.endswith("12 get dates") for t in final)  # the latest night fits
    assert "12 of 12 requests answered" in final
    assert any(t.startswith("traveller, 6 of 6 answered") for t in final)
    assert [t for t in final if t in ("Ines", "Tin")] == ["Ines", "Tin"]
    # The single-decree words of a campsite's vote are never drawn on a journey.
    single = ("voted ", "no vote yet", "* chosen:")
    assert not any(t.startswith(single) for texts in drawn for t in texts)


def test_a_rider_of_an_unknown_kind_is_drawn_grey_and_a_known_one_in_its_colour() -> None:
    header = {"kind": "header", "protocol": "multi-paxos", "caravans": ["A", "B", "C"]}
    events: list[Event] = [
        {"kind": "send", "t": 0, "id": 1, "src": "A", "dst": "B", "msg": {"type": "mirage"},
         "arrive": 20},
        {"kind": "send", "t": 5, "id": 2, "src": "A", "dst": "C",
         "msg": {"type": "heartbeat", "ballot": [1, "A"], "executed": 0}, "arrive": 25},
        {"kind": "deliver", "t": 20, "id": 1, "src": "A", "dst": "B", "msg": {"type": "mirage"}},
        {"kind": "end", "t": 30, "reason": "quiet"},
    ]  # fmt: skip
    frames, _ = gif_frames(header, events)
    maps = [f.crop((11, 45, WIDTH - 11, 370)) for f in frames]  # the sand, not the legend
    colours = [{c for _, c in m.getcolors(maxcolors=1 << 16) or []} for m in maps]
    assert (85, 85, 85) in colours[0] and _HEARTBEAT not in colours[0]
    assert _HEARTBEAT in colours[1]


def test_a_journey_cut_short_ends_on_its_incomplete_note(
    traces: dict[str, Path], tmp_path: Path
) -> None:
    lines = traces["leader-collapses"].read_text(encoding="utf-8").splitlines()
    header, events = read_trace(traces["leader-collapses"])
    # Cut right after a broadcast, so the last riders' step and the note share an event.
    cut = next(
        s.index
        for s in _steps(header, events)
        if s.index > 300 and s.caption.startswith("Amastan sends every caravan")
    )
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(lines[: cut + 2]) + "\n", encoding="utf-8")
    header, events = read_trace(short)
    assert events[-1]["kind"] == "send"
    every = _steps(header, events)
    cap = sum(1 for s in every if s.tier < 2) + 1  # the last rider's step is kept, not all
    assert cap < len(every) and every[-2].index == every[-1].index == len(events) - 1
    steps = _gif._choose(every, cap)
    assert steps[-2] == every[-2]
    chosen = len({e["slot"] for e in events if e["kind"] == "chosen"})
    assert steps[-1].caption.startswith("INCOMPLETE trace")
    assert steps[-1].caption.endswith(f"Nights chosen in it: {chosen}.")
    gif = tmp_path / "short.gif"
    done = cli("export", str(short), "--gif", str(gif), "--max-frames", "30")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    with Image.open(gif) as picture:
        assert picture.n_frames == 30
