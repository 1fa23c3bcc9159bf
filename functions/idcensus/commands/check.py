"""`idcensus check`: the connection test an admin runs first."""

from __future__ import annotations

import json

from idcensus.check import CheckReport

EXIT_OK, EXIT_TIER1, EXIT_USAGE = 0, 1, 2
STYLE = {"ok": "green", "denied": "red", "not_enabled": "yellow", "failed": "red", "skipped": "dim"}
LABEL = {"ok": "ok", "denied": "denied", "not_enabled": "not enabled", "failed": "failed", "skipped": "-"}


def add_parsers(sub) -> None:
    from idcensus.cli import parse_accounts, parse_regions
    from idcensus.collect.registry import TIERS

    c = sub.add_parser("check", help="assume the read role in each account and test every capability")
    c.add_argument("--accounts", type=parse_accounts, default=None, metavar="all|ID[,ID...]",
                   help="accounts to check (default all ACTIVE accounts of the organization)")
    c.add_argument("--role-name", required=True, help="the read role deployed in every member account")
    c.add_argument("--external-id", default=None, help="ExternalId the read role's trust requires")
    c.add_argument("--regions", type=parse_regions, default=("us-east-1",), metavar="r1[,r2...]",
                   help="regions enabled for Tier 3 (regional capabilities are probed in the first)")
    c.add_argument("--region", default=None, help="region of the calling session (default: AWS config)")
    c.add_argument("--workers", type=int, default=4, help="accounts checked at once")
    c.add_argument("--tier", action="append", choices=sorted(TIERS), default=None,
                   help="probe only this tier's capabilities (repeatable; default every tier)")
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(func=check_command)


def check_command(args, hooks=None) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, NoRegionError

    from idcensus.aws import ClientFactory, botocore_config
    from idcensus.check import run_check
    from idcensus.collect.org import describe_accounts, list_active_accounts, management_account_id
    from idcensus.errors import ConfigError

    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    if not session.region_name:
        raise NoRegionError()
    factory = ClientFactory.from_environment(session, hooks if hooks is not None else getattr(args, "hooks", None))
    factory.config = botocore_config(max_attempts=3)  # a connection test answers fast, even when AWS errs
    org = factory.client("organizations")
    try:
        if args.accounts is None:
            accounts = list_active_accounts(org)
        else:
            accounts = describe_accounts(org, args.accounts, management_account_id(org))
    except BotoCoreError as exc:
        raise ConfigError(f"cannot reach AWS ({exc}): check AWS_ENDPOINT_URL, network and region") from exc
    if not accounts:
        raise ConfigError("the organization has no ACTIVE accounts to check")
    from idcensus.collect.registry import CAPABILITIES

    tiers = set(getattr(args, "tier", None) or ())
    capabilities = tuple(c for c in CAPABILITIES if not tiers or c.tier in tiers)
    report = run_check(factory, accounts, role_name=args.role_name, external_id=args.external_id,
                       regions=args.regions, workers=args.workers, capabilities=capabilities)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        from rich.console import Console

        render(report, Console())
    return EXIT_OK if report.ok else EXIT_TIER1


def render(report: CheckReport, console) -> None:
    """The table (capability x account) and then one line per fix, each fix once."""
    from rich.table import Table

    table = Table(title=f"idcensus check - role {report.role_name} - {report.checked_at}")
    table.add_column("tier")
    table.add_column("capability")
    for a in report.accounts:
        table.add_column(f"{a.account_id}{' (management)' if a.management else ''}\n{a.name or ''}".strip())
    rows: dict[str, tuple[str, dict[str, str]]] = {}
    for a in report.accounts:
        for r in a.results:
            rows.setdefault(r.capability, (r.tier, {}))[1][a.account_id] = cell(r)
    table.add_row("", "assume role", *(
        "[green]ok[/]" if a.reachable else "[red]cannot assume[/]" for a in report.accounts))
    for name, (tier, cells) in rows.items():
        table.add_row(tier, name, *(cells.get(a.account_id, "[red]-[/]") for a in report.accounts))
    console.print(table)
    problems = report.problems()
    if not problems:
        console.print("[green]every capability works in every account[/]")
        return
    console.print("[bold]problems and how to fix them[/]")
    for fix, where in problems.items():
        console.print(f"- {', '.join(where)}:\n  {fix}", highlight=False, soft_wrap=True)
    if report.ok:
        console.print("[yellow]Tier 1 works everywhere: the census can run; the rest are optional tiers.[/]")
    else:
        console.print("[red]Tier 1 (required) fails in: "
                      f"{', '.join(a.account_id for a in report.accounts if not a.tier1_ok)}[/]")


def cell(r) -> str:
    text = LABEL.get(r.outcome, r.outcome)
    if r.outcome == "denied" and r.action:
        text += f" ({r.action})"
    return f"[{STYLE.get(r.outcome, 'white')}]{text}[/]"
