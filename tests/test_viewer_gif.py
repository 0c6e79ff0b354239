"""The animated GIF: frame count, size, frames that differ, the cap, pacing and determinism."""

from __future__ import annotations

import itertools
from pathlib import Path

from PIL import Image, ImageChops

from desert_paxos.viewer import gif_frames, gif_steps, write_gif
from desert_paxos.viewer._gif import HEIGHT, WIDTH

from .viewer_traces import LONG_DAY, trace_of, trace_of_data


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
    assert sum("knows the campsite" in c for c in captions) == 5
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
    for name in ("calm-day", "sandstorm-minority"):
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
