"""Targeted refresh in moto: one principal re-collected with its own IAM reads (never GAAD), written
with StateTable semantics, exported as a changes part listed in the batch's activity manifest."""

import json
import logging

import boto3
import pytest
from tests import speedups
from tests.aws.conftest import ACCOUNT, factory, moto_in_process
from tests.faults import query_error
from tests.run_events import run_events

from idcensus.census import collect_one
from idcensus.collect.contract import AccountInfo
from idcensus.handlers import refresh as refresh_handler
from idcensus.handlers import runtime
from idcensus.model.findings import DERIVED_TYPES
from idcensus.settings import Settings
from idcensus.store.commit import publish_run
from idcensus.store.export import Exporter, FileEntry, decode_lines
from idcensus.store.state import table_definition
from idcensus.stream.refresh import request_body
from idcensus.stream.service import ActivityService
from idcensus_emulator.demo_activity import cloudtrail, eventbridge, sqs_event, user_identity
from idcensus_emulator.local import LambdaContext
from idcensus_emulator.seed import SeededOrg, seed_identities

READ_ROLE = "IdcensusReadOnly"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/carol"
ALLOWED_IAM = {"iam.GetUser", "iam.ListGroupsForUser", "iam.ListAttachedUserPolicies", "iam.ListUserPolicies",
               "iam.GetUserPolicy", "iam.ListAccessKeys", "iam.ListMFADevices", "iam.GetLoginProfile"}


@pytest.fixture(scope="module")
def collected():
    """The seeded account collected by the census, once per module: each test gets a copy of that
    moto state (speedups.restore) instead of seeding and collecting again."""
    with moto_in_process():
        seed_identities(boto3.client("iam"), ACCOUNT, SeededOrg(ACCOUNT, {"m": ACCOUNT, "other": "210987654321"}))
        boto3.client("dynamodb").create_table(**table_definition("state"))
        boto3.client("s3").create_bucket(Bucket="exports")
        vendor = boto3.client("sqs").create_queue(QueueName="vendor")["QueueUrl"]
        settings = Settings(table_name="state", bucket_name="exports", role_name=READ_ROLE, vendor_queue_url=vendor)
        exporter = Exporter(boto3.client("s3"), "exports")
        outcome = collect_one(factory(), AccountInfo(ACCOUNT), role_name=READ_ROLE, external_id=None, run_id="r1",
                              state=ActivityService(settings, factory()).state, exporter=exporter)
        publish_run(exporter, run_id="r1", base_run_id=None, started_at="2026-12-01T00:00:00Z",
                    finished_at="2026-12-01T00:00:01Z", files=outcome.files, accounts=[outcome.manifest_entry()])
        return speedups.snapshot(), settings


@pytest.fixture
def census(aws, collected):
    """The seeded account collected once by the census, as the refresh finds it in production."""
    state, settings = collected
    speedups.restore(state)
    return ActivityService(settings, factory())


def refresh(service, *targets):
    batch = service.refresh_batch("rb-1")
    changes = [batch.add(ACCOUNT, kind, name) for kind, name in targets]
    return changes, batch.finish()


def test_user_refresh_sees_the_change_with_only_that_users_calls(census):
    before = census.state.get(ACCOUNT, "iam.user", USER_ARN)
    boto3.client("iam").attach_user_policy(UserName="carol", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    calls = dict(census.factory.counter.calls)
    (change,), result = refresh(census, ("iam.user", "carol"))
    made = {k: v - calls.get(k, 0) for k, v in census.factory.counter.calls.items() if v - calls.get(k, 0)}
    iam_calls = {k for k in made if k.startswith("iam.")}
    assert iam_calls <= ALLOWED_IAM and "iam.GetUser" in iam_calls
    assert "iam.GetAccountAuthorizationDetails" not in made and made["sts.AssumeRole"] == 1
    assert sum(v for k, v in made.items() if k.startswith("iam.")) <= 8  # one call per read; carol has no inline policy
    after = census.state.get(ACCOUNT, "iam.user", USER_ARN)
    assert change["change"] == "updated"
    assert after["data"]["attached_policies"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    # Everything else is what the census said (the report-only fields were kept from it).
    assert {k: v for k, v in after["data"].items() if k != "attached_policies"} == \
        {k: v for k, v in before["data"].items() if k != "attached_policies"}
    # Published as a run of its own on the chain (store/commit.py): its changes are the refresh's.
    exporter = Exporter(boto3.client("s3"), "exports")
    manifest = exporter.manifest(exporter.latest()["run_id"])
    assert result.refresh_manifest_key == f"idcensus/v1/runs/{manifest['run_id']}/manifest.json"
    assert (manifest["kind"], manifest["previous_run_id"], manifest["census_run_id"]) == ("refresh", "r1", "r1")
    (entry,) = [f for f in manifest["files"] if f["kind"] == "changes" and f["type"] not in DERIVED_TYPES]
    assert entry["type"] == "iam.user" and entry["key"].startswith(f"idcensus/v1/runs/{manifest['run_id']}/changes/")
    (line,) = decode_lines(boto3.client("s3").get_object(Bucket="exports", Key=entry["key"])["Body"].read())
    assert line["change"] == "updated" and line["id"] == USER_ARN
    # Judged again as a census would: carol's directly attached policy is a finding now, in this run's feed.
    derived = exporter.read_records([FileEntry(**f) for f in manifest["files"] if f["type"] in DERIVED_TYPES], "changes")
    assert sorted((r["type"], r["data"].get("rule_id"), r["change"]) for r in derived) == [
        ("finding", "user.direct_policies", "created"), ("identity.person", None, "updated")]
    (finding,) = [r for r in derived if r["type"] == "finding"]
    (person,) = [r for r in derived if r["type"] == "identity.person"]
    assert finding["data"]["resource_arn"] == USER_ARN and finding["run_id"] == manifest["run_id"]
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in person["data"]["access"][0]["policies"]  # carol's access
    # The snapshot stays the whole inventory: the census's records with carol's replaced.
    snapshot = {r["id"]: r for r in exporter.published_snapshot(manifest["run_id"], ACCOUNT)}
    census_snapshot = {r["id"]: r for r in exporter.published_snapshot("r1", ACCOUNT)}
    assert snapshot.keys() == census_snapshot.keys()
    assert snapshot[USER_ARN]["data"]["attached_policies"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_a_refresh_change_reaches_the_vendor_once(census):
    """Refresh, then the next census: the census's changes are against the refresh run's snapshot,
    so carol's new tag is in the refresh run's feed and not again in the census's."""
    boto3.client("iam").tag_user(UserName="carol", Tags=[{"Key": "team", "Value": "audit"}])
    refresh(census, ("iam.user", "carol"))
    exporter = Exporter(boto3.client("s3"), "exports")
    refreshed = exporter.latest()["run_id"]
    boto3.client("iam").create_user(UserName="zed")
    outcome = collect_one(factory(), AccountInfo(ACCOUNT), role_name=READ_ROLE, external_id=None, run_id="r2",
                          state=census.state, exporter=exporter, base_run_id="r1")
    manifest = publish_run(exporter, run_id="r2", base_run_id="r1", started_at="2026-12-01T00:00:00Z",
                           finished_at="2026-12-01T00:00:02Z", files=outcome.files, accounts=[outcome.manifest_entry()])
    assert manifest["previous_run_id"] == refreshed  # rebased onto the refresh published while it ran
    changes = [(c["id"].rsplit("/", 1)[-1], c["change"]) for c in exporter.read_records(
        [FileEntry(**f) for f in manifest["files"]], kind="changes") if c["type"] == "iam.user"]
    assert ("zed", "created") in changes
    assert not [c for c in changes if c[0] == "carol"]  # published once, by the refresh run


def test_unchanged_principal_writes_nothing(census):
    changes, result = refresh(census, ("iam.user", "alice"), ("iam.user", "ci-deploy"), ("iam.role", "app-instance"),
                              ("iam.group", "developers"), ("iam.policy", f"arn:aws:iam::{ACCOUNT}:policy/reports-read"))
    assert changes == [None] * 5  # the refresh rebuilds exactly the census's record
    assert result.refresh_manifest_key is None


def test_deleted_user_is_marked_deleted(census):
    iam = boto3.client("iam")
    iam.remove_user_from_group(GroupName="developers", UserName="carol")
    iam.delete_user(UserName="carol")
    (change,), _ = refresh(census, ("iam.user", "carol"))
    assert change["change"] == "deleted" and change["deleted"] is True
    assert census.state.get(ACCOUNT, "iam.user", USER_ARN)["deleted"] is True
    # A user under a path is found by name too.
    iam.delete_access_key(UserName="ci-deploy", AccessKeyId=iam.list_access_keys(UserName="ci-deploy")
                          ["AccessKeyMetadata"][0]["AccessKeyId"])
    (change,), _ = refresh(census, ("iam.user", "ci-deploy"))
    assert change["change"] == "updated" and len(change["data"]["access_keys"]) == 1


def test_role_group_and_policy_refresh(census):
    iam = boto3.client("iam")
    iam.attach_role_policy(RoleName="app-instance", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_group_policy(GroupName="admins", PolicyName="extra",
                         PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/reports-read"
    iam.create_policy_version(PolicyArn=policy_arn, SetAsDefault=True, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    changes, _ = refresh(census, ("iam.role", "app-instance"), ("iam.group", "admins"), ("iam.policy", policy_arn))
    role, group, policy = changes
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in role["data"]["attached_policies"]
    assert [p["name"] for p in group["data"]["inline_policies"]] == ["extra"]
    assert policy["data"]["default_version_id"] == "v2" and policy["data"]["document"]["Statement"][0]["Action"] == \
        "s3:GetObject"
    assert all(c["change"] == "updated" for c in changes)


def test_identity_center_user_of_an_unseen_store_is_logged_and_skipped(census, caplog):
    # Users are refreshed (test_stream_refresh_sso.py) in the instance that holds their store; an
    # event naming a store this account does not see costs one ListInstances and writes nothing.
    calls = dict(census.factory.counter.calls)
    with caplog.at_level(logging.INFO, logger="idcensus"):
        (change,), result = refresh(census, ("sso.user", "d-9067230000/906748e1d2-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"))
    assert change is None and "its instance is not visible there" in caplog.text
    made = {k: v - calls.get(k, 0) for k, v in census.factory.counter.calls.items() if v - calls.get(k, 0)}
    assert made == {"sts.AssumeRole": 1, "sso-admin.ListInstances": 1} and result.refresh_manifest_key is None


def test_refresh_handler_reports_failures_per_message(census, monkeypatch):
    monkeypatch.setattr(runtime, "_service", census)
    boto3.client("iam").attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    good = request_body(ACCOUNT, "iam.user", "bob", "e-1", "2026-11-25T00:00:00Z")
    broken = "{not json"
    event = sqs_event([good, broken])
    response = refresh_handler.handler(event, LambdaContext("refresh"))
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    bob = census.state.get(ACCOUNT, "iam.user", f"arn:aws:iam::{ACCOUNT}:user/bob")
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in bob["data"]["attached_policies"]


def test_inline_refresh_that_cannot_assume_the_role_keeps_the_events(census):
    """Without a refresh queue (CLI replay), a refresh failure is counted; the events stay processed."""
    def deny_assume(request, **_):
        return query_error(request, "AccessDenied", 403, "not authorized to perform: sts:AssumeRole")

    service = ActivityService(census.settings, factory(("before-send.sts", deny_assume)))
    attach = cloudtrail(ACCOUNT, user_identity(ACCOUNT, "alice"), "AttachUserPolicy",
                        request={"userName": "carol", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    result = service.process([json.dumps(eventbridge(attach))])
    assert (result.counts["normalized"], result.counts["refresh_failed"], result.counts["refreshed"]) == (1, 1, 0)
    assert service.effects.claim(attach["eventID"]) is False  # done: a replay will not redo it


def test_role_refresh_tells_sister_accounts_from_outsiders(census):
    # UpdateAssumeRolePolicy is the event that triggers this refresh: the new trust names a sister account.
    sister = "210987654321"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{sister}:root", "arn:aws:iam::999988887777:root"]},
         "Action": "sts:AssumeRole"}]}
    boto3.client("iam").update_assume_role_policy(RoleName="org-auditor", PolicyDocument=json.dumps(trust))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/org-auditor"

    refresh(census, ("iam.role", "org-auditor"))  # no census has recorded the organization yet
    assert census.state.get(ACCOUNT, "iam.role", role_arn)["data"]["external_principals"] == [
        f"arn:aws:iam::{sister}:root", "arn:aws:iam::999988887777:root"]

    census.state.put_organization([ACCOUNT, sister], "o-exampleorg1")  # what every census run records
    (change,), _ = refresh(census, ("iam.role", "org-auditor"))
    assert change["change"] == "updated"
    assert census.state.get(ACCOUNT, "iam.role", role_arn)["data"]["external_principals"] == [
        "arn:aws:iam::999988887777:root"]


def test_a_published_refresh_run_is_an_event_on_the_default_bus_as_a_census_run_is(census):
    """The customer's rule for idcensus.run.completed sees refresh runs too, told apart by kind."""
    sqs = boto3.client("sqs")
    service = ActivityService(census.settings.model_copy(update={"event_bus_name": "default"}), factory())
    with run_events() as received:
        boto3.client("iam").tag_user(UserName="carol", Tags=[{"Key": "team", "Value": "audit"}])
        _, result = refresh(service, ("iam.user", "carol"))
        vendor = sqs.receive_message(QueueUrl=census.settings.vendor_queue_url, MaxNumberOfMessages=10)["Messages"]
        (event,) = received()
        assert (event["source"], event["detail-type"]) == ("idcensus", "idcensus.run.completed")
        assert event["detail"]["kind"] == "refresh" and event["detail"]["manifest_key"] == result.refresh_manifest_key
        assert [json.loads(m["Body"]) for m in vendor] == [event["detail"]]  # the vendor's notice, word for word

        boto3.client("iam").tag_user(UserName="carol", Tags=[{"Key": "team", "Value": "audit"}])  # nothing changes
        refresh(service, ("iam.user", "carol"))
        assert received() == []  # no run, no event
