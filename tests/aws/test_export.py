import hashlib
import json

import boto3
import pytest

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
