"""Narration: the story voice and the protocol voice, at four log levels."""

from ._glossary import GLOSSARY, Word, glossary_lines
from ._narrator import Narrator, off_seed_note, want_colour
from ._story import Story, StoryKeeper, Told
from ._voices import (
    LEVELS,
    RIDER_WORDS,
    event_level,
    fmt_ballot,
    protocol_voice,
    story_voice,
)

__all__ = [
    "GLOSSARY",
    "LEVELS",
    "RIDER_WORDS",
    "Narrator",
    "Story",
    "StoryKeeper",
    "Told",
    "Word",
    "event_level",
    "fmt_ballot",
    "glossary_lines",
    "off_seed_note",
    "protocol_voice",
    "story_voice",
    "want_colour",
]
