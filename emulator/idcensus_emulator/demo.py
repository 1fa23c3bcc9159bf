"""`idcensus demo`: the whole job on an embedded emulator, shown as a vendor would see it."""

from __future__ import annotations

import json
import os
import time
from argparse import Namespace
from collections import Counter
from pathlib import Path

import boto3
from rich.console import Console
from rich.table import Table

from idcensus.store.export import decode_lines
from idcensus_emulator.demo_governance import show_governance
from idcensus_emulator.demo_resources import show_resources
from idcensus_emulator.demo_sso import show_identity_center
from idcensus_emulator.gaps import Recorded
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, member_session, seed_organization
from idcensus_emulator.server import moto_server

TABLE, BUCKET, PREFIX = "idcensus-demo", "idcensus-demo-exports", "idcensus/v1/"
REGIONS = ("us-east-1", "eu-west-1")
# Recorded-shape Cost Explorer answers (moto returns what is queued): Marketplace charges by product and vendor.
def _charge(product: str, vendor: str, amount: str) -> dict:
    return {"Keys": [product, vendor], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}


MARKETPLACE = [
    {"TimePeriod": {"Start": "2026-09-01", "End": "2026-10-01"}, "Total": {}, "Estimated": False, "Groups": [
        _charge("Acme SIEM Cloud", "Acme Security Inc.", "1250.00"),
        _charge("Okta Workforce Identity", "Okta, Inc.", "410.4000")]},
    {"TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"}, "Total": {}, "Estimated": False, "Groups": [
        _charge("Acme SIEM Cloud", "Acme Security Inc.", "1250.00")]},
]


def run_demo(out: str) -> int:
    from idcensus.cli.collect import print_summary, run_collect

    console = Console(width=max(Console().width, 140))
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # AWS-managed policies exist
    started = time.monotonic()
    recorded = Recorded()  # the answers for what moto lacks, filled by the seeds below
    with moto_server() as endpoint:
        console.rule(f"[bold]idcensus demo[/] - embedded AWS emulator at {endpoint}")
        org = seed_organization()
        console.print(f"seeded an organization: {', '.join(f'{n}={a}' for n, a in org.accounts.items())}")
        seed_more(console, org, endpoint, recorded)
        args = Namespace(accounts=None, role_name=READ_ROLE, external_id=EXTERNAL_ID, table=TABLE, bucket=BUCKET,
                         prefix=PREFIX, region="us-east-1", create_storage=True, account_workers=4, json=False,
                         regions=REGIONS)
        console.rule("run 1: first collection")
        first = run_collect(args, hooks=recorded.hooks())
        print_summary(first)

        prod = org.accounts["prod"]
        console.rule(f"between runs: user 'bob' is deleted in account {prod} (prod)")
        delete_user(org, prod, "bob")
        console.rule("run 2: collection after the deletion")
        second = run_collect(args, hooks=recorded.hooks())
        print_summary(second)

        console.rule("run 3: the deployed path - schedule -> planner -> SQS -> account collectors -> finisher")
        third = run_lambda_path(console, recorded)

        s3 = boto3.client("s3")
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=second.manifest_key)["Body"].read())
        show_counts(console, manifest)
        show_manifest(console, manifest)
        show_findings(console, s3, manifest)
        show_changes(console, s3, manifest)
        snapshot = read_files(s3, manifest, "snapshot")
        show_identity_center(console, snapshot)
        show_resources(console, snapshot)
        show_governance(console, snapshot)
        show_marketplace(console, snapshot)
        show_coverage(console, snapshot)

        from idcensus_emulator.demo_activity import demo_activity

        console.rule("activity: CloudTrail events -> last use, targeted refresh")
        demo_activity(console, org, TABLE, BUCKET, PREFIX, recorded.hooks())
        run_check_demo(console, org, recorded)
        folder = download(s3, Path(out))  # snapshots, changes, activity and quarantine
        console.print(f"\nexported files copied to [bold]{folder.resolve()}[/] "
                      f"(latest.json -> {third['manifest_key']})")
        from idcensus_emulator.demo_readers import demo_readers

        report = demo_readers(console, BUCKET, PREFIX, folder)
    console.print(f"demo finished in {time.monotonic() - started:.1f}s")
    console.print(f"open the report: [bold]{report.resolve()}[/]")
    return 0


def seed_more(console: Console, org, endpoint: str, recorded: Recorded) -> None:
    """Identity Center in the management account, resources in prod, Marketplace charges for the payer."""
    import urllib.request

    from idcensus_emulator.seed_governance import seed_governance
    from idcensus_emulator.seed_resources import seed_resources
    from idcensus_emulator.seed_sso import applications, seed_identity_center

    sso = seed_identity_center(boto3.Session(), list(org.accounts.values()), users=8, groups=3, permission_sets=4,
                               assignments=12, recorded=recorded)
    prod = org.accounts["prod"]
    seed_resources(member_session(prod, org.management_id), prod, REGIONS, recorded)
    seed_governance(boto3.Session(), member_session(prod, org.management_id), prod, REGIONS, recorded)
    recorded.sso_applications[sso["instance_arn"]] = applications(
        sso["instance_arn"], org.management_id, list(sso["users"].values()), list(sso["groups"].values()))
    body = json.dumps({"results": [{"ResultsByTime": MARKETPLACE}] * 3}).encode()
    request = urllib.request.Request(f"{endpoint}/moto-api/static/ce/cost-and-usage-results", data=body,
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - the emulator on loopback
    console.print(f"seeded Identity Center ({len(sso.get('assignments', []))} assignments, 2 applications), "
                  f"resources in prod ({', '.join(REGIONS)}), Access Analyzer in prod, a password policy, SAML and "
                  "OIDC providers, SCPs and an RCP, Marketplace charges for the payer")


def show_marketplace(console: Console, records: list[dict]) -> None:
    table = Table(title="Marketplace charges (billing.marketplace_charge, payer account)")
    for col in ("month", "vendor", "product", "cost"):
        table.add_column(col)
    for r in sorted((r for r in records if r["type"] == "billing.marketplace_charge"), key=lambda r: r["id"]):
        d = r["data"]
        table.add_row(d["month"], d["vendor"], d["product"], f"{d['cost']} {d['currency']}")
    console.print(table)


def show_coverage(console: Console, records: list[dict]) -> None:
    """What each account's run could read, capability by capability (the aws.account coverage)."""
    table = Table(title="coverage by account (aws.account collection.capabilities)")
    table.add_column("account")
    table.add_column("status")
    table.add_column("ok")
    table.add_column("not ok")
    for r in sorted((r for r in records if r["type"] == "aws.account"), key=lambda r: r["account_id"]):
        caps = r["data"]["collection"]["capabilities"]
        table.add_row(r["account_id"], r["data"]["collection"]["status"], str(sum(v == "ok" for v in caps.values())),
                      ", ".join(f"{k}={v}" for k, v in sorted(caps.items()) if v != "ok") or "-")
    console.print(table)


def run_lambda_path(console: Console, recorded: Recorded) -> dict:
    """The same census through the real Lambda handlers, fed the SQS messages moto holds."""
    from idcensus.aws import ClientFactory
    from idcensus_emulator.local import configure, run_pipeline

    env = configure(TABLE, BUCKET, READ_ROLE, EXTERNAL_ID, PREFIX)
    out = run_pipeline(env, ClientFactory.from_environment(hooks=recorded.hooks()))
    (notice,) = out["vendor_notices"]
    console.print(f"planner opened run {out['planned']['run_id']} for {out['planned']['accounts']} accounts; "
                  f"collector invocations {out['collected']}; dead-lettered {out['dead_lettered']['ok']}; "
                  f"finisher closed the run")
    console.print("message on the vendor queue:")
    console.print_json(json.dumps(notice))
    return notice


def delete_user(org, account_id: str, name: str) -> None:
    iam = member_session(account_id, org.management_id).client("iam")
    iam.delete_login_profile(UserName=name)
    for g in iam.list_groups_for_user(UserName=name)["Groups"]:
        iam.remove_user_from_group(GroupName=g["GroupName"], UserName=name)
    for p in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=p)
    iam.delete_user(UserName=name)


def download(s3, folder: Path) -> Path:
    """The exports, and the quarantine beside them (the admin's, outside the vendor's prefix)."""
    from idcensus.settings import QUARANTINE_PREFIX

    folder.mkdir(parents=True, exist_ok=True)
    for page in (page for prefix in (PREFIX, QUARANTINE_PREFIX)
                 for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)):
        for obj in page.get("Contents", []):
            target = folder / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read())
    return folder


def read_files(s3, manifest, kind: str, type_: str | None = None) -> list[dict]:
    records = []
    for f in manifest["files"]:
        if f["kind"] == kind and (type_ is None or f["type"] == type_):
            records += decode_lines(s3.get_object(Bucket=BUCKET, Key=f["key"])["Body"].read())
    return records


def show_counts(console: Console, manifest: dict) -> None:
    counts: Counter = Counter()
    for f in manifest["files"]:
        if f["kind"] == "snapshot":
            counts[(f["type"], f["account_id"])] += f["records"]
    types = sorted({t for t, _ in counts})
    accounts = sorted({a for _, a in counts})
    table = Table(title="records in the latest snapshot, by type and account")
    table.add_column("type")
    for a in accounts:
        table.add_column(a, justify="right")
    for t in types:
        table.add_row(t, *(str(counts[(t, a)]) for a in accounts))
    console.print(table)


def show_manifest(console: Console, manifest: dict) -> None:
    short = {k: v for k, v in manifest.items() if k != "files"}
    short["files"] = f"{len(manifest['files'])} files, e.g. {manifest['files'][0]}"
    console.rule("manifest.json (files abbreviated)")
    console.print_json(json.dumps(short))


def show_findings(console: Console, s3, manifest: dict) -> None:
    """The findings view of `idcensus findings` (open ones, most severe first) and the people."""
    from idcensus.cli.findings import findings_table, people_table, select

    findings = read_files(s3, manifest, "snapshot", "finding")
    console.print(findings_table(select(findings), f"findings of run {manifest['run_id']} "
                                                   "(idcensus findings --bucket ... --json for all fields)"))
    people = [p for p in read_files(s3, manifest, "snapshot", "identity.person") if len(p["data"]["identities"]) > 1]
    console.print(people_table(people, "people holding several identities (identity.person)"))


def show_changes(console: Console, s3, manifest: dict) -> None:
    table = Table(title=f"changes of run {manifest['run_id']} against {manifest['previous_run_id']}")
    for col in ("change", "type", "id"):
        table.add_column(col)
    for c in sorted(read_files(s3, manifest, "changes"), key=lambda c: (c["change"], c["type"], c["id"])):
        table.add_row(c["change"], c["type"], c["id"])
    console.print(table)


def run_check_demo(console: Console, org, recorded: Recorded) -> bool:
    """`idcensus check` with moto's permission enforcement on: prod's read role lacks Tier 2, so the
    table shows real AccessDenied answers for it, and the fix. Returns whether Tier 1 passed everywhere."""
    from moto.core import set_initial_no_auth_action_count

    from idcensus.access_check import run_check
    from idcensus.aws import ClientFactory
    from idcensus.cli.check_render import render
    from idcensus.collect.org import list_active_accounts
    from idcensus.collect.registry import TIERS, tier_policy
    from idcensus.permissions import CENTRAL_ACTIONS
    from idcensus_emulator.seed import emulated_tier_policy
    from idcensus_emulator.server import lenient_signatures

    user, role, withheld = "idcensus-check-demo", "IdcensusCheckDemo", ("prod", "identity_center")
    console.rule(f"idcensus check: every capability through role {role}; prod's copy lacks {TIERS[withheld[1]]}")
    iam = boto3.client("iam")
    # The central identity: an IAM user allowed exactly what the check function's role is granted.
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="check", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(CENTRAL_ACTIONS["check"]),
                                                 "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}]})
    members = {name: member_session(a, org.management_id).client("iam") for name, a in org.accounts.items()}
    for name, member in members.items():
        member.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        for tier in TIERS:
            if tier_policy(tier)["Statement"][0]["Action"] and (name, tier) != withheld:
                member.put_role_policy(RoleName=role, PolicyName=tier, PolicyDocument=json.dumps(emulated_tier_policy(tier)))
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            aws_session_token=None, region_name="us-east-1")
    factory = ClientFactory(session=session, hooks=recorded.hooks())

    @set_initial_no_auth_action_count(0)  # the emulator runs in this process: enforced for this call only
    def check():
        accounts = list_active_accounts(factory.client("organizations"))
        return run_check(factory, accounts, role_name=role, external_id=EXTERNAL_ID)

    try:
        with lenient_signatures():  # moto mis-signs REST GET calls while enforcing (see server.py)
            report = check()
    finally:
        for member in members.values():
            for policy_name in member.list_role_policies(RoleName=role)["PolicyNames"]:
                member.delete_role_policy(RoleName=role, PolicyName=policy_name)
            member.delete_role(RoleName=role)
        iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        iam.delete_user_policy(UserName=user, PolicyName="check")
        iam.delete_user(UserName=user)
    render(report, console, wide=True)  # four accounts: the capability x account matrix
    calls = factory.counter.calls
    console.print(f"API calls: {calls['sts.AssumeRole']} AssumeRole + "
                  f"{sum(n for k, n in calls.items() if not k.startswith(('sts.', 'organizations.')))} probes "
                  "(one per capability per account).")
    return report.ok
