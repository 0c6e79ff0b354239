"""``python -m desert_paxos.desert caravan NAME --dir DIR ...``: one caravan process.

The same program as ``desert-paxos caravan``, started this way by ``desert up``
so that a caravan getting up loads only what a caravan needs.
"""

import sys

from ._args import caravan_parser
from ._node import caravan_main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["caravan"]:
        argv = argv[1:]
    args = caravan_parser().parse_args(argv)
    sys.exit(caravan_main(args.name, args.dir, args.incarnation, args.fd))
