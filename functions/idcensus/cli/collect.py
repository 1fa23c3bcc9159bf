"""`idcensus collect`: collect every identity of the accounts and publish an export."""

from __future__ import annotations

import json
import logging

from idcensus.census import RunSummary, run_census
from idcensus.cli import options
from idcensus.cli.connect import connect
from idcensus.cli.failures import EXIT_OK, EXIT_PARTIAL
from idcensus.cli.progress import Progress
from idcensus.collect.contract import AccountInfo, CollectOptions
from idcensus.collect.org import describe_accounts, list_active_accounts
from idcensus.errors import ConfigError, IdcensusError
from idcensus.store.export import Exporter
from idcensus.store.setup import ensure_bucket, ensure_table
from idcensus.store.state import StateTable

log = logging.getLogger("idcensus")


def add_parser(sub) -> None:
    c = sub.add_parser("collect", help="collect every identity of the accounts and publish an export")
    c.add_argument("--accounts", type=options.accounts, default=None, metavar="all|ID[,ID...]", required=True)
    options.add_role(c, required=True)
    options.add_storage(c, prefix_flag="--prefix")
    options.add_aws(c, "the table and bucket")
    c.add_argument("--account-workers", type=int, default=4, help="accounts collected at once")
    c.add_argument("--regions", type=options.regions, default=None, metavar="R[,R...]",
                   help="regions for Tier 3 resources (default: the AWS config region)")
    options.add_json(c, "the run summary")
    c.set_defaults(func=run)


def run(args, hooks=None) -> int:
    summary = run_collect(args, hooks)
    if args.json:
        print(json.dumps(summary_json(summary), indent=2))
    else:
        print_summary(summary)
    return EXIT_OK if summary.all_ok else EXIT_PARTIAL


def run_collect(args, hooks=None) -> RunSummary:
    """One census run as the flags in `args` say (also what the demo and tests drive)."""
    factory = connect(args, hooks)
    region = factory.region
    ensure_table(factory.client("dynamodb"), args.table, args.create_storage)
    ensure_bucket(factory.client("s3"), args.bucket, region, args.create_storage)
    accounts, org_accounts = select_accounts(factory.client("organizations"), args.accounts)
    if not accounts:
        raise ConfigError("the organization has no ACTIVE accounts to collect")
    state = StateTable(factory.resource("dynamodb"), args.table)
    exporter = Exporter(factory.client("s3"), args.bucket, args.prefix, keep_written=True)  # one run, one process
    known = org_accounts is not None
    collect_options = CollectOptions(regions=getattr(args, "regions", None) or (region,),
                                     org_accounts=org_accounts if known else tuple(a.account_id for a in accounts))
    with Progress("collecting accounts") as progress:
        progress.start(len(accounts))
        return run_census(
            factory, accounts, role_name=args.role_name, external_id=args.external_id, state=state,
            exporter=exporter, account_workers=max(1, args.account_workers), on_account=progress.advance,
            options=collect_options, record_organization=known,
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
