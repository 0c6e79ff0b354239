"""The README shows real output: its narrated excerpt is what `run` prints today."""

from __future__ import annotations

from pathlib import Path

from .test_cli_bad_input import cli

README = Path(__file__).parent.parent / "README.md"


def test_readme_quickstart_is_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("##", 1)[0]
    assert "make magic" in quickstart and "make test" in quickstart


def test_readme_narration_excerpt_is_real_output() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## What a run looks like", 1)[1]
    excerpt = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    output = cli("run", "proposer-collapses").stdout.splitlines()
    assert len(excerpt) > 10
    assert [line for line in excerpt if line not in output] == []
