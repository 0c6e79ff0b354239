"""The trace: JSON Lines, the single source of truth every view of a run reads."""

from ._io import TRACE_FORMAT, TraceError, TraceWriter, dump_event, parse_trace_lines, read_trace

__all__ = [
    "TRACE_FORMAT",
    "TraceError",
    "TraceWriter",
    "dump_event",
    "parse_trace_lines",
    "read_trace",
]
