"""The `idcensus` command. One module per subcommand (COMMANDS, in help order), each with
`add_parser(sub)` setting `func(args, hooks) -> exit code`; options.py holds the shared flags,
connect.py makes the AWS session and client factory, failures.py words every error that stops a
command. This module only builds the parser and dispatches."""

from __future__ import annotations

import argparse
import logging

from idcensus.aws import Hook
from idcensus.cli import (
    backfill,
    check,
    collect,
    demo_launcher,
    docs,
    events,
    findings,
    ocsf_export,
    policy,
    pull,
    query,
    report,
    schema,
)
from idcensus.cli.failures import run_reported

COMMANDS = (collect, demo_launcher, findings, policy, schema, backfill, events, check, docs, pull, query, report,
            ocsf_export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idcensus", description="Identity census for AWS Organizations.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every capability outcome")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None, hooks: list[Hook] | None = None) -> int:
    """Run one subcommand; its exit code: 0 ok, 1 partial (or Tier 1 failing), 2 usage or setup error.
    `hooks` are botocore hooks for every client made (the emulator's answers for calls moto lacks,
    or a test's faults); the installed command passes none."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(message)s")
    command = " ".join(filter(None, (args.command, getattr(args, "events_command", None))))
    return run_reported(args.func, args, list(hooks or []), command)
