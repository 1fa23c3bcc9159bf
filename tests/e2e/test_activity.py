"""`idcensus events replay` and `idcensus backfill` in a child process against a moto server: last use,
a targeted refresh of one changed user (its own calls only, no GAAD), dedupe, quarantine, resume."""

import gzip
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from tests.e2e.conftest import emulator_cli

from idcensus.model.findings import DERIVED_TYPES
from idcensus.store.export import decode_lines
from idcensus_emulator.demo_activity import cloudtrail, console_login, eventbridge, user_identity
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, member_session

pytestmark = pytest.mark.e2e

POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
USER_READS = {"iam.GetUser", "iam.ListGroupsForUser", "iam.ListAttachedUserPolicies", "iam.ListUserPolicies",
              "iam.GetUserPolicy", "iam.ListAccessKeys", "iam.ListMFADevices", "iam.GetLoginProfile"}


def idcensus(*args):
    return emulator_cli(*args)


def storage(cli):
    return ["--table", cli.table, "--bucket", cli.bucket, "--role-name", READ_ROLE, "--external-id", EXTERNAL_ID,
            "--create-storage", "--json"]


def record(cli, account, name):
    table = boto3.resource("dynamodb").Table(cli.table)
    item = table.get_item(Key={"pk": f"ACCOUNT#{account}", "sk": f"iam.user#arn:aws:iam::{account}:user/{name}"})
    return json.loads(item["Item"]["record"])


def test_replay_updates_last_use_and_refreshes_only_the_changed_user(org, cli, tmp_path, s3):
    assert cli.run().returncode == 0  # the census's state to refresh
    prod = org.accounts["prod"]
    before = record(cli, prod, "carol")
    member_session(prod, org.management_id).client("iam").attach_user_policy(UserName="carol", PolicyArn=POLICY)
    now = datetime.now(UTC).replace(microsecond=0)
    login = console_login(prod, "alice", mfa=True, when=now - timedelta(minutes=3))
    attach = cloudtrail(prod, user_identity(prod, "alice"), "AttachUserPolicy", when=now - timedelta(minutes=1),
                        request={"userName": "carol", "policyArn": POLICY})
    events = tmp_path / "events.json"
    events.write_text(json.dumps([eventbridge(login), eventbridge(attach)]))

    done = idcensus("events", "replay", str(events), *storage(cli))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["counts"]["received"], out["counts"]["normalized"], out["counts"]["refreshed"]) == (2, 2, 1)
    assert out["changes"] == [{"type": "iam.user", "id": f"arn:aws:iam::{prod}:user/carol", "change": "updated"}]
    after = record(cli, prod, "carol")
    assert POLICY not in before["data"]["attached_policies"]
    assert after["data"]["attached_policies"] == sorted([*before["data"]["attached_policies"], POLICY])
    assert {k: v for k, v in after["data"].items() if k != "attached_policies"} == \
        {k: v for k, v in before["data"].items() if k != "attached_policies"}
    iam_calls = {k: v for k, v in out["api_calls"].items() if k.startswith("iam.")}
    assert set(iam_calls) <= USER_READS and "iam.GetUser" in iam_calls  # carol's reads only
    assert sum(iam_calls.values()) == 7 and out["api_calls"]["sts.AssumeRole"] == 1  # no inline policy to get
    table = boto3.resource("dynamodb").Table(cli.table)
    alice = table.get_item(Key={"pk": f"ACCOUNT#{prod}", "sk": f"activity#arn:aws:iam::{prod}:user/alice"})["Item"]
    assert alice["last_activity_at"] == attach["eventTime"]
    manifest = json.loads(s3.get_object(Bucket=cli.bucket, Key=out["manifest_key"])["Body"].read())
    assert {f["kind"] for f in manifest["files"]} == {"activity"}
    # The refresh is a run on the chain after the census: carol's change is in its feed, once.
    run = json.loads(s3.get_object(Bucket=cli.bucket, Key=out["refresh_manifest_key"])["Body"].read())
    latest = json.loads(s3.get_object(Bucket=cli.bucket, Key="idcensus/v1/latest.json")["Body"].read())
    assert (run["kind"], latest["manifest_key"]) == ("refresh", out["refresh_manifest_key"])
    (part,) = [f for f in run["files"] if f["kind"] == "changes" and f["type"] not in DERIVED_TYPES]
    (change,) = decode_lines(s3.get_object(Bucket=cli.bucket, Key=part["key"])["Body"].read())
    assert change["data"]["attached_policies"] == after["data"]["attached_policies"]
    # ... and the findings and people that change moved, judged again as at a census
    derived = [line for f in run["files"] if f["kind"] == "changes" and f["type"] in DERIVED_TYPES
               for line in decode_lines(s3.get_object(Bucket=cli.bucket, Key=f["key"])["Body"].read())]
    assert all(r["run_id"] == run["run_id"] for r in derived)
    (carol,) = [r for r in derived if r["type"] == "identity.person"
                and [i["arn"] for i in r["data"]["identities"]] == [after["data"]["arn"]]]
    assert carol["change"] == "updated" and POLICY in carol["data"]["access"][0]["policies"]  # the access she holds now

    # The same file again: every event is a duplicate; nothing re-collected, nothing exported.
    again = json.loads(idcensus("events", "replay", str(events), *storage(cli)).stdout)
    assert again["counts"] == {"duplicates": 2, "received": 2} and again["manifest_key"] is None

    # JSON Lines with a broken line: the good one is normalized, the broken one quarantined, exit 1.
    lines = tmp_path / "events.jsonl"
    fresh = cloudtrail(prod, user_identity(prod, "bob"), "ListRoles", read_only=True)
    lines.write_text(json.dumps(eventbridge(fresh)) + "\n" + '{"detail": {"eventID": \n')
    mixed = idcensus("events", "replay", str(lines), *storage(cli))
    assert mixed.returncode == 1
    counts = json.loads(mixed.stdout)["counts"]
    assert (counts["received"], counts["normalized"], counts["quarantined"]) == (2, 1, 1)


def test_backfill_reads_the_trail_and_resumes(org, cli, tmp_path, s3):
    prod, dev = org.accounts["prod"], org.accounts["dev"]
    s3.create_bucket(Bucket=f"{cli.bucket}-trail")
    today = datetime.now(UTC)
    keys = []
    for account in (prod, dev):
        for days_ago in (0, 1, 5):
            day = today - timedelta(days=days_ago)
            key = (f"AWSLogs/o-exampleorg1/{account}/CloudTrail/us-east-1/{day:%Y/%m/%d}/"
                   f"{account}_CloudTrail_us-east-1_{day:%Y%m%dT%H%M}Z_{days_ago}.json.gz")
            who = user_identity(account, "ci-deploy", key="AKIAIOSFODNN7EXAMPL" + str(days_ago))
            body = {"Records": [cloudtrail(account, who, "GetUser", read_only=True, when=day - timedelta(hours=1))]}
            s3.put_object(Bucket=f"{cli.bucket}-trail", Key=key, Body=gzip.compress(json.dumps(body).encode()))
            keys.append(key)
    s3.put_object(Bucket=f"{cli.bucket}-trail", Key=f"AWSLogs/o-exampleorg1/{prod}/CloudTrail-Digest/us-east-1/"
                  f"{today:%Y/%m/%d}/{prod}_CloudTrail-Digest_us-east-1_x.json.gz", Body=gzip.compress(b"{}"))

    args = ["backfill", "--trail-bucket", f"{cli.bucket}-trail", "--days", "2", *storage(cli)]
    first = idcensus(*args, "--accounts", prod)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert (out["files"], out["processed"], out["counts"]["normalized"]) == (2, 2, 2)
    rerun = json.loads(idcensus(*args).stdout)  # both accounts now: prod's files are resumed, not redone
    assert (rerun["files"], rerun["resumed"], rerun["processed"], rerun["counts"]["normalized"]) == (4, 2, 2, 2)
    assert rerun["api_calls"].get("s3.GetObject") == 2

    bad = idcensus("backfill", "--trail-bucket", "x", "--days", "3651", *storage(cli))
    assert bad.returncode == 2 and "--days must be a whole number from 1 to 3650" in bad.stderr
    missing = idcensus("backfill", "--trail-bucket", f"{cli.bucket}-nope", *storage(cli))
    assert missing.returncode == 2 and "cannot read trail bucket" in missing.stderr


def test_demo_snippet_shows_last_use_and_a_refresh(org, cli):
    from rich.console import Console

    from idcensus_emulator.demo_activity import DEMO_POLICY, demo_activity

    assert cli.run().returncode == 0
    console = Console(record=True, width=200)
    demo_activity(console, org, cli.table, cli.bucket, "idcensus/v1/", org.gaps)
    text = console.export_text()
    assert "normalized=4" in text and "duplicates=1" in text and "quarantined=1" in text
    line = next(x for x in text.splitlines() if x.startswith("targeted refresh of carol"))
    was, now = line.split(" -> ")
    assert DEMO_POLICY not in was and DEMO_POLICY in now
    prod = org.accounts["prod"]
    assert record(cli, prod, "carol")["data"]["attached_policies"].count(DEMO_POLICY) == 1
