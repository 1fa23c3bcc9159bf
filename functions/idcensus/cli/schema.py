"""`idcensus schema`: print (or write) the JSON Schema of the export records."""

from __future__ import annotations

import json
from pathlib import Path

from idcensus.cli.failures import EXIT_OK


def add_parser(sub) -> None:
    s = sub.add_parser("schema", help="print the JSON Schema of the export records")
    s.add_argument("--write", metavar="DIR", help="write one file per record type into DIR instead")
    s.set_defaults(func=run)


def run(args, hooks=None) -> int:
    from idcensus.model.schema import all_schemas, write_schemas

    if args.write:
        for path in write_schemas(Path(args.write)):
            print(path)
    else:
        print(json.dumps(all_schemas(), indent=2, sort_keys=True))
    return EXIT_OK
