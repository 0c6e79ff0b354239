"""``python -m desert_paxos`` is the ``desert-paxos`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
