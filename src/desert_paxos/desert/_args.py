"""The arguments of one caravan process, apart so that the command line loads nothing heavy."""

from __future__ import annotations

import argparse

__all__ = ["add_caravan_arguments", "caravan_parser"]


def add_caravan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the caravan this process is")
    parser.add_argument("--dir", required=True, help="the desert's folder (desert.json, logbooks)")
    parser.add_argument(
        "--incarnation", type=int, default=0, help="which life of this caravan (0 the first)"
    )
    parser.add_argument("--fd", type=int, required=True, help="its UDP socket, an open descriptor")


def caravan_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="desert-paxos caravan")
    add_caravan_arguments(parser)
    return parser
