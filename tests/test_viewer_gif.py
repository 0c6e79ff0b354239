"""The animated GIF: frame count, size, frames that differ, the cap, pacing and determinism."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from desert_paxos.narrate import story_voice
from desert_paxos.viewer import _gif, build_model, gif_frames, gif_steps, write_gif
from desert_paxos.viewer._gif import _NOTE_INK, HEIGHT, WIDTH

from .viewer_traces import LONG_DAY, Event, by_hand, trace_of, trace_of_data


def _frames_of(path: Path) -> list[Image.Image]:
    frames = []
    with Image.open(path) as gif:
        for number in range(gif.n_frames):
            gif.seek(number)
            frames.append(gif.convert("RGB"))
    return frames


def test_calm_day_gif_has_one_frame_per_step_of_the_right_size(tmp_path: Path) -> None:
    header, events = trace_of("calm-day")
    out = tmp_path / "calm.gif"
    count = write_gif(header, events, out)
    steps = gif_steps(events, header["caravans"])
    assert count == len(steps)
    frames = _frames_of(out)
    assert len(frames) == count
    assert all(f.size == (WIDTH, HEIGHT) for f in frames)
    # Every step changes the picture: its caption at least, usually riders and states too.
    for before, after in itertools.pairwise(frames):
        assert ImageChops.difference(before, after).getbbox() is not None


def test_steps_tell_the_story_in_order_and_merge_a_broadcast() -> None:
    header, events = trace_of("calm-day")
    steps = gif_steps(events, header["caravans"])
    captions = [s.caption for s in steps]
    assert captions[0].startswith("Aghilas wishes to camp at Oasis of Siwa")
    assert any("sends riders to every caravan" in c for c in captions)
    knowing = [s.caption for s in steps if events[s.index]["kind"] == "decide"]
    assert len(knowing) == 5 and all("knows the campsite" in c for c in knowing)
    assert captions[-1] == "The day ends: the caravans camp at Oasis of Siwa."
    assert [s.index for s in steps] == sorted(s.index for s in steps)


def test_a_long_run_is_capped_and_keeps_every_key_moment() -> None:
    header, events = trace_of_data(LONG_DAY)
    assert len(events) > 10_000
    all_steps = gif_steps(events, header["caravans"])
    frames, durations = gif_frames(header, events, max_frames=40)
    assert len(all_steps) > 40
    assert len(frames) == len(durations) == 40
    key = [s for s in all_steps if s.tier == 0]
    assert len(key) < 40
    # Key moments stay up longer than riders, and the last frame longest of all.
    assert max(durations[:-1]) > min(durations)
    assert durations[-1] == max(durations)


def test_the_same_trace_gives_the_same_gif_bytes(tmp_path: Path) -> None:
    header, events = trace_of("sandstorm-minority")
    write_gif(header, events, tmp_path / "a.gif", max_frames=30)
    write_gif(header, events, tmp_path / "b.gif", max_frames=30)
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()


def test_a_sandstorm_frame_differs_from_a_calm_one() -> None:
    header, events = trace_of("sandstorm-minority")
    steps = gif_steps(events, header["caravans"])
    frames, _ = gif_frames(header, events, max_frames=len(steps))
    calm_at = next(i for i, s in enumerate(steps) if events[s.index]["kind"] == "calm")
    # The hatched sky of the storm covers the map's corner; after the calm it is plain sand.
    corner = (20, 60)
    assert frames[calm_at - 1].getpixel(corner) != frames[calm_at].getpixel(corner)


def test_an_empty_trace_still_makes_a_picture(tmp_path: Path) -> None:
    header, _ = trace_of("calm-day")
    assert write_gif(header, [], tmp_path / "empty.gif") == 1
    assert len(_frames_of(tmp_path / "empty.gif")) == 1


def test_the_readme_gifs_are_the_projects_own_current_pictures() -> None:
    docs = Path(__file__).resolve().parent.parent / "docs"
    for name in ("calm-day", "sandstorm-minority", "leader-collapses"):  # a journey's too
        header, events = trace_of(name)
        frames, durations = gif_frames(header, events)
        with Image.open(docs / f"{name}.gif") as gif:
            assert gif.size == (WIDTH, HEIGHT)
            assert gif.n_frames == len(frames), f"docs/{name}.gif is stale: run `make gifs`"
            shown = []
            for number in range(gif.n_frames):
                gif.seek(number)
                shown.append(gif.info["duration"])
        assert shown == durations, f"docs/{name}.gif is stale: run `make gifs`"


# -- what the frames explain --------------------------------------------------------------


def _texts_per_frame(
    monkeypatch: pytest.MonkeyPatch, header: Event, events: list[Event]
) -> tuple[list[list[str]], list[int]]:
    """Every text drawn on each frame, and how long each frame stays up."""
    drawn: list[list[str]] = []
    frame, text = _gif._Painter.frame, ImageDraw.ImageDraw.text

    def counting_frame(self: Any, *args: Any) -> Any:
        drawn.append([])
        return frame(self, *args)

    def recording_text(self: Any, xy: Any, told: Any, *args: Any, **kwargs: Any) -> Any:
        if drawn:
            drawn[-1].append(str(told))
        return text(self, xy, told, *args, **kwargs)

    monkeypatch.setattr(_gif._Painter, "frame", counting_frame)
    monkeypatch.setattr(ImageDraw.ImageDraw, "text", recording_text)
    _, durations = gif_frames(header, events, max_frames=400)
    return drawn, durations


def test_each_frame_names_every_caravans_promise_and_vote(monkeypatch: pytest.MonkeyPatch) -> None:
    header, events = trace_of("dueling-proposers")
    drawn, _ = _texts_per_frame(monkeypatch, header, events)
    assert sum("no promise yet" in texts for texts in drawn[:1]) == 1
    last: dict[str, Event] = {}
    for event in events:
        if event["kind"] == "persist":
            last[event["node"]] = event
    want = []
    for name in header["caravans"]:
        promised, vote = last[name]["promised"], last[name]["accepted"]
        want += [f"promised banner ({promised[0]}, {promised[1]})", f"voted {vote['value']}"]
        want.append(f"under ({vote['ballot'][0]}, {vote['ballot'][1]})")
    final = drawn[-1]
    assert all(line in final for line in want)
    decided = {e["value"] for e in events if e["kind"] == "decide"}
    assert final.count(f"knows {decided.pop()}") == len(header["caravans"])
    assert not any(re.fullmatch(r"b\d+", t) or "@" in t for texts in drawn for t in texts)


def test_a_teachers_note_is_the_caption_at_its_moment_and_stays_up_longer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    header, events = trace_of("calm-day")
    note = "Watch: three promises make a majority of five."
    events = by_hand(header, events, notes=((25, note),))
    steps = gif_steps(events, header["caravans"])
    told = [s for s in steps if s.note]
    assert len(told) == 1 and told[0].caption == story_voice(events[told[0].index])
    assert note in told[0].caption and events[told[0].index]["t"] >= 25
    drawn, durations = _texts_per_frame(monkeypatch, header, events)
    at = steps.index(told[0])
    assert " ".join(drawn[at]).count("three promises make a majority") == 1
    plain_key = [
        d for s, d in zip(steps[:-1], durations[:-1], strict=True) if s.tier == 0 and not s.note
    ]
    assert durations[at] > max(plain_key)
    # Framed in the note's own colour, which no other caption uses.
    frames, _ = gif_frames(header, events, max_frames=400)
    caption = (0, _gif._CAPTION_Y - 6, WIDTH, HEIGHT - 6)
    inked = [
        _NOTE_INK in {c for _, c in (f.crop(caption).getcolors(1 << 16) or [])} for f in frames
    ]
    assert inked == [s.note for s in steps]


def _map_colours(frame: Image.Image) -> set[tuple[int, int, int]]:
    area = frame.crop((10, _gif._MAP_TOP, WIDTH - 10, _gif._MAP_BOTTOM))
    return {colour for _, colour in area.getcolors(1 << 16) or []}


def test_majorities_are_ringed_and_the_chosen_campsite_has_its_strip() -> None:
    header, events = trace_of("dueling-proposers")
    model = build_model(header, events)
    steps = gif_steps(events, header["caravans"])
    frames, _ = gif_frames(header, events, max_frames=len(steps))
    first_majority, first_chosen = model.majorities[0].index, model.chosen[0].index
    for step, frame in zip(steps, frames, strict=True):
        colours = _map_colours(frame)
        ringed = any(m.index <= step.index <= m.until for m in model.majorities)
        assert (_gif._MAJORITY in colours) == ringed, f"frame at event {step.index}"
        assert (_gif._CHOSEN_STRIP in colours) == (step.index >= first_chosen)
    assert any(m.index <= s.index <= m.until for s in steps for m in model.majorities)
    assert first_majority < first_chosen


def test_a_run_that_broke_safety_ends_on_the_broken_rule_not_on_a_campsite() -> None:
    """The early learner decides on its own vote: the last caption (up longest) must not say the
    caravans camp there, and no caption may call the campsite chosen (no majority voted)."""
    header, events = trace_of_data(
        {
            "variant": "early-learner",
            "caravans": ["Aghilas", "Taziri", "Amastan"],
            "proposals": [{"at": 0, "caravan": "Aghilas", "campsite": "Oasis of Siwa"}],
        }
    )
    assert events[-1]["reason"] == "violation" and events[-1]["decided"] == "Oasis of Siwa"
    captions = [step.caption for step in gif_steps(events, header["caravans"])]
    assert "camp at" not in captions[-1] and "knowledge" in captions[-1]
    assert not [c for c in captions if "chosen under" in c]
    assert [c for c in captions if c.startswith("⛺ Aghilas knows the campsite: Oasis of Siwa")]


def test_the_legend_names_both_rings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gold ring (a proposer's majority) and the dashed red one (a caravan in both majorities,
    whose promise carries the chosen vote) are each named in the legend of every frame."""
    header, events = trace_of("calm-day")
    drawn, _ = _texts_per_frame(monkeypatch, header, events)
    assert drawn and all("majority" in t and "in both majorities" in t for t in drawn)
