"""`idcensus demo`: run the census on an embedded AWS emulator and show the export.

Only a launcher (named so: no module called demo ships, see tests/unit/test_layout.py): the demo
itself is idcensus_emulator.demo, installed with the emulator, never in the Lambda package."""

from __future__ import annotations

from idcensus.errors import ConfigError


def add_parser(sub) -> None:
    d = sub.add_parser("demo", help="run the census on an embedded AWS emulator and show the export")
    d.add_argument("--out", default="idcensus-demo-export", help="folder the exported files are copied to")
    d.set_defaults(func=run)


def run(args, hooks=None) -> int:
    try:
        from idcensus_emulator.demo import run_demo
    except ImportError as exc:
        raise ConfigError("the demo needs the emulator: run 'make demo' from a checkout "
                          "(or pip install -e '.[emulator]')") from exc
    return run_demo(args.out)
