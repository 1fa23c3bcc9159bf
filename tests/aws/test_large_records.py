"""No record too big: a group of 20,000 members, a user with 10 inline policies of 2 KB and a role
with a 10 KB trust policy are stored (chunked past DynamoDB's 400 KB) and exported whole."""

from __future__ import annotations

import uuid

import boto3
from boto3.dynamodb.conditions import Key
from tests.aws.test_commit_point import ACCOUNT, storage  # noqa: F401 - the fixture

from idcensus.census import store
from idcensus.collect.account import AccountResult, account_record
from idcensus.collect.contract import AccountInfo, Outcomes
from idcensus.model.records import Group, InlinePolicy, Role, User
from idcensus.store.commit import publish_run
from idcensus.store.export import Exporter, decode_lines
from idcensus.store.state import StateTable

ARN = f"arn:aws:iam::{ACCOUNT}:"


def big_account(members: int) -> AccountResult:
    names = [f"legal/emea/subsidiaries/{uuid.uuid4().hex}" for _ in range(members)]
    group = Group(name="all-staff", arn=f"{ARN}group/all-staff", group_id="AGPA1", path="/", created_at=None,
                  attached_policies=[], inline_policies=[], members=[f"{ARN}user/{n}" for n in names])
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
                                                       "Resource": [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(62)]}]}
    user = User(name="wide", arn=f"{ARN}user/wide", user_id="AIDA1", path="/", created_at=None, tags={}, groups=[],
                attached_policies=[], inline_policies=[InlinePolicy(name=f"p{i}", document=policy) for i in range(10)],
                permissions_boundary=None, password=None, mfa=None, access_keys=None, last_activity_at=None)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": [f"arn:aws:iam::{n:012d}:root" for n in range(350)]}}]}
    role = Role(name="trusting", arn=f"{ARN}role/trusting", role_id="AROA1", path="/", created_at=None, tags={},
                trust_policy=trust, attached_policies=[], inline_policies=[], permissions_boundary=None,
                instance_profiles=[], max_session_duration=3600, last_used_at=None, last_used_region=None,
                service_linked=False)
    account = account_record(AccountInfo(ACCOUNT, name="m"), Outcomes().collection())
    return AccountResult(account=account, items=[("iam.group", group.arn, group), ("iam.user", user.arn, user),
                                                 ("iam.role", role.arn, role)])


def test_large_records_are_stored_and_exported_whole(storage):  # noqa: F811
    state = StateTable(boto3.resource("dynamodb"), "state")
    exporter = Exporter(boto3.client("s3"), "exports")
    result = big_account(20_000)
    sizes = {t: len(str(d.model_dump())) for t, _, d in result.items}
    assert sizes["iam.group"] > 400_000 and sizes["iam.user"] > 20_000 and sizes["iam.role"] > 10_000
    outcome = store(result, run_id="20261201T000000Z-aaaaaa", collected_at="2026-12-01T00:00:00Z",
                    state=state, exporter=exporter)
    publish_run(exporter, run_id="20261201T000000Z-aaaaaa", base_run_id=None, started_at="2026-12-01T00:00:00Z",
                finished_at="2026-12-01T00:00:01Z", files=outcome.files, accounts=[outcome.manifest_entry()])
    group = state.get(ACCOUNT, "iam.group", f"{ARN}group/all-staff")
    assert len(group["data"]["members"]) == 20_000
    chunks = state.table.query(KeyConditionExpression=Key("pk").eq(f"ACCOUNT#{ACCOUNT}") & Key("sk").begins_with("chunk#"))
    assert len(chunks["Items"]) >= 2  # past 400 KB even gzipped: chunk items
    assert {r["type"] for r in state.records(ACCOUNT)} >= {"iam.group", "iam.user", "iam.role"}
    exported = [r for f in outcome.files if f.kind == "snapshot"
                for r in decode_lines(boto3.client("s3").get_object(Bucket="exports", Key=f.key)["Body"].read())]
    (staff,) = [r for r in exported if r["type"] == "iam.group"]
    assert staff["data"]["members"] == group["data"]["members"]
    # A rerun with one member fewer: one update, and the stored record follows.
    smaller = big_account(0)
    smaller.items[0] = ("iam.group", staff["id"], Group(**{**staff["data"], "members": staff["data"]["members"][1:]}))
    smaller.items[1:] = result.items[1:]
    again = store(smaller, run_id="20261201T010000Z-bbbbbb", collected_at="2026-12-01T01:00:00Z", state=state,
                  exporter=exporter, base_run_id="20261201T000000Z-aaaaaa")
    assert again.changes == {"updated": 1} or again.changes == {"updated": 2}  # the group (and the account's counters)
    assert len(state.get(ACCOUNT, "iam.group", staff["id"])["data"]["members"]) == 19_999
