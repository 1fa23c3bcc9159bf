"""`idcensus pull` and `idcensus query` as the vendor runs them: through the vendor read role of
template.yaml (its policy as deployed, moto's permission enforcement on), against published runs."""

from __future__ import annotations

import json
from argparse import Namespace

import boto3
import duckdb
import pytest
from moto.core.authorization import enable_iam_authentication
from tests.templates.cfn import TEMPLATE, load

from idcensus.cli import main
from idcensus.cli.collect import run_collect
from idcensus.cli.export_reader import records
from idcensus.cli.query import EXAMPLES
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, member_session
from idcensus_emulator.server import lenient_signatures

PREFIX = "idcensus/v1/"
VENDOR_ROLE, VENDOR_EXTERNAL_ID = "IdcensusVendorRead", "vendor-external-id"


def collect(bucket: str, org):
    args = Namespace(accounts=None, role_name=READ_ROLE, external_id=EXTERNAL_ID, table=f"t-{bucket}", bucket=bucket,
                     prefix=PREFIX, region="us-east-1", create_storage=True, account_workers=4, json=True)
    return run_collect(args, hooks=org.gaps)


def vendor_policy(bucket: str) -> dict:
    """VendorReadPolicy from template.yaml, its references resolved for this bucket and prefix."""
    document = load(TEMPLATE)["Resources"]["VendorReadPolicy"]["Properties"]["PolicyDocument"]
    arns = {"ExportBucket.Arn": f"arn:aws:s3:::{bucket}", "ExportPrefix": PREFIX, "AWS::Region": "us-east-1",
            "AWS::URLSuffix": "amazonaws.com", "ExportKey.Arn": "arn:aws:kms:us-east-1:123456789012:key/x",
            "VendorQueue.Arn": "arn:aws:sqs:us-east-1:123456789012:vendor"}

    def resolve(value):
        if isinstance(value, dict) and "Fn::Sub" in value:
            text = value["Fn::Sub"]
            for name, arn in arns.items():
                text = text.replace("${" + name + "}", arn)
            return text
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return arns[".".join(value["Fn::GetAtt"])]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return resolve(document)


@pytest.fixture(scope="module")
def vendor(org):
    """The vendor's own identity (an IAM user allowed sts:AssumeRole) and the vendor read role."""
    iam = boto3.client("iam")
    iam.create_user(UserName="vendor")
    iam.put_user_policy(UserName="vendor", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="vendor")["AccessKey"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{org.management_id}:user/vendor"},
             "Condition": {"StringEquals": {"sts:ExternalId": VENDOR_EXTERNAL_ID}}}]}
    role = iam.create_role(RoleName=VENDOR_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return Namespace(role_arn=role, key=key, iam=iam)


def pull(vendor, monkeypatch, bucket, out, *extra, hooks=None):
    """`idcensus pull` with the vendor's credentials, moto enforcing every permission."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", vendor.key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", vendor.key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    vendor.iam.put_role_policy(RoleName=VENDOR_ROLE, PolicyName="read", PolicyDocument=json.dumps(vendor_policy(bucket)))
    try:
        with enable_iam_authentication(), lenient_signatures():
            return main(["pull", "--bucket", bucket, "--out", str(out), "--role-arn", vendor.role_arn,
                         "--external-id", VENDOR_EXTERNAL_ID, "--json", *extra], hooks=hooks)
    finally:
        monkeypatch.undo()


def pulled(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def snapshot_ids(s3, bucket: str, manifest_key: str, type_: str) -> set[str]:
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    return {r["id"] for f in manifest["files"] if f["kind"] == "snapshot" and f["type"] == type_
            for r in records(s3.get_object(Bucket=bucket, Key=f["key"])["Body"].read())}


def test_two_pulls_in_a_row_take_only_the_new_run_and_query_sees_its_state(org, vendor, s3, tmp_path, monkeypatch,
                                                                            capsys):
    bucket, out = "b-pull-twice", tmp_path / "vendor"
    first = collect(bucket, org)
    assert pull(vendor, monkeypatch, bucket, out) == 0
    one = pulled(capsys)
    assert one["runs"] == [first.run_id] and one["downloaded"] > 0 and one["already_verified"] == 0
    assert (out / PREFIX / "runs" / first.run_id / "manifest.json").is_file()

    prod = org.accounts["prod"]
    iam = member_session(prod, org.management_id).client("iam")
    iam.create_user(UserName="carol-pull")
    iam.add_user_to_group(GroupName="admins", UserName="carol-pull")  # an administrator without MFA
    second = collect(bucket, org)
    assert pull(vendor, monkeypatch, bucket, out, "--duckdb", str(tmp_path / "census.duckdb")) == 0
    two = pulled(capsys)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=second.manifest_key)["Body"].read())
    changes = [f for f in manifest["files"] if f["kind"] == "changes"]
    assert two["runs"] == [second.run_id]
    assert two["downloaded"] == len(changes) and changes  # the changes feed only, no snapshot part
    assert not (out / PREFIX / "runs" / second.run_id / "snapshot").exists()

    # The first snapshot with the second run's changes applied is the second run's snapshot.
    assert main(["query", "SELECT id FROM iam_user", "--from", str(tmp_path / "census.duckdb"), "--json"]) == 0
    users = {row["id"] for row in json.loads(capsys.readouterr().out)}
    assert users == snapshot_ids(s3, bucket, second.manifest_key, "iam.user")
    assert any(u.endswith(f"{prod}:user/carol-pull") for u in users)
    assert main(["query", "admins-without-mfa", "--from", str(out), "--json"]) == 0
    admins = {(r["account_id"], r["user_name"]) for r in json.loads(capsys.readouterr().out)}
    assert (prod, "carol-pull") in admins and not {name for _, name in admins} & {"alice", "bob"}  # alice has MFA

    for name in EXAMPLES:  # every documented example runs on a real pull
        assert main(["query", name, "--from", str(tmp_path / "census.duckdb")]) == 0, name
    capsys.readouterr()

    # The pull as OCSF for a Security Lake custom source: one class per folder, a row per user or finding.
    for event_class, types, class_uid in (("user-inventory", ("iam.user", "sso.user"), 5003),
                                          ("compliance-finding", ("finding",), 2003)):
        ocsf = tmp_path / event_class
        assert main(["ocsf", "--from", str(out), "--out", str(ocsf), "--class", event_class]) == 0
        assert capsys.readouterr().out.startswith(tuple("0123456789"))
        expected = sum(len(snapshot_ids(s3, bucket, second.manifest_key, t)) for t in types)
        got = duckdb.sql(f"SELECT class_uid, count(*) FROM read_parquet('{ocsf}/**/*.parquet') GROUP BY 1").fetchall()
        assert got == [(class_uid, expected)] and expected > 0, event_class

    assert pull(vendor, monkeypatch, bucket, out) == 0
    assert pulled(capsys)["runs"] == []


def test_interrupted_pull_resumes_without_downloading_verified_files(org, vendor, tmp_path, monkeypatch, capsys):
    bucket, out = "b-pull-resume", tmp_path / "vendor"
    run = collect(bucket, org)

    class Crash(Exception):
        pass

    parts = []

    def crash_on_fourth_part(request, **_):
        if ".jsonl.gz" in request.url and request.method == "GET":
            parts.append(request.url)
            if len(parts) == 4:
                raise Crash("the process died here")

    with pytest.raises(Crash):
        pull(vendor, monkeypatch, bucket, out, hooks=[("before-send.s3", crash_on_fourth_part)])
    capsys.readouterr()
    assert not (out / PREFIX / "runs" / run.run_id / "manifest.json").exists()  # nothing looks complete
    assert not (out / ".idcensus" / "cursor.json").exists()
    assert pull(vendor, monkeypatch, bucket, out) == 0
    resumed = pulled(capsys)
    assert resumed["already_verified"] == 3 and resumed["downloaded"] > 0 and resumed["runs"] == [run.run_id]


def test_tampered_file_is_rejected_and_nothing_is_used(org, vendor, s3, tmp_path, monkeypatch, capsys):
    bucket, out = "b-pull-tampered", tmp_path / "vendor"
    run = collect(bucket, org)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=run.manifest_key)["Body"].read())
    victim = next(f for f in manifest["files"] if f["type"] == "iam.user")
    s3.put_object(Bucket=bucket, Key=victim["key"], Body=s3.get_object(Bucket=bucket, Key=victim["key"])["Body"].read()
                  .replace(b"\x00", b"\x01", 1))
    assert pull(vendor, monkeypatch, bucket, out) == 2
    err = capsys.readouterr().err.strip()
    assert victim["key"] in err and "does not match its manifest" in err and len(err.splitlines()) == 1
    assert not (out / victim["key"]).exists()
    assert not (out / PREFIX / "runs" / run.run_id / "manifest.json").exists()
    assert not (out / ".idcensus" / "cursor.json").exists()


def test_vendor_role_cannot_read_outside_the_export_prefix(org, vendor, s3, tmp_path, monkeypatch, capsys):
    bucket = "b-pull-denied"
    collect(bucket, org)
    s3.put_object(Bucket=bucket, Key="idcensus-quarantine/latest.json", Body=b"{}")
    assert pull(vendor, monkeypatch, bucket, tmp_path / "out", "--prefix", "idcensus-quarantine/") == 2
    err = capsys.readouterr().err.strip()
    assert "AccessDenied" in err and len(err.splitlines()) == 1
    assert pull(vendor, monkeypatch, bucket, tmp_path / "ok") == 0  # the same role reads its prefix


def test_a_cursor_the_published_chain_does_not_reach_is_refused(org, vendor, tmp_path, monkeypatch, capsys):
    bucket, out = "b-pull-gap", tmp_path / "vendor"
    collect(bucket, org)
    assert pull(vendor, monkeypatch, bucket, out) == 0
    cursor = out / ".idcensus" / "cursor.json"
    cursor.write_text(json.dumps({**json.loads(cursor.read_text()), "run_id": "run-that-expired"}))
    collect(bucket, org)
    capsys.readouterr()
    assert pull(vendor, monkeypatch, bucket, out) == 2
    err = capsys.readouterr().err.strip()
    assert "run-that-expired" in err and "--full" in err and len(err.splitlines()) == 1
    assert pull(vendor, monkeypatch, bucket, out, "--full") == 0
