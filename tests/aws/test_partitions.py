"""Collection, check and refresh in GovCloud and China, on moto: every ARN idcensus builds (the
roles it assumes, record ids, placeholders it probes with) is in the session's partition, and the
regional collectors run in that partition's regions."""

from __future__ import annotations

import boto3
import pytest
from tests.aws.conftest import ACCOUNT

from idcensus.access_check import run_check
from idcensus.aws import ClientFactory
from idcensus.census import gather, to_records
from idcensus.collect.contract import AccountInfo, CollectOptions
from idcensus.store.setup import ensure_table
from idcensus.store.state import StateTable
from idcensus.stream.refresh import Refresher

PARTITIONS = [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")]


class Seen:
    """Parameters of chosen calls as the code made them (before they reach moto)."""

    def __init__(self):
        self.params: dict[str, list[dict]] = {}

    def hook(self, event: str):
        def keep(params, **_):
            self.params.setdefault(event, []).append(dict(params))
        return (f"provide-client-params.{event}", keep)


def factory_in(region: str, seen: Seen) -> ClientFactory:
    hooks = [seen.hook("sts.AssumeRole"), seen.hook("sso-admin.ListPermissionSets"),
             seen.hook("sso-admin.ListAccountAssignments")]
    return ClientFactory(session=boto3.Session(region_name=region), region=region, hooks=hooks)


@pytest.fixture(params=PARTITIONS, ids=[p for _, p in PARTITIONS])
def partitioned(aws, request, monkeypatch):
    region, part = request.param
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")  # not needed here, and costs seconds per partition
    iam = boto3.client("iam", region_name=region)
    iam.create_user(UserName="alice")
    kms = boto3.client("kms", region_name=region)
    key = kms.create_key(Description="partitioned")["KeyMetadata"]
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket="partitioned-bucket", CreateBucketConfiguration={"LocationConstraint": region})
    return region, part, key


def test_collection_assumes_and_names_everything_in_the_partition(partitioned):
    region, part, key = partitioned
    seen = Seen()
    result = gather(factory_in(region, seen), AccountInfo(ACCOUNT), role_name="IdcensusReadOnly", external_id="x" * 16,
                    run_id="r1", options=CollectOptions(regions=(region,)))
    (assume,) = seen.params["sts.AssumeRole"]
    assert assume["RoleArn"] == f"arn:{part}:iam::{ACCOUNT}:role/IdcensusReadOnly"
    records = to_records(result, "r1", "2026-12-01T00:00:00Z")
    ids = {r["type"]: r["id"] for r in records}
    assert ids["aws.account"] == f"arn:{part}:organizations:::account/{ACCOUNT}"
    assert ids["resource.s3.bucket"] == f"arn:{part}:s3:::partitioned-bucket"
    # KMS is regional: it ran in the partition's own region (not filtered out as "not offered").
    assert result.account.collection.capabilities["resources.kms.keys"] == "ok"
    keys = [r for r in records if r["type"] == "resource.kms.key"]
    assert [k["data"]["key_id"] for k in keys] == [key["KeyId"]]
    assert result.account.collection.capabilities["iam.authorization_details"] == "ok"


def test_check_assumes_and_probes_in_the_partition(partitioned):
    region, part, _ = partitioned
    seen = Seen()
    report = run_check(factory_in(region, seen), [AccountInfo(ACCOUNT, management=True)],
                       role_name="IdcensusReadOnly", external_id="x" * 16, regions=(region,))
    (assume,) = seen.params["sts.AssumeRole"]
    assert assume["RoleArn"] == f"arn:{part}:iam::{ACCOUNT}:role/IdcensusReadOnly"
    for call in ("sso-admin.ListPermissionSets", "sso-admin.ListAccountAssignments"):
        (params,) = seen.params[call]
        assert params["InstanceArn"].startswith(f"arn:{part}:sso:::"), call
    (account,) = report.accounts
    assert account.reachable


def test_refresh_assumes_in_the_partition(partitioned):
    region, part, _ = partitioned
    seen = Seen()
    ensure_table(boto3.client("dynamodb", region_name=region), "state", True)
    state = StateTable(boto3.resource("dynamodb", region_name=region), "state")
    refresher = Refresher(factory_in(region, seen), state, "IdcensusReadOnly", "x" * 16)
    refresher.refresh_all(ACCOUNT, "iam.user", "alice", run_id="r2", now="2026-12-01T00:00:00Z")
    (assume,) = seen.params["sts.AssumeRole"]
    assert assume["RoleArn"] == f"arn:{part}:iam::{ACCOUNT}:role/IdcensusReadOnly"
    stored = state.get(ACCOUNT, "iam.user", boto3.client("iam", region_name=region).get_user(UserName="alice")["User"]["Arn"])
    assert stored and stored["data"]["name"] == "alice"
