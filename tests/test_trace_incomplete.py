"""A trace without its ``end`` event (a run killed mid-way) is told as incomplete by ``replay``,
the HTML viewer and the GIF, with the counts of what it does hold; and the GIF's text fits,
whatever the length of the names in the trace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from desert_paxos.trace import read_trace, summarize_trace
from desert_paxos.viewer import gif_frames, gif_steps, page_data, write_gif

from .test_cli_bad_input import cli
from .viewer_traces import trace_of


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trace") / "storm.jsonl"
    done = cli("run", "sandstorm-minority", "--trace", str(path), "--log-level", "quiet")
    assert done.returncode == 0, done.stderr
    return path


def _cut(storm: Path, tmp_path: Path, lines: int) -> tuple[Path, list[dict[str, Any]]]:
    """The first ``lines`` lines of the trace, as a run killed there would have left them."""
    kept = storm.read_text(encoding="utf-8").splitlines(keepends=True)[:lines]
    path = tmp_path / f"cut-{lines}.jsonl"
    path.write_text("".join(kept), encoding="utf-8")
    return path, [json.loads(line) for line in kept[1:]]


def _count(events: list[dict[str, Any]], kind: str) -> int:
    return sum(e["kind"] == kind for e in events)


@pytest.mark.parametrize("name", ["calm-day", "sandstorm-minority", "dueling-proposers"])
def test_the_counts_of_a_whole_trace_are_the_simulators_own(name: str) -> None:
    _, events = trace_of(name)
    end = events[-1]
    summary = summarize_trace(events)
    assert summary["complete"]
    for field in ("t", "reason", "decided", "knowing", "sent", "delivered", "dropped"):
        assert summary[field] == end[field], field
    assert summary["duplicated"] == end["duplicated"]


def test_replay_tells_a_cut_trace_as_incomplete_with_what_it_holds(
    storm: Path, tmp_path: Path
) -> None:
    path, events = _cut(storm, tmp_path, 120)
    assert events[-1]["kind"] != "end"
    done = cli("replay", str(path), "--log-level", "quiet")
    assert done.returncode == 0, done.stderr
    sent, delivered = _count(events, "send"), _count(events, "deliver")
    assert sent > 0 and delivered > 0
    assert "INCOMPLETE trace" in done.stdout
    assert f"stops at t={events[-1]['t']}" in done.stdout
    assert f"Messages: {sent} sent, {delivered} delivered" in done.stdout
    assert "all held" not in done.stdout


def test_replay_of_a_header_alone_holds_nothing_and_says_so(storm: Path, tmp_path: Path) -> None:
    path, _ = _cut(storm, tmp_path, 1)
    done = cli("replay", str(path), "--log-level", "quiet")
    assert "INCOMPLETE trace" in done.stdout and "It holds 0 events" in done.stdout
    assert "all held" not in done.stdout


def test_replay_of_a_whole_trace_is_not_incomplete(storm: Path) -> None:
    done = cli("replay", str(storm), "--log-level", "quiet")
    assert "INCOMPLETE" not in done.stdout and "all held" in done.stdout


def test_the_viewer_page_carries_the_incomplete_banner(storm: Path, tmp_path: Path) -> None:
    header, events = read_trace(storm)
    assert page_data(header, events)["incomplete"] is None
    path, cut = _cut(storm, tmp_path, 60)
    header, events = read_trace(path)
    banner = page_data(header, events)["incomplete"]
    assert banner.startswith("INCOMPLETE trace")
    assert f"{_count(cut, 'send')} riders sent, {_count(cut, 'deliver')} delivered" in banner
    assert f"{_count(cut, 'drop')} lost" in banner
    done = cli("export", str(path), "--html", str(tmp_path / "cut.html"))
    assert done.returncode == 0, done.stderr
    assert 'id="incomplete-banner"' in (tmp_path / "cut.html").read_text(encoding="utf-8")


def test_the_gif_ends_on_the_incomplete_caption(storm: Path, tmp_path: Path) -> None:
    header, events = read_trace(_cut(storm, tmp_path, 60)[0])
    steps = gif_steps(events, header["caravans"])
    assert steps[-1].caption.startswith("INCOMPLETE trace")
    assert steps[-1].tier == 0  # a key step: kept however few frames are allowed
    header, events = read_trace(storm)
    assert not gif_steps(events, header["caravans"])[-1].caption.startswith("INCOMPLETE")


def test_a_header_alone_makes_a_one_frame_gif_that_says_it_is_incomplete(
    storm: Path, tmp_path: Path
) -> None:
    from desert_paxos.trace import incomplete_note
    from desert_paxos.viewer import build_model
    from desert_paxos.viewer._gif import GifStep, _Painter
    from desert_paxos.viewer._model import StateFold

    header, events = read_trace(_cut(storm, tmp_path, 1)[0])
    frames, _ = gif_frames(header, events)
    assert len(frames) == 1
    model = build_model(header, events)
    told = incomplete_note(summarize_trace(events))
    assert "It holds 0 events" in told
    expected = _Painter(model).frame(GifStep(0, 0, told), StateFold(model.caravans))
    assert frames[0].tobytes() == expected.tobytes()


def _with_huge_names(size: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The calm day, with a campsite and a scenario name of ``size`` characters."""
    header, events = trace_of("calm-day")
    decided = next(e["value"] for e in events if e["kind"] == "decide")
    huge = ("Wells of Timbuktu " * (size // 18 + 1))[:size]

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return huge if value == decided else value

    # The names are in the proposal, the decisions and the end: the caption, labels and title.
    events = [swap(e) if e["kind"] in ("propose", "decide", "end") else e for e in events]
    return dict(header, scenario=huge), events


def test_a_megabyte_campsite_name_still_makes_a_gif(tmp_path: Path) -> None:
    header, events = _with_huge_names(1_000_001)  # past Pillow's own limit of 1,000,000
    path = tmp_path / "huge.gif"
    count = write_gif(header, events, path, max_frames=6)
    with Image.open(path) as gif:
        assert gif.n_frames == count == 6
    captions = [s.caption for s in gif_steps(events, header["caravans"])]
    assert any(len(c) > 1_000_000 for c in captions)  # the story keeps the name; the GIF cuts it


def test_long_captions_end_with_an_ellipsis_and_short_ones_are_whole() -> None:
    from desert_paxos.viewer._gif import _caption_lines

    short = "Aghilas wishes to camp at Oasis of Siwa."
    assert _caption_lines(short) == [short]
    lines = _caption_lines("Timbuktu " * 100_000)
    assert len(lines) == 4 and lines[-1].endswith("...")
    assert all(len(line) <= 72 for line in lines)
