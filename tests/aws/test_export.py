import hashlib
import json
from urllib.parse import unquote

import boto3
import pytest
from tests.aws.conftest import ACCOUNT

from idcensus.store.export import Exporter, decode_lines


@pytest.fixture
def exporter(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="exports")
    return Exporter(s3, "exports", "/custom/prefix")


def rec(type_, n, account="210987654321"):
    return {"type": type_, "id": f"arn:{type_}:{n}", "account_id": account, "data": {"n": n}}


def test_parts_manifest_and_latest(exporter):
    s3 = exporter.s3
    assert exporter.latest() is None
    files = exporter.write_account("run1", "210987654321", [rec("iam.user", 1), rec("iam.user", 2), rec("iam.role", 3)],
                                   [{**rec("iam.user", 2), "change": "created"}])
    manifest = exporter.publish(run_id="run1", previous_run_id=None, started_at="s", finished_at="f", files=files,
                                accounts=[{"account_id": "210987654321", "status": "ok", "capabilities": {}}])
    assert exporter.prefix == "custom/prefix/"
    assert {(f["kind"], f["type"], f["records"]) for f in manifest["files"]} == {
        ("snapshot", "iam.user", 2), ("snapshot", "iam.role", 1), ("changes", "iam.user", 1)}
    for f in manifest["files"]:
        assert f["key"].startswith("custom/prefix/runs/run1/")
        body = s3.get_object(Bucket="exports", Key=f["key"])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == f["sha256"] and len(body) == f["bytes"]
        assert len(decode_lines(body)) == f["records"]
    latest = json.loads(s3.get_object(Bucket="exports", Key="custom/prefix/latest.json")["Body"].read())
    assert latest == {"run_id": "run1", "manifest_key": "custom/prefix/runs/run1/manifest.json"}
    assert exporter.latest()["run_id"] == "run1"


def test_same_records_same_bytes(exporter):
    a = exporter.write_account("r", "210987654321", [rec("iam.user", 1)], [])
    b = exporter.write_account("r", "210987654321", [rec("iam.user", 1)], [])
    assert a[0].sha256 == b[0].sha256


def test_large_partitions_split(exporter, monkeypatch):
    monkeypatch.setattr("idcensus.store.export.PART_RECORDS", 2)
    files = exporter.write_account("r", "210987654321", [rec("iam.user", n) for n in range(5)], [])
    assert [f.records for f in files] == [2, 2, 1]
    assert files[-1].key.endswith("part-00002.jsonl.gz")


def test_a_kept_exporter_reads_its_own_snapshot_parts_from_memory_and_anything_else_from_s3(exporter):
    """The CLI census's findings step: the parts it wrote this run come back without a GetObject;
    another run's parts, a changes part, or bytes that are not what the entry names come from S3."""
    gets = []
    exporter.s3.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"]))
    other = exporter.write_account("before", "210987654321", [rec("iam.user", 9)], [])
    kept = Exporter(exporter.s3, "exports", "/custom/prefix", keep_written=True)
    files = kept.write_account("run1", "210987654321", [rec("iam.user", 1), rec("iam.role", 2)],
                               [{**rec("iam.user", 1), "change": "created"}])
    assert kept.read_records(files) == exporter.read_records(files) and gets == [f.key for f in files
                                                                                 if f.kind == "snapshot"]
    gets.clear()
    assert kept.read_records(files) == [rec("iam.role", 2), rec("iam.user", 1)] and gets == []
    assert kept.read_records(files, kind="changes")[0]["change"] == "created" and gets == [files[-1].key]
    gets.clear()
    assert kept.read_records(other) == [rec("iam.user", 9)] and gets == [other[0].key]
    gets.clear()
    role = next(f for f in files if f.type == "iam.role")
    kept._written[role.key] = ("0" * 64, b"")  # a part written again whose write failed: not what the entry names
    assert kept.read_records([role]) == [rec("iam.role", 2)] and gets == [role.key]
    assert Exporter(exporter.s3, "exports")._written == {}  # off unless asked: the Lambda functions


def test_publishing_reads_each_part_from_s3_once(aws):
    """The findings step and the report both read every snapshot part: the second read is from memory,
    and nothing is kept once the run is published."""
    from idcensus.store.commit import publish_run
    from idcensus.store.setup import ensure_bucket

    s3 = boto3.client("s3", region_name="us-east-1")
    ensure_bucket(s3, "exports", "us-east-1", True)
    writer = Exporter(s3, "exports")
    users = [{"schema_version": "1.1.0", "type": "iam.user", "id": f"arn:aws:iam::{ACCOUNT}:user/u{n}", "account_id": ACCOUNT,
              "collected_at": "2026-12-01T00:00:00Z", "run_id": "r1", "deleted": False,
              "data": {"name": f"u{n}", "arn": f"arn:aws:iam::{ACCOUNT}:user/u{n}"}} for n in range(3)]
    files = writer.write_account("r1", ACCOUNT, users, [{**u, "change": "created"} for u in users])
    reader_s3 = boto3.client("s3", region_name="us-east-1")
    got: list[str] = []
    reader_s3.meta.events.register("before-call.s3.GetObject",
                                   lambda params, **_: got.append(unquote(params["url_path"])))
    reader = Exporter(reader_s3, "exports")
    publish_run(reader, run_id="r1", base_run_id=None, started_at="2026-12-01T00:00:00Z",
                finished_at="2026-12-01T00:00:01Z", files=files, accounts=[{"account_id": ACCOUNT, "status": "ok"}])
    parts = [k for k in got if "/snapshot/" in k or "/changes/" in k]
    assert parts and len(parts) == len(set(parts))  # each part once, though two steps read them
    assert any("/snapshot/type=iam.user/" in k for k in parts) and any("/changes/" in k for k in parts)
    assert reader._read is None  # forgotten once published
    assert s3.head_object(Bucket="exports", Key="idcensus/v1/reports/r1.html")["ContentLength"] > 0
