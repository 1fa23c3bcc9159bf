"""The `idcensus` command: collect, demo, schema."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from idcensus.aws import ClientFactory
from idcensus.census import RunSummary, run_census
from idcensus.collect.account import AccountInfo, CollectOptions
from idcensus.collect.org import describe_accounts, list_active_accounts
from idcensus.collect.registry import TIERS, actions_for_tier, tier_policy
from idcensus.errors import ConfigError, IdcensusError
from idcensus.store.export import DEFAULT_PREFIX, Exporter
from idcensus.store.setup import ensure_bucket, ensure_table
from idcensus.store.state import StateTable

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("idcensus")
# Subcommands declared beside the code they drive.
COMMAND_MODULES = ("idcensus.commands.activity", "idcensus.commands.check", "idcensus.commands.docs")


def parse_accounts(value: str) -> list[str] | None:
    if value == "all":
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in ids if not re.fullmatch(r"\d{12}", v)]
    if not ids or bad:
        raise argparse.ArgumentTypeError(f"expected 'all' or 12-digit account IDs separated by commas, got {value!r}")
    return ids


def parse_regions(value: str) -> tuple[str, ...]:
    regions = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [r for r in regions if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", r)]
    if not regions or bad:
        raise argparse.ArgumentTypeError(f"expected region names separated by commas (e.g. us-east-1,eu-west-1), got {value!r}")
    return regions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idcensus", description="Identity census for AWS Organizations.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every capability outcome")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("collect", help="collect every identity of the accounts and publish an export")
    c.add_argument("--accounts", type=parse_accounts, default=None, metavar="all|ID[,ID...]", required=True)
    c.add_argument("--role-name", required=True, help="the read role deployed in every member account")
    c.add_argument("--external-id", default=None, help="ExternalId the read role's trust requires")
    c.add_argument("--table", required=True, help="DynamoDB table for current state")
    c.add_argument("--bucket", required=True, help="S3 bucket for exports")
    c.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"export prefix (default {DEFAULT_PREFIX})")
    c.add_argument("--region", default=None, help="region of the table and bucket (default: AWS config)")
    c.add_argument("--create-storage", action="store_true", help="create the table and bucket when missing")
    c.add_argument("--account-workers", type=int, default=4, help="accounts collected at once")
    c.add_argument("--regions", type=parse_regions, default=None, metavar="R[,R...]",
                   help="regions for Tier 3 resources (default: the AWS config region)")
    c.add_argument("--json", action="store_true", help="print the run summary as JSON")

    d = sub.add_parser("demo", help="run the census on an embedded AWS emulator and show the export")
    d.add_argument("--out", default="idcensus-demo-export", help="folder the exported files are copied to")

    p = sub.add_parser("policy", help="print the IAM policy the member read role needs for a tier")
    p.add_argument("--tier", default="identity", choices=sorted(TIERS), help="permission tier (default identity)")

    s = sub.add_parser("schema", help="print the JSON Schema of the export records")
    s.add_argument("--write", metavar="DIR", help="write one file per record type into DIR instead")
    for module in COMMAND_MODULES:
        # Each adds its subcommands with set_defaults(func=...): func(args) -> exit code.
        importlib.import_module(module).add_parsers(sub)
    return parser


def main(argv: list[str] | None = None, hooks=None) -> int:
    """Run one subcommand. `hooks` are botocore hooks for every client made (the emulator's
    answers for calls moto lacks, or a test's faults); the installed command passes none."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.hooks = list(hooks or [])
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(message)s")
    try:
        if getattr(args, "func", None):
            return args.func(args)
        if args.command == "collect":
            return collect_command(args)
        if args.command == "demo":
            try:
                from idcensus_emulator.demo import run_demo
            except ImportError as exc:
                raise ConfigError("the demo needs the emulator: run 'make demo' from a checkout "
                                  "(or pip install -e '.[emulator]')") from exc
            return run_demo(args.out)
        if args.command == "policy":
            if not actions_for_tier(args.tier):
                raise ConfigError(f"tier {args.tier!r} has no collectors yet: it needs no permissions")
            print(json.dumps(tier_policy(args.tier), indent=2))
            return EXIT_OK
        return schema_command(args)
    except ConfigError as exc:
        print(f"idcensus: {' '.join(str(exc).split())}", file=sys.stderr)  # one line, even when AWS sent more
        return EXIT_USAGE
    except NoCredentialsError:
        print("idcensus: no AWS credentials found: set AWS_PROFILE or run 'aws configure'", file=sys.stderr)
        return EXIT_USAGE
    except NoRegionError:
        print("idcensus: no AWS region: pass --region or set AWS_REGION", file=sys.stderr)
        return EXIT_USAGE
    except (ClientError, BotoCoreError, IdcensusError) as exc:  # an AWS error no command turned into advice
        from idcensus.commands.activity import explain

        print(f"idcensus: {args.command}: {explain(exc, args.command)}", file=sys.stderr)
        return EXIT_USAGE


def schema_command(args) -> int:
    from pathlib import Path

    from idcensus.model.schema import all_schemas, write_schemas

    if args.write:
        for path in write_schemas(Path(args.write)):
            print(path)
    else:
        print(json.dumps(all_schemas(), indent=2, sort_keys=True))
    return EXIT_OK


def collect_command(args, hooks=None) -> int:
    summary = run_collect(args, hooks=hooks if hooks is not None else getattr(args, "hooks", None))
    if args.json:
        print(json.dumps(summary_json(summary), indent=2))
    else:
        print_summary(summary)
    return EXIT_OK if summary.all_ok else EXIT_PARTIAL


def run_collect(args, hooks=None) -> RunSummary:
    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    region = session.region_name
    if not region:
        raise NoRegionError()
    factory = ClientFactory.from_environment(session, hooks)
    try:
        ensure_table(factory.client("dynamodb"), args.table, args.create_storage)
        ensure_bucket(factory.client("s3"), args.bucket, region, args.create_storage)
        org = factory.client("organizations")
        accounts, org_accounts = select_accounts(org, args.accounts)
    except BotoCoreError as exc:
        raise ConfigError(f"cannot reach AWS ({exc}): check AWS_ENDPOINT_URL, network and region") from exc
    if not accounts:
        raise ConfigError("the organization has no ACTIVE accounts to collect")
    state = StateTable(factory.resource("dynamodb"), args.table)
    exporter = Exporter(factory.client("s3"), args.bucket, args.prefix)
    known = org_accounts is not None
    options = CollectOptions(regions=getattr(args, "regions", None) or (region,),
                             org_accounts=org_accounts if known else tuple(a.account_id for a in accounts))
    with _progress(len(accounts)) as advance:
        return run_census(
            factory, accounts, role_name=args.role_name, external_id=args.external_id, state=state,
            exporter=exporter, account_workers=max(1, args.account_workers), on_account=advance, options=options,
            record_organization=known,
        )


def select_accounts(org, subset: list[str] | None) -> tuple[list[AccountInfo], tuple[str, ...] | None]:
    """The accounts to collect, and every ACTIVE account of the organization (None when it cannot be
    listed). One organization walk serves both: sister accounts outside an explicit --accounts subset
    are still inside the organization, and the payer is marked even when it is in the subset."""
    try:
        everyone = list_active_accounts(org)
    except IdcensusError as exc:
        if subset is None:
            raise
        log.warning("cannot list the organization's accounts (%s): only %s count as inside it",
                    exc, ", ".join(subset))
        return describe_accounts(org, subset), None
    ids = tuple(sorted(a.account_id for a in everyone))
    if subset is None:
        return everyone, ids
    by_id = {a.account_id: a for a in everyone}
    payer = next((a.account_id for a in everyone if a.management), None)
    others = [a for a in subset if a not in by_id]  # not ACTIVE members: described one by one
    chosen = [by_id[a] for a in subset if a in by_id] + (describe_accounts(org, others, payer) if others else [])
    return chosen, tuple(sorted({*ids, *subset}))


class _progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return lambda _outcome: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("collecting accounts"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("accounts", total=self.total)
        return lambda _outcome: self.bar.advance(task)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


def summary_json(summary: RunSummary) -> dict:
    return {
        "run_id": summary.run_id,
        "previous_run_id": summary.previous_run_id,
        "manifest_key": summary.manifest_key,
        "items_written": summary.items_written,
        "accounts": [
            {"account_id": a.account_id, "status": a.status, "records": a.records, "changes": a.changes,
             "items_written": a.items_written, "capabilities": a.capabilities, "error": a.error}
            for a in summary.accounts
        ],
    }


def print_summary(summary: RunSummary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"run {summary.run_id}")
    for col in ("account", "status", "records", "created", "updated", "deleted", "not ok"):
        table.add_column(col)
    for a in summary.accounts:
        not_ok = ", ".join(f"{k}={v}" for k, v in a.capabilities.items() if v != "ok") or (a.error or "")
        table.add_row(a.account_id, a.status, str(a.records), *(str(a.changes.get(k, 0)) for k in
                      ("created", "updated", "deleted")), not_ok)
    console = Console()
    console.print(table)
    console.print(f"manifest: {summary.manifest_key}  (previous run: {summary.previous_run_id or 'none'})")
    for a in summary.accounts:
        if a.status != "ok":
            console.print(f"[yellow]{a.account_id}[/]: {a.error or 'some capabilities were not collected'}"
                          " - see README 'Troubleshooting'")


if __name__ == "__main__":
    sys.exit(main())
