import hashlib
import json

import boto3
import jsonschema

from idcensus.model.findings import DERIVED_TYPES
from idcensus.model.schema import all_schemas
from idcensus.store.export import decode_lines
from idcensus_emulator.seed import READ_ROLE, member_session

TYPES = {"aws.account", "iam.root_user", "iam.user", "iam.group", "iam.role", "iam.policy"}


def manifest_of(s3, bucket, summary):
    return json.loads(s3.get_object(Bucket=bucket, Key=summary["manifest_key"])["Body"].read())


def records_of(s3, bucket, manifest, kind="snapshot"):
    out = []
    for f in manifest["files"]:
        if f["kind"] == kind:
            out += decode_lines(s3.get_object(Bucket=bucket, Key=f["key"])["Body"].read())
    return out


def test_every_export_file_matches_its_manifest(cli, s3, org):
    done = cli.run()
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    manifest = manifest_of(s3, cli.bucket, summary)
    assert {a["account_id"] for a in manifest["accounts"]} == set(org.accounts.values())
    assert all(a["status"] == "ok" for a in manifest["accounts"])
    run_prefix = f"idcensus/v1/runs/{summary['run_id']}/"
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=cli.bucket, Prefix=run_prefix)["Contents"]}
    indexes = {f"{run_prefix}accounts/account={a}.json" for a in org.accounts.values()}  # the next run's diff base
    assert listed == {f["key"] for f in manifest["files"]} | {summary["manifest_key"]} | indexes  # nothing unlisted
    # one validator per type (jsonschema.validate would check the schema itself again for every record)
    validators = {}
    for t, schema in all_schemas().items():
        kind = jsonschema.validators.validator_for(schema)
        kind.check_schema(schema)
        validators[t] = kind(schema)
    seen = set()
    for f in manifest["files"]:
        body = s3.get_object(Bucket=cli.bucket, Key=f["key"])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == f["sha256"]
        assert len(body) == f["bytes"]
        lines = decode_lines(body)
        assert len(lines) == f["records"]
        for record in lines:
            assert record["type"] == f["type"] and record["account_id"] == f["account_id"]
            validators[record["type"]].validate(record)
            seen.add((record["type"], record["account_id"]))
    accounts = org.accounts.values()
    # moto pre-makes an Identity Center instance in every account; the census's own storage (tables and
    # buckets of this session's tests) lives in the management account and is inventoried as resources.
    storage = {("resource.s3.bucket", org.management_id), ("resource.dynamodb.table", org.management_id)}
    # every account answers its password policy (none set: a record saying so); the organization's
    # tree and policies come from the management account only
    storage |= {("org.organizational_unit", org.management_id), ("org.policy", org.management_id)}
    # a test run before this one in the same worker may have left the queue path's queues there
    # (idcensus_emulator.local.configure): they are resources of the management account too
    if boto3.client("sqs").list_queues().get("QueueUrls"):
        storage.add(("resource.sqs.queue", org.management_id))
    derived = {(t, a) for t, a in seen if t in DERIVED_TYPES}  # findings and people, where there are some
    # as in AWS, every account has its region's default event bus
    everywhere = TYPES | {"sso.instance", "iam.password_policy", "resource.events.event_bus"}
    assert seen - derived == {(t, a) for t in everywhere for a in accounts} | storage
    assert {t for t, _ in derived} == set(DERIVED_TYPES)
    latest = json.loads(s3.get_object(Bucket=cli.bucket, Key="idcensus/v1/latest.json")["Body"].read())
    assert latest == {"run_id": summary["run_id"], "manifest_key": summary["manifest_key"]}


def test_unchanged_rerun_and_deletion(cli, s3, org):
    first = json.loads(cli.run().stdout)
    assert first["previous_run_id"] is None
    second = json.loads(cli.run().stdout)
    assert second["previous_run_id"] == first["run_id"]
    changes = records_of(s3, cli.bucket, manifest_of(s3, cli.bucket, second), "changes")
    # Only the census's own read role changed: assuming it moved its last-use date.
    assert {(c["change"], c["type"], c["data"]["name"]) for c in changes} <= {("updated", "iam.role", READ_ROLE)}
    assert second["items_written"] == len(changes)

    dev = org.accounts["dev"]
    iam = member_session(dev, org.management_id).client("iam")
    iam.create_user(UserName="temp-e2e")
    third = json.loads(cli.run().stdout)
    iam.delete_user(UserName="temp-e2e")
    fourth = json.loads(cli.run().stdout)
    gone_arn = f"arn:aws:iam::{dev}:user/temp-e2e"
    created = records_of(s3, cli.bucket, manifest_of(s3, cli.bucket, third), "changes")
    assert ("created", gone_arn) in {(c["change"], c["id"]) for c in created}
    deleted = [c for c in records_of(s3, cli.bucket, manifest_of(s3, cli.bucket, fourth), "changes") if c["id"] == gone_arn]
    assert len(deleted) == 1 and deleted[0]["change"] == "deleted" and deleted[0]["deleted"] is True
    assert deleted[0]["deleted_at"]
    key = {"pk": f"ACCOUNT#{dev}", "sk": f"iam.user#{gone_arn}"}
    item = boto3.resource("dynamodb").Table(cli.table).get_item(Key=key)["Item"]
    assert item["deleted"] is True
    # Every run records the organization it saw, for targeted refreshes between runs.
    organization = boto3.resource("dynamodb").Table(cli.table).get_item(Key={"pk": "ORG", "sk": "ACCOUNTS"})["Item"]
    assert set(organization["ids"]) == set(org.accounts.values())


def test_usage_errors_exit_2_with_what_to_fix(cli):
    missing = cli.run(args=["collect", "--accounts", "all", "--role-name", READ_ROLE, "--table", "nope",
                            "--bucket", "nope"])
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr and "--create-storage" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    bad = cli.run(args=["collect", "--accounts", "12", "--role-name", "r", "--table", "t", "--bucket", "b"])
    assert bad.returncode == 2 and "12-digit" in bad.stderr


def _role_externals(s3, bucket, manifest_key):
    manifest = manifest_of(s3, bucket, {"manifest_key": manifest_key})
    return {r["data"]["name"]: r["data"]["external_principals"]
            for r in records_of(s3, bucket, manifest) if r["type"] == "iam.role"}


def test_an_account_subset_still_knows_the_whole_organization(cli, s3, org):
    from idcensus_emulator.seed import OUTSIDE_ACCOUNT

    prod = org.accounts["prod"]
    done = cli.run(args=[*cli.args()[:1], "--accounts", prod, *cli.args()[3:]])
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [a["account_id"] for a in summary["accounts"]] == [prod]
    roles = _role_externals(s3, cli.bucket, summary["manifest_key"])
    assert roles["org-auditor"] == []  # trusts a sister account outside the subset
    assert roles["vendor-access"] == [f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"]
    organization = boto3.resource("dynamodb").Table(cli.table).get_item(Key={"pk": "ORG", "sk": "ACCOUNTS"})["Item"]
    assert set(organization["ids"]) == set(org.accounts.values())


def test_an_account_subset_without_organizations_access_falls_back_to_the_subset(cli, s3, org, monkeypatch):
    from argparse import Namespace

    from idcensus.cli.collect import run_collect
    from idcensus_emulator.gaps import answer
    from idcensus_emulator.seed import EXTERNAL_ID

    prod = org.accounts["prod"]

    def deny_roots(request, **_):
        if request.headers.get("X-Amz-Target", b"").endswith(b".ListRoots"):
            body = b'{"__type": "AccessDeniedException", "Message": "not authorized: organizations:ListRoots"}'
            return answer(request, 400, body)
        return None

    args = Namespace(accounts=[prod], role_name=READ_ROLE, external_id=EXTERNAL_ID, table=cli.table,
                     bucket=cli.bucket, prefix="idcensus/v1/", region="us-east-1", create_storage=True,
                     account_workers=1, json=True, regions=None)
    summary = run_collect(args, hooks=[*org.gaps, ("before-send.organizations", deny_roots)])
    assert [a.account_id for a in summary.accounts] == [prod]
    roles = _role_externals(s3, cli.bucket, summary.manifest_key)
    (sister,) = roles["org-auditor"]  # only prod counts as inside: the sister looks external
    assert sister.split(":")[4] in set(org.accounts.values()) - {prod}
    assert len(roles["vendor-access"]) == 1
