"""The trace: JSON Lines, the single source of truth every view of a run reads."""

from ._io import TRACE_FORMAT, TraceError, TraceWriter, dump_event, parse_trace_lines, read_trace
from ._summary import INCOMPLETE, incomplete_note, summarize_trace, what_it_holds

__all__ = [
    "INCOMPLETE",
    "TRACE_FORMAT",
    "TraceError",
    "TraceWriter",
    "dump_event",
    "incomplete_note",
    "parse_trace_lines",
    "read_trace",
    "summarize_trace",
    "what_it_holds",
]
