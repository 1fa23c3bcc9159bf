"""The end of the demo: the admin's HTML report, then the export pulled as the vendor does (through a
vendor read role with its ExternalId, as template.yaml's VendorReadRole) and one SQL query over it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
from rich.console import Console

VENDOR_ROLE, VENDOR_EXTERNAL_ID = "IdcensusVendorReadDemo", "demo-vendor-external-id"


def demo_readers(console: Console, bucket: str, prefix: str, out: Path) -> Path:
    """Writes <out>/report.html, <out>/vendor-pull/ and its census.duckdb; the report's path."""
    from idcensus.cli import main

    console.rule("the admin's report: one self-contained HTML page")
    report = out / "report.html"
    if main(["report", "--bucket", bucket, "--prefix", prefix, "--out", str(report)]) != 0:
        raise RuntimeError("idcensus report failed")
    console.rule("the vendor's pull: latest.json -> manifest -> every file verified (sha256, record count)")
    pulled, database = out / "vendor-pull", out / "vendor-pull" / "census.duckdb"
    shutil.rmtree(pulled, ignore_errors=True)  # a new emulator each demo: an old cursor names runs gone now
    role = vendor_role(bucket, prefix)
    if main(["pull", "--bucket", bucket, "--prefix", prefix, "--out", str(pulled), "--role-arn", role,
             "--external-id", VENDOR_EXTERNAL_ID, "--duckdb", str(database)]) != 0:
        raise RuntimeError("idcensus pull failed")
    console.rule("idcensus query console-without-mfa (DuckDB over the pull)")
    if main(["query", "console-without-mfa", "--from", str(database)]) != 0:
        raise RuntimeError("idcensus query failed")
    console.print(f"report: [bold]{report.resolve()}[/]  ·  vendor pull: {pulled.resolve()}")
    return report


def vendor_role(bucket: str, prefix: str) -> str:
    """The vendor read role: s3:GetObject under the export prefix only (the emulator does not enforce it
    here; tests/e2e/test_pull.py does, with the template's own policy)."""
    iam = boto3.client("iam")
    account = boto3.client("sts").get_caller_identity()["Account"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Condition": {"StringEquals": {"sts:ExternalId": VENDOR_EXTERNAL_ID}}}]}
    arn = iam.create_role(RoleName=VENDOR_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=VENDOR_ROLE, PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{prefix}*"}]}))
    return arn
