"""Write the docs' performance tables from ``benchmarks/results.json`` (``make bench`` runs it).

    .venv/bin/python benchmarks/tables.py           # rewrite the tables in README.md and docs/performance.md
    .venv/bin/python benchmarks/tables.py --check   # exit 1 if a table differs from results.json

Only the blocks between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` are
written (see ``figures.py``); each file is written whole beside itself and renamed
over, so a reader never sees half of it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from figures import DOCS, RESULTS, fill, tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only say whether they differ")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    try:
        results = json.loads(args.results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"benchmarks/tables.py: cannot read {args.results}: {exc}", file=sys.stderr)
        return 2
    rendered = tables(results)
    stale = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        new = fill(text, rendered)
        if new == text:
            continue
        stale.append(path)
        if not args.check:
            partial = path.with_name(path.name + ".tables-tmp")
            partial.write_text(new, encoding="utf-8")
            os.replace(partial, path)
    for path in stale:
        print(f"{'differs' if args.check else 'wrote'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
