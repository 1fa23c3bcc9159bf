"""Least privilege, code side: the calls each central function makes are exactly what
permissions.CENTRAL_ACTIONS grants (template.yaml is held to the same module in tests/templates)."""

import json

import boto3
import pytest
from tests.tiers import collect_only

from idcensus.aws import ClientFactory
from idcensus.permissions import CENTRAL_ACTIONS, NOT_CALLED
from idcensus.pipeline import Pipeline
from idcensus.settings import Settings
from idcensus_emulator.local import configure
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, member_session

# API operation -> the IAM action that authorizes it, where the names differ.
ACTION_OF = {"sqs.SendMessageBatch": "sqs:SendMessage",
             "s3.ListObjectsV2": "s3:ListBucket", "s3.HeadObject": "s3:GetObject", "s3.HeadBucket": "s3:ListBucket",
             "eventbridge.PutEvents": "events:PutEvents"}


def actions(counter) -> set[str]:
    out = set()
    for call in counter.calls:
        service, op = call.split(".", 1)
        if service == "iam":  # made with the member read role's credentials, not the function's
            continue
        out.add(ACTION_OF.get(call, f"{service}:{op}"))
    return out


@pytest.fixture(autouse=True)
def member_calls(monkeypatch):
    """Calls made with a member read role's credentials, counted apart from the function's own: they
    are the member role's permissions (the registry's tiers), not the function's."""
    from idcensus.aws import CallCounter

    counter, real = CallCounter(), ClientFactory.assume

    def assume(self, *args, **kwargs):
        member = real(self, *args, **kwargs)
        member.counter = counter
        return member

    monkeypatch.setattr(ClientFactory, "assume", assume)
    return counter


@pytest.fixture
def pipelines(org, monkeypatch):
    configure("calls-table", "calls-bucket", READ_ROLE, EXTERNAL_ID)

    def make():
        return Pipeline(Settings.from_env(), ClientFactory.from_environment(hooks=org.gaps))

    return make


def drain(url):
    sqs = boto3.client("sqs")
    messages = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in batch:
            messages.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return sorted(messages, key=lambda m: m["account"]["account_id"])


def split(messages, account_id):
    (dead,) = [m for m in messages if m["account"]["account_id"] == account_id]
    return dead, [m for m in messages if m is not dead]


def test_each_function_calls_exactly_what_it_is_granted(pipelines, org):
    planner, account, finisher = pipelines(), pipelines(), pipelines()
    url = Settings.from_env().account_queue_url
    iam = member_session(org.accounts["security"], org.management_id).client("iam")
    iam.create_user(UserName="calls-temp")

    # Run 1: the finisher dead-letters the last account, so it is the one that completes the run.
    run = planner.plan()
    dead, collected = split(drain(url), org.accounts["dev"])
    for message in collected:
        account.collect(message)
    finisher.dead_letter(dead)
    assert finisher.close(run["run_id"]) is not None

    # Run 2: a user is gone (the collector reads the old record to mark it deleted) and the
    # collector completes the run (it sends the finish message).
    iam.delete_user(UserName="calls-temp")
    run = planner.plan()
    dead, collected = split(drain(url), org.accounts["prod"])
    finisher.dead_letter(dead)
    for message in collected:
        account.collect(message)
    assert finisher.close(run["run_id"]) is not None

    # The planner's sweep: a listing left by a run that never opened (a crash between the two writes).
    planner.runs.table.put_item(Item={"pk": "RUNS", "sk": "OPEN#ghost", "run_id": "ghost",
                                      "started_at": "2020-01-01T00:00:00Z"})
    assert planner.sweep() == {"overdue_runs": []}

    for name, pipeline in (("planner", planner), ("account", account), ("finisher", finisher)):
        granted = set(CENTRAL_ACTIONS[name])
        called = actions(pipeline.factory.counter)
        assert called - granted == set(), f"{name} calls what it is not granted"
        assert granted - called == set(NOT_CALLED.get(name, {})), f"{name} is granted what it never calls"


def test_activity_functions_call_exactly_what_they_are_granted(org, monkeypatch):
    """events (normalizer), refresh and backfill, each with its own factory, through their service path."""
    import gzip
    from datetime import UTC, datetime

    from idcensus.stream.service import ActivityService
    from idcensus_emulator.demo_activity import cloudtrail, console_login, eventbridge, user_identity

    configure("activity-calls", "activity-calls-bucket", READ_ROLE, EXTERNAL_ID)
    sqs = boto3.client("sqs")
    refresh_url = sqs.create_queue(QueueName="activity-calls-refresh")["QueueUrl"]
    monkeypatch.setenv("REFRESH_QUEUE_URL", refresh_url)
    monkeypatch.setenv("REFRESH_DEBOUNCE_SECONDS", "0")
    prod = org.accounts["prod"]
    services = {name: ActivityService(Settings.from_env(), ClientFactory.from_environment(hooks=org.gaps))
                for name in ("events", "refresh", "backfill")}

    attach = cloudtrail(prod, user_identity(prod, "alice"), "AttachUserPolicy",
                        request={"userName": "carol", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    batch = services["events"].batch("calls")
    for record in (attach, console_login(prod, "alice", mfa=True)):
        batch.add_raw(json.dumps(eventbridge(record)))
    assert batch.finish().counts["refresh_requested"] == 1

    # A census of prod published first: a refresh is published as a run on its chain, and announced.
    from idcensus.census import run_census
    from idcensus.collect.contract import AccountInfo, CollectOptions
    from idcensus.store.export import Exporter
    from idcensus.store.state import StateTable

    census = ClientFactory.from_environment(hooks=org.gaps)
    with monkeypatch.context() as only_identities:  # what a refresh re-reads: Tier 1 is enough
        collect_only(only_identities)
        run_census(census, [AccountInfo(prod, name="prod")], role_name=READ_ROLE, external_id=EXTERNAL_ID,
                   state=StateTable(census.resource("dynamodb"), "activity-calls"),
                   exporter=Exporter(census.client("s3"), "activity-calls-bucket"),
                   options=CollectOptions(regions=("us-east-1",)))
    iam = member_session(prod, org.management_id).client("iam")
    iam.tag_user(UserName="carol", Tags=[{"Key": "calls", "Value": "refreshed"}])  # a change for the refresh to see

    refresh = services["refresh"].refresh_batch("calls")
    for message in sqs.receive_message(QueueUrl=refresh_url, MaxNumberOfMessages=10)["Messages"]:
        refresh.add_message(message["Body"])
    refresh.add(prod, "iam.user", "no-such-user")  # gone: looked up by name (Query)
    refreshed = refresh.finish()
    iam.untag_user(UserName="carol", TagKeys=["calls"])  # the session's organization as the other tests know it
    assert refreshed.counts["updated"] == 1 and refreshed.refresh_manifest_key  # carol's tag: a refresh run

    boto3.client("s3").create_bucket(Bucket="activity-calls-trail")
    day = datetime.now(UTC)
    key = f"AWSLogs/{prod}/CloudTrail/us-east-1/{day:%Y/%m/%d}/{prod}_CloudTrail_us-east-1_{day:%Y%m%dT%H%M}Z_x.json.gz"
    records = [cloudtrail(prod, user_identity(prod, "bob"), "ListUsers", read_only=True)]
    boto3.client("s3").put_object(Bucket="activity-calls-trail", Key=key,
                                  Body=gzip.compress(json.dumps({"Records": records}).encode()))
    from idcensus.stream.backfill import run_backfill

    backfill = services["backfill"]
    assert run_backfill(backfill, backfill.factory.client("s3"), "activity-calls-trail", days=1).done == 1

    # Export windows (ACTIVITY_WINDOW_SECONDS): the normalizer stages a batch, the refresh function
    # exports the window once it closed (its claim and done marker are the refresh's PutItem).
    from idcensus.stream.activity_export import window_due

    windowed = Settings.from_env().model_copy(update={"activity_window_seconds": 600})
    staging = ActivityService(windowed, services["events"].factory).batch("windowed")
    staging.add_raw(json.dumps(eventbridge(cloudtrail(prod, user_identity(prod, "dave"), "ListRoles", read_only=True))))
    window = staging.finish().staged_window
    exporter = ActivityService(windowed, services["refresh"].factory)
    exporter.now = lambda: window_due(window, 600)
    exported = exporter.export_window(window, 600)
    assert exported.files, exported.counts

    for name, service in services.items():
        granted = set(CENTRAL_ACTIONS[name])
        called = actions(service.factory.counter)
        assert called - granted == set(), f"{name} calls what it is not granted"
        assert granted - called == set(NOT_CALLED.get(name, {})), f"{name} is granted what it never calls"


def test_check_function_calls_exactly_what_it_is_granted(org, monkeypatch, member_calls):
    """The post-deployment check: through its handler (result recorded per account), then counted."""
    from idcensus.access_check import load_check, run_deployed_check
    from idcensus.handlers import runtime
    from idcensus.handlers.check import handler
    from idcensus_emulator.local import LambdaContext

    configure("check-calls", "check-calls-bucket", READ_ROLE, EXTERNAL_ID)
    runtime.use(ClientFactory.from_environment(hooks=org.gaps))
    result = handler({}, LambdaContext("check"))
    assert result["accounts"] == len(org.accounts) and result["tier1_failed"] == []
    table = boto3.resource("dynamodb").Table("check-calls")
    recorded = load_check(table, org.accounts["prod"])
    assert recorded.reachable and recorded.capabilities["iam.authorization_details"] == "ok"

    factory = ClientFactory.from_environment(hooks=org.gaps)
    run_deployed_check(Settings.from_env(), factory)
    called = actions(factory.counter)
    assert called == set(CENTRAL_ACTIONS["check"]) - set(NOT_CALLED.get("check", {}))
    assert member_calls.total() > 0  # the probes ran, with the read role's credentials
