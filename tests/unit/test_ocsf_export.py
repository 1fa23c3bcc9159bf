"""`idcensus ocsf`: users as OCSF User Inventory Info (5003) and findings as Compliance Finding (2003),
validated against the OCSF 1.1.0 schema by pydantic-ocsf (models built from the schema it bundles),
every field we write one the class declares, and the Parquet partitions a Security Lake custom source
expects."""

from __future__ import annotations

import json
import types
import typing

import duckdb
import pytest
from ocsf.v1_1_0.events import ComplianceFinding, UserInventory
from ocsf.v1_1_0.objects import Cloud, Compliance, FindingInfo, Metadata, Remediation, ResourceDetails
from ocsf.v1_1_0.objects import User as OcsfUser
from pydantic import BaseModel
from tests.findings_records import ADMIN_DOC, NOW, ago, root, user

from idcensus.cli.ocsf_export import compliance_findings, user_inventory, write_parquet
from idcensus.findings.run import evaluate
from idcensus.model.records import User, make_record
from idcensus.model.sso import SsoEmail, SsoUser

A, B = "111111111111", "222222222222"
IAM = make_record("iam.user", f"arn:aws:iam::{A}:user/alice", A, User(
    name="alice", arn=f"arn:aws:iam::{A}:user/alice", user_id="AIDAEXAMPLE", path="/", created_at=None, tags={},
    groups=[f"arn:aws:iam::{A}:group/admins"], attached_policies=[], inline_policies=[], permissions_boundary=None,
    password=None, mfa=None, access_keys=None, last_activity_at=None), run_id="r1", collected_at="2026-12-01T23:59:00Z")
SSO = make_record("sso.user", "arn:aws:identitystore::b:user/u-1", B, SsoUser(
    user_id="u-1", arn="arn:aws:identitystore::b:user/u-1", instance_arn="arn:aws:sso:::instance/ssoins-1",
    identity_store_id="d-1", user_name="dana", display_name="Dana Scully",
    emails=[SsoEmail(value="dana@example.com", primary=True)], groups=["g-1"]), run_id="r1",
    collected_at="2026-12-02T00:01:00Z")


def undeclared(model: type[BaseModel], data: dict, where: str = "") -> list[str]:
    """Keys of `data` the OCSF class does not declare (the models allow extras; we must not write any)."""
    found = []
    fields = {f.alias or name: f for name, f in model.model_fields.items()}
    for key, value in data.items():
        if key not in fields:
            found.append(f"{where}{key}")
            continue
        nested = [t for t in _classes(fields[key].annotation) if issubclass(t, BaseModel)]
        for item in value if isinstance(value, list) else [value]:
            if nested and isinstance(item, dict):
                found += undeclared(nested[0], item, f"{where}{key}.")
    return found


def _classes(annotation) -> list[type]:
    if isinstance(annotation, type):
        return [annotation]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (typing.Union, list):
        return [c for arg in typing.get_args(annotation) for c in _classes(arg)]
    return []


@pytest.mark.parametrize("record", [IAM, SSO], ids=["iam.user", "sso.user"])
def test_users_are_valid_user_inventory_info(record):
    (event,) = user_inventory([record], "eu-west-1")
    validated = UserInventory.model_validate(event)
    assert (validated.class_uid, validated.type_uid, validated.metadata.version) == (5003, 500302, "1.1.0")
    # pydantic-ocsf's event models leave out base_event's class_uid/category_uid/type_uid/time and the
    # cloud profile (it checks the uids in a validator): the objects are checked field by field.
    assert undeclared(OcsfUser, event["user"]) + undeclared(Metadata, event["metadata"]) + \
        undeclared(Cloud, event["cloud"]) == []
    assert event["user"]["uid"] == record["data"]["arn"] and event["cloud"]["account"]["uid"] == record["account_id"]


def test_the_validator_rejects_what_the_schema_forbids():
    (event,) = user_inventory([IAM], "us-east-1")
    with pytest.raises(ValueError, match="type_id"):
        UserInventory.model_validate({**event, "user": {**event["user"], "type_id": 7}})
    with pytest.raises(ValueError, match="class_uid must be 5003"):
        UserInventory.model_validate({**event, "class_uid": 5001})
    assert undeclared(OcsfUser, {**event["user"], "has_mfa": True}) == ["has_mfa"]  # not in OCSF 1.1.0


def test_parquet_in_security_lake_partitions(tmp_path):
    write_parquet(user_inventory([IAM, SSO], "us-east-1"), tmp_path)
    files = sorted(p.relative_to(tmp_path).parent.as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == [f"region=us-east-1/accountId={A}/eventDay=20261201",
                     f"region=us-east-1/accountId={B}/eventDay=20261202"]
    rows = duckdb.sql(f"SELECT class_uid, user.name FROM read_parquet('{tmp_path}/**/*.parquet') ORDER BY 2").fetchall()
    assert rows == [(5003, "alice"), (5003, "dana")]


def findings() -> list[dict]:
    """Findings of several rules (evidence of different shapes), one of them resolved since."""
    first = evaluate([root(mfa=False), user("heidi", inline={"all": ADMIN_DOC}), user("bob", console=True)],
                     now=ago(1), run_id="r1", collected_at=ago(1).isoformat()).findings
    return evaluate([root(mfa=True), user("heidi", inline={"all": ADMIN_DOC}), user("bob", console=True)], now=NOW,
                    run_id="r2", collected_at=NOW.isoformat(), previous=first).findings


def test_findings_are_valid_compliance_findings():
    records = findings()
    events = compliance_findings(records, "eu-west-1")
    assert {r["data"]["status"] for r in records} == {"open", "resolved"} and len({r["data"]["rule_id"] for r in records}) >= 4
    objects = {"finding_info": FindingInfo, "compliance": Compliance, "remediation": Remediation,
               "resource": ResourceDetails, "metadata": Metadata, "cloud": Cloud}
    for record, event in zip(records, events, strict=True):
        validated = ComplianceFinding.model_validate(event)
        assert (validated.class_uid, validated.metadata.version) == (2003, "1.1.0")
        assert [f"{k}.{u}" for k, model in objects.items() if k in event for u in undeclared(model, event[k])] == []
        assert set(event) - set(objects) <= {*ComplianceFinding.model_fields, "class_uid", "class_name", "category_uid",
                                             "category_name", "type_uid", "time"}
        assert event["resource"]["uid"] == record["data"]["resource_arn"]
        assert event["cloud"]["account"]["uid"] == record["account_id"] and event["cloud"]["region"] == "eu-west-1"
        resolved = record["data"]["status"] == "resolved"
        assert (event["activity_id"] == 3) == resolved  # Close
        assert (event["status_id"], event["status"]) == ((99, "Resolved") if resolved else (1, "New"))


def test_findings_parquet_keeps_json_fields_as_text(tmp_path):
    records = findings()
    write_parquet(compliance_findings(records, "us-east-1"), tmp_path)
    rows = duckdb.sql(f"SELECT class_uid, finding_info.types[1], resource.uid, resource.data, unmapped "
                      f"FROM read_parquet('{tmp_path}/**/*.parquet') ORDER BY 2, 3").fetchall()
    assert len(rows) == len(records) and {r[0] for r in rows} == {2003}
    by_id = {(r["data"]["rule_id"], r["data"]["resource_arn"]): r for r in records}
    for _, rule_id, arn, data, unmapped in rows:
        assert json.loads(data) == json.loads(json.dumps(by_id[(rule_id, arn)]["data"]["evidence"], default=str))
        assert json.loads(unmapped)["account_id"] == by_id[(rule_id, arn)]["account_id"]
