"""``desert-paxos export``: a trace as a self-contained HTML viewer and/or an animated GIF,
or a journey's client history for the linearizability checker (``--history``).

Both pictures read only the trace file (see :mod:`desert_paxos.viewer`), so a
trace from ``run --trace``, the REPL or the explorer opens the same way. The
viewer package, and Pillow with it, is imported only when this command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from .._files import check_output, write_output
from ..trace import TraceError, read_trace
from ._common import EXIT_OK, CliError, add_subcommand, positive_int

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos run sandstorm-minority --trace storm.jsonl --log-level quiet
  desert-paxos export storm.jsonl --html storm.html     open it in any browser, even offline
  desert-paxos export storm.jsonl --gif storm.gif --max-frames 60
  desert-paxos export storm.jsonl --html storm.html --gif storm.gif
  desert-paxos run leader-collapses --trace j.jsonl --log-level quiet
  desert-paxos export j.jsonl --history h.jsonl         then: desert-paxos linearizable h.jsonl
exit codes: 0 written, 2 bad input (unreadable trace, unwritable output)
"""


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "export",
        "turn a trace into a scrubbable HTML viewer and/or an animated GIF",
        _EXAMPLES,
    )
    p.add_argument("trace", metavar="TRACE", help="a JSON Lines trace file (from run --trace)")
    p.add_argument(
        "--html", metavar="OUT.html", help="write the self-contained space-time viewer here"
    )
    p.add_argument("--gif", metavar="OUT.gif", help="write the animated desert map here")
    p.add_argument(
        "--history",
        metavar="OUT.jsonl",
        help="a journey's travellers' history, one invoke/ok/fail per line, in the format "
        "`desert-paxos linearizable` reads",
    )
    p.add_argument(
        "--max-frames",
        type=positive_int,
        default=None,
        metavar="N",
        help="at most N frames in the GIF (default 120); key moments are kept first",
    )
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    if not args.html and not args.gif and not args.history:
        raise CliError(
            "say what to make: --html OUT.html, --gif OUT.gif and/or --history OUT.jsonl"
        )
    if args.max_frames is not None and not args.gif:
        raise CliError("--max-frames only applies to --gif OUT.gif")
    try:
        header, events = read_trace(args.trace)
    except TraceError as exc:
        hint = ""
        if exc.line <= 1 and "no such file" not in exc.message:
            hint = " (a trace is what `desert-paxos run SCENARIO --trace FILE` writes)"
        raise CliError(f"{exc}{hint}") from None

    # Both outputs are checked before anything is drawn: never over the trace, nor each other.
    inputs = [("trace", args.trace)]
    if args.html:
        check_output(args.html, what="the page", inputs=inputs)
        inputs.append(("page given to --html", args.html))
    if args.gif:
        check_output(args.gif, what="the GIF", inputs=inputs)
        inputs.append(("GIF given to --gif", args.gif))
    if args.history:
        if header.get("protocol") != "multi-paxos":
            raise CliError(
                f"{args.trace} is a single-decree trace: only a journey "
                '("protocol": "multi-paxos") has travellers, and so a history'
            )
        check_output(args.history, what="the history", inputs=inputs)
        _write_history(events, args.history)

    from .. import viewer

    if args.html:
        viewer.write_html(header, events, args.html)
        print(f"wrote {args.html}: {len(events)} events, self-contained; open it in a browser")
    if args.gif:
        frames = args.max_frames or viewer.MAX_FRAMES
        try:
            count = viewer.write_gif(header, events, args.gif, max_frames=frames)
        except ImportError:
            raise CliError("--gif needs Pillow: pip install 'pillow>=10.1'") from None
        print(f"wrote {args.gif}: {count} frames")
    return EXIT_OK


def _write_history(events: list[dict[str, Any]], path: str) -> None:
    """The travellers' requests and answers as the linearizability checker's JSON Lines."""
    from ..check._journey import history_events
    from ..trace import dump_event

    history = history_events(events)
    write_output(path, "".join(dump_event(e) + "\n" for e in history), what="the history")
    print(
        f"wrote {path}: {len(history)} history events; check it: desert-paxos linearizable {path}"
    )
