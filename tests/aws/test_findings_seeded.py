"""The findings layer end to end on a seeded organization (moto in-process): every planted problem
found, nothing said about the clean controls, on the CLI path and then the queue path (planner ->
account collectors -> finisher), with first_seen carried, a fixed problem resolved in the changes
feed, a customer suppression applied, and no AWS call of its own beyond the export bucket."""

from __future__ import annotations

import os

import pytest
from tests.aws.conftest import factory, report_at_once
from tests.tiers import collect_only

from idcensus.census import run_census
from idcensus.collect.contract import CollectOptions
from idcensus.collect.org import list_active_accounts
from idcensus.store import findings as store_findings
from idcensus.store.export import Exporter, decode_lines
from idcensus.store.setup import ensure_bucket, ensure_table
from idcensus.store.state import StateTable
from idcensus_emulator.local import configure, run_pipeline
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, member_session, seed_organization
from idcensus_emulator.seed_findings import Planted, plant, suppression_file

BUCKET, PREFIX = "findings-exports", "idcensus/v1/"


@pytest.fixture
def restored_environment():
    """configure() sets the functions' environment as the stack would: none of it outlives the test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def planted_org(aws, monkeypatch, restored_environment):
    report_at_once(monkeypatch)
    # Findings read the identity tier's records; the other tiers would only lengthen the runs.
    collect_only(monkeypatch)
    org = seed_organization()
    planted = Planted()
    for name in ("prod", "dev"):
        iam = member_session(org.accounts[name], org.management_id).client("iam")
        plant(iam, org.accounts[name], org.accounts["security"], planted, support_role=name == "prod")
    planted.expect_duplicates()
    return org, planted


def published_findings(s3, kind="snapshot"):
    exporter = Exporter(s3, BUCKET, PREFIX)
    manifest = exporter.manifest(exporter.latest()["run_id"])
    return [r for f in manifest["files"] if f["type"] == "finding" and f["kind"] == kind
            for r in decode_lines(s3.get_object(Bucket=BUCKET, Key=f["key"])["Body"].read())]


def test_planted_problems_found_controls_clean_on_both_paths(planted_org, monkeypatch):
    org, planted = planted_org
    f = factory()
    s3 = f.client("s3")
    ensure_table(f.client("dynamodb"), "state", True)
    ensure_bucket(s3, BUCKET, "us-east-1", True)
    prod = org.accounts["prod"]
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}suppressions.json", Body=suppression_file(prod))
    extra: dict[str, int] = {}
    real = store_findings.write_findings

    def counted(*args, **kwargs):  # the calls the findings step makes, apart from collection
        before = dict(f.counter.calls)
        out = real(*args, **kwargs)
        extra.update({k: n - before.get(k, 0) for k, n in f.counter.calls.items() if n != before.get(k, 0)})
        return out

    monkeypatch.setattr(store_findings, "write_findings", counted)
    run_census(f, list_active_accounts(f.client("organizations")), role_name=READ_ROLE, external_id=EXTERNAL_ID,
               state=StateTable(f.resource("dynamodb"), "state"), exporter=Exporter(s3, BUCKET, PREFIX),
               options=CollectOptions(regions=("us-east-1",)))

    first = published_findings(s3)
    found = {(r["data"]["rule_id"], r["data"]["resource_arn"]) for r in first}
    assert planted.problems - found == set()
    false_alarms = sorted((r["data"]["rule_id"], r["data"]["resource_arn"]) for r in first
                          if r["data"]["resource_arn"] in planted.controls)
    assert false_alarms == []
    assert set(extra) <= {"s3.GetObject", "s3.PutObject"}  # the export bucket only: no member-account call
    member_calls = {k: n for k, n in extra.items() if not k.startswith("s3.")}
    [twokeys] = [r for r in first if r["data"]["rule_id"] == "user.two_active_keys" and r["account_id"] == prod]
    assert twokeys["data"]["suppressed"] and twokeys["data"]["suppression"]["reason"] == "key rollover in progress"
    print(f"\nplanted {len(planted.problems)}, found {len(planted.problems & found)}, false alarms on "
          f"{len(planted.controls)} controls: {len(false_alarms)}, extra calls: {sum(extra.values())} "
          f"(export bucket {extra}; member accounts {sum(member_calls.values())})")

    # The problem is fixed between runs; the queue path publishes the next run.
    member_session(prod, org.management_id).client("iam").delete_login_profile(UserName="plant-nomfa")
    env = configure("state", BUCKET, READ_ROLE, EXTERNAL_ID, PREFIX)
    out = run_pipeline(env, factory())
    assert out["vendor_notices"] and not out["dead_lettered"]["ok"]
    second = {r["id"]: r for r in published_findings(s3)}
    nomfa = f"user.console_without_mfa/{prod}/arn:aws:iam::{prod}:user/plant-nomfa"
    assert second[nomfa]["data"]["status"] == "resolved"
    assert [c["change"] for c in published_findings(s3, "changes") if c["id"] == nomfa] == ["updated"]
    for r in first:
        if r["id"] != nomfa:
            assert second[r["id"]]["data"]["first_seen"] == r["data"]["first_seen"], r["id"]
    found_again = {(r["data"]["rule_id"], r["data"]["resource_arn"]) for r in second.values()
                   if r["data"]["status"] == "open"}
    assert planted.problems - found_again == {("user.console_without_mfa", f"arn:aws:iam::{prod}:user/plant-nomfa")}
