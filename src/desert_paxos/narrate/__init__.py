"""Narration: the story voice and the protocol voice, at four log levels."""

from ._narrator import Narrator, want_colour
from ._voices import LEVELS, event_level, fmt_ballot, protocol_voice, story_voice

__all__ = [
    "LEVELS",
    "Narrator",
    "event_level",
    "fmt_ballot",
    "protocol_voice",
    "story_voice",
    "want_colour",
]
