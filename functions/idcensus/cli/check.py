"""`idcensus check`: the connection test an admin runs first (the work is in access_check.py)."""

from __future__ import annotations

import json
import logging

from botocore.exceptions import ClientError

from idcensus.access_check import run_check
from idcensus.cli import options
from idcensus.cli.check_render import render
from idcensus.cli.connect import connect
from idcensus.cli.failures import EXIT_OK, EXIT_PARTIAL
from idcensus.cli.progress import Progress
from idcensus.collect.org import describe_accounts, list_active_accounts
from idcensus.collect.registry import CAPABILITIES, TIERS
from idcensus.errors import ConfigError, translate

log = logging.getLogger("idcensus")
EXIT_TIER1 = EXIT_PARTIAL  # Tier 1 fails somewhere, or an account cannot be reached


def add_parser(sub) -> None:
    c = sub.add_parser("check", help="assume the read role in each account and test every capability")
    c.add_argument("--accounts", type=options.accounts, default=None, metavar="all|ID[,ID...]",
                   help="accounts to check (default all ACTIVE accounts of the organization)")
    options.add_role(c, required=True)
    c.add_argument("--regions", type=options.regions, default=("us-east-1",), metavar="r1[,r2...]",
                   help="regions enabled for Tier 3 (regional capabilities are probed in the first)")
    options.add_aws(c, "the calling session")
    c.add_argument("--workers", type=int, default=4, help="accounts checked at once")
    c.add_argument("--tier", action="append", choices=sorted(TIERS), default=None,
                   help="probe only this tier's capabilities (repeatable; default every tier)")
    c.add_argument("--wide", action="store_true",
                   help="one column per account, one row per capability (for a few accounts)")
    options.add_json(c, "the result")
    c.set_defaults(func=run)


def run(args, hooks=None) -> int:
    factory = connect(args, hooks, max_attempts=3)  # a connection test answers fast, even when AWS errs
    org = factory.client("organizations")
    if args.accounts is None:
        accounts = list_active_accounts(org)
    else:
        accounts = describe_accounts(org, args.accounts, payer(org))
    if not accounts:
        raise ConfigError("the organization has no ACTIVE accounts to check")
    tiers = set(args.tier or ())
    capabilities = tuple(c for c in CAPABILITIES if not tiers or c.tier in tiers)
    with Progress("checking accounts") as progress:
        progress.start(len(accounts))
        report = run_check(factory, accounts, role_name=args.role_name, external_id=args.external_id,
                           regions=args.regions, workers=args.workers, capabilities=capabilities,
                           on_account=progress.advance)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        from rich.console import Console

        render(report, Console(), wide=args.wide)
    return EXIT_OK if report.ok else EXIT_TIER1


def payer(org) -> str | None:
    """The management account, or None when Organizations says no (a standalone account, no access):
    the check goes on without it. No answer at all (endpoint, network) stops it, as every command."""
    try:
        return org.describe_organization()["Organization"].get("MasterAccountId")
    except ClientError as exc:
        log.warning("no management account known (%s)", translate(exc, "organizations:DescribeOrganization"))
        return None
