"""SQL in the customer's console: the Glue database, the snapshot and changes tables (partition
projection, no crawler) and the Athena workgroup of template.yaml.

moto's CloudFormation creates no Glue or Athena resource, so they are created here through moto's
Glue and Athena APIs from the template's own properties; the tables' locations and columns are then
read against files the real Exporter wrote, with DuckDB. What only AWS can show (the OpenX SerDe
returning `data` as JSON text, projection at query time) is not verified here."""

from __future__ import annotations

import re

import boto3
import duckdb
import pytest
from moto import mock_aws

from idcensus.model.records import RECORD_TYPES
from idcensus.model.schema import envelope_schema
from idcensus.store.export import Exporter
from tests.templates.cfn import TEMPLATE, load

BUCKET, PREFIX, ACCOUNT = "idcensus-exports-test", "idcensus/v1/", "123456789012"
REFS = {"ExportBucket": BUCKET, "ExportPrefix": PREFIX, "AWS::AccountId": ACCOUNT, "AWS::Region": "us-east-1",
        "AWS::StackName": "idcensus", "AWS::Partition": "aws", "ExportKey.Arn": "arn:aws:kms:us-east-1:1:key/k",
        "CensusDatabase": "idcensus"}
GLUE_TO_DUCKDB = {"string": "VARCHAR", "boolean": "BOOLEAN"}


def resolve(value):
    """Ref, GetAtt and Sub (with ${!literal}) from REFS."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return REFS[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        return REFS[".".join(value["Fn::GetAtt"])]
    if set(value) == {"Fn::Sub"}:
        text = re.sub(r"\$\{([^!}][^}]*)\}", lambda m: REFS[m.group(1)], value["Fn::Sub"])
        return text.replace("${!", "${")
    return {k: resolve(v) for k, v in value.items()}


@pytest.fixture(scope="module")
def resources():
    template = load(TEMPLATE)["Resources"]
    return {name: resolve(r["Properties"]) for name, r in template.items()
            if r["Type"] in {"AWS::Glue::Database", "AWS::Glue::Table", "AWS::Athena::WorkGroup"}}


def tables(resources):
    return {p["TableInput"]["Name"]: p["TableInput"] for p in resources.values() if "TableInput" in p}


def test_the_catalog_and_workgroup_deploy_into_moto(resources):
    with mock_aws():
        glue, athena = boto3.client("glue", region_name="us-east-1"), boto3.client("athena", region_name="us-east-1")
        for props in resources.values():
            if "DatabaseInput" in props:
                glue.create_database(CatalogId=props["CatalogId"], DatabaseInput=props["DatabaseInput"])
        for props in resources.values():
            if "TableInput" in props:
                glue.create_table(CatalogId=props["CatalogId"], DatabaseName=props["DatabaseName"],
                                  TableInput=props["TableInput"])
        (group,) = [p for p in resources.values() if "WorkGroupConfiguration" in p]
        athena.create_work_group(Name=group["Name"], Configuration=group["WorkGroupConfiguration"])

        names = {t["Name"] for t in glue.get_tables(DatabaseName="idcensus")["TableList"]}
        assert names == {"snapshot", "changes"}
        config = athena.get_work_group(WorkGroup=group["Name"])["WorkGroup"]["Configuration"]
        results = config["ResultConfiguration"]["OutputLocation"]
        assert results.startswith(f"s3://{BUCKET}/") and not results.startswith(f"s3://{BUCKET}/{PREFIX}")  # vendor can't read
        assert config["EnforceWorkGroupConfiguration"] is True


def test_projection_covers_every_record_type_and_needs_no_crawler(resources):
    for table in tables(resources).values():
        params = table["Parameters"]
        assert params["projection.enabled"] == "true"
        assert params["projection.run.type"] == "injected"
        assert sorted(params["projection.record_type.values"].split(",")) == sorted(RECORD_TYPES), \
            "a record type was added or removed: run `.venv/bin/python -m tests.templates.member_sync`"
        assert [k["Name"] for k in table["PartitionKeys"]] == ["run", "record_type"]


def test_columns_are_the_envelope(resources):
    envelope = set(envelope_schema("iam.user")["properties"])
    for name, table in tables(resources).items():
        columns = {c["Name"] for c in table["StorageDescriptor"]["Columns"]}
        assert columns == (envelope if name == "changes" else envelope - {"change", "deleted_at"}), name


def test_table_locations_and_columns_read_the_exported_files(resources, tmp_path):
    """The location template, filled with a published run and a type, holds exactly that run's files of
    that type; DuckDB reads them with the table's columns (gzip JSON Lines, as the SerDe would)."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        exporter = Exporter(s3, BUCKET, PREFIX)
        users = [{"schema_version": "1.1.0", "type": "iam.user", "id": f"arn:aws:iam::{ACCOUNT}:user/u{n}",
                  "account_id": ACCOUNT, "collected_at": "2026-12-01T00:00:00Z", "run_id": "r1", "deleted": False,
                  "data": {"name": f"u{n}", "mfa": {"enabled": n % 2 == 0}}} for n in range(3)]
        group = {**users[0], "type": "iam.group", "id": f"arn:aws:iam::{ACCOUNT}:group/g", "data": {"name": "g"}}
        files = exporter.write_account("r1", ACCOUNT, [*users, group], [{**users[0], "change": "created"}])
        exporter.publish(run_id="r1", previous_run_id=None, started_at="x", finished_at="y", files=files, accounts=[])
        for name, table in tables(resources).items():
            location = table["Parameters"]["storage.location.template"]
            location = location.replace("${run}", "r1").replace("${record_type}", "iam.user")
            assert location.startswith(f"s3://{BUCKET}/{PREFIX}runs/r1/") and location.endswith("/")
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=location.split("/", 3)[3])["Contents"]]
            assert keys and all("type=iam.user/" in k for k in keys)
            for key in keys:
                (tmp_path / key.replace("/", "_")).write_bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            spec = {c["Name"]: GLUE_TO_DUCKDB[c["Type"]] for c in table["StorageDescriptor"]["Columns"]}
            rows = duckdb.sql(
                f"SELECT id, json_extract_string(data, '$.name') AS user_name FROM read_json("
                f"'{tmp_path}/*{name}_type=iam.user*.jsonl.gz', format='newline_delimited', columns={spec!r})"
            ).fetchall()
            assert sorted(r[1] for r in rows) == (["u0", "u1", "u2"] if name == "snapshot" else ["u0"])
