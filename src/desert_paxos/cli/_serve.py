"""``desert-paxos serve``: the live desert in the browser, driven by the REPL's own session."""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

from ._common import CliError, add_scenario_arguments, add_subcommand, load_scenario_arg

__all__ = ["register"]

_EXAMPLES = """\
  desert-paxos serve                          the calm day at http://127.0.0.1:8000/
  desert-paxos serve sandstorm-minority --open
  desert-paxos serve my-desert.json --port 0  any free port (the address is printed)
  desert-paxos serve --host 0.0.0.0           a classroom: students follow over the network
"""

_DESCRIPTION = """\
A local web page on the live desert: step, play, travel back and forth in time
(acting in the past forks the future, as in the REPL), click a caravan to crash,
recover or propose, draw sandstorms, drop riders, set loss and delay, load a
built-in or uploaded scenario, save the session and export its trace, read the
story at any level and type REPL commands. /follow/ID lets other browsers watch
the session read-only; /explore walks the model checker's states by hand.
Needs the web extra (pip install 'desert-paxos[web]'). Ctrl-C stops it."""

DEFAULT_PORT = 8000


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(
            f"a port is a whole number from 0 (any free port) to 65535, got {text!r}"
        )
    return int(text)


def register(subparsers: Any) -> None:
    p = add_subcommand(
        subparsers,
        "serve",
        "the live desert in the browser: click to crash, draw sandstorms, scrub time, explore",
        _EXAMPLES,
        _DESCRIPTION,
    )
    add_scenario_arguments(p)
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"the port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    p.add_argument(
        "--host",
        default=None,
        help="the address to listen on (default 127.0.0.1, this machine only; "
        "any other opens the server to the network, with a warning)",
    )
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise CliError(
            "desert-paxos serve needs the web extra: pip install 'desert-paxos[web]' "
            "(Starlette, uvicorn and websockets)"
        ) from None
    scenario = load_scenario_arg(args.scenario)
    from ..serve import LOCAL_HOSTS, MAX_FRAME_BYTES, make_app

    host = args.host if args.host is not None else "127.0.0.1"
    if args.host is not None and args.host not in LOCAL_HOSTS:
        print(
            f"desert-paxos serve: warning: listening on {host}, not only 127.0.0.1: anyone who "
            "can reach this machine can open the page and drive a session (no password)",
            file=sys.stderr,
        )
    listener = _listen(host, args.port)
    port = listener.getsockname()[1]
    app = make_app(args.scenario, scenario, args.seed, local_only=args.host is None)
    config = uvicorn.Config(
        app,
        log_level="warning",
        ws_max_size=MAX_FRAME_BYTES,
        timeout_graceful_shutdown=3,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/"
    print(f"Desert Paxos: the live desert at {url} (explore mode at {url}explore).", flush=True)
    print("Ctrl-C stops the server.", flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    print("Stopped.", flush=True)
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or one line saying why not (exit 2)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise CliError(f"--host {host!r}: not an address to listen on ({exc})") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = "; --port 0 picks a free one" if exc.errno in (98, 48) else ""
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    return sock
