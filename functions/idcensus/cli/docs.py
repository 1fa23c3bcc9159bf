"""`idcensus docs`: bring the README's generated blocks (capabilities, tier policies) up to date."""

from __future__ import annotations

import sys
from pathlib import Path

from idcensus.cli.failures import EXIT_OK, EXIT_PARTIAL


def add_parser(sub) -> None:
    d = sub.add_parser("docs", help="regenerate the README blocks made from the capability registry")
    d.add_argument("path", nargs="?", default="README.md", help="the file holding <!-- gen:NAME --> blocks")
    d.add_argument("--check", action="store_true", help="exit 1 when the file is stale instead of writing it")
    d.set_defaults(func=run)


def run(args, hooks=None) -> int:
    from idcensus.docgen import render

    path = Path(args.path)
    text = path.read_text()
    fresh = render(text)
    if args.check:
        if fresh != text:
            print(f"idcensus: {path} is stale: run 'idcensus docs {path}'", file=sys.stderr)
            return EXIT_PARTIAL
        return EXIT_OK
    if fresh != text:
        path.write_text(fresh)
        print(f"updated {path}")
    return EXIT_OK
