"""EventBridge routing in moto, with the event patterns read from the templates themselves:
member default bus (stacksets/member.yaml rules) -> central bus -> rule (template.yaml) -> SQS ->
the normalizer handler."""

import json

import boto3
import pytest
from tests.aws.conftest import ACCOUNT, factory
from tests.templates.cfn import MEMBER, TEMPLATE, load, resources_of_type

from idcensus.handlers import events as events_handler
from idcensus.handlers import runtime
from idcensus.settings import Settings
from idcensus.store.state import table_definition
from idcensus.stream.service import ActivityService
from idcensus_emulator.demo_activity import cloudtrail, console_login, eventbridge, role_session, user_identity
from idcensus_emulator.local import LambdaContext, sqs_event


def patterns(path, bus_filter) -> list[dict]:
    rules = resources_of_type(load(path), "AWS::Events::Rule")
    found = [r["Properties"]["EventPattern"] for r in rules.values() if bus_filter(r["Properties"])]
    assert found, f"no activity rule in {path.name}"
    return found


def is_activity(props) -> bool:
    return "AWS API Call via CloudTrail" in json.dumps(props.get("EventPattern", {}))


@pytest.fixture
def routed(aws):
    events, sqs = boto3.client("events"), boto3.client("sqs")
    central = events.create_event_bus(Name="idcensus-activity")["EventBusArn"]
    queue = sqs.create_queue(QueueName="activity")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for n, pattern in enumerate(patterns(MEMBER, lambda p: p.get("EventBusName") == "default" and is_activity(p))):
        events.put_rule(Name=f"member-{n}", EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=f"member-{n}", Targets=[{"Id": "central", "Arn": central}])
    (central_pattern,) = patterns(TEMPLATE, lambda p: p.get("EventBusName") != "default" and is_activity(p))
    events.put_rule(Name="central", EventBusName="idcensus-activity", EventPattern=json.dumps(central_pattern))
    events.put_targets(Rule="central", EventBusName="idcensus-activity", Targets=[{"Id": "q", "Arn": queue_arn}])
    return queue, queue_arn


def put(record):
    event = eventbridge(record)
    entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}
    assert boto3.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_identity_events_reach_the_normalizer_and_others_do_not(routed, monkeypatch):
    queue, queue_arn = routed
    who = user_identity(ACCOUNT, "alice", key="AKIAIOSFODNN7EXAMPLE")
    wanted = [
        cloudtrail(ACCOUNT, who, "AttachUserPolicy",
                   request={"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        console_login(ACCOUNT, "alice", mfa=True),
        cloudtrail(ACCOUNT, role_session(ACCOUNT, "ci"), "AssumeRole", source="sts.amazonaws.com",
                   request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/deployer", "roleSessionName": "x"}),
    ]
    unwanted = cloudtrail(ACCOUNT, who, "PutObject", source="s3.amazonaws.com")
    for record in [*wanted, unwanted]:
        put(record)

    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    delivered = [json.loads(m["Body"]) for m in messages]
    assert {d["detail"]["eventID"] for d in delivered} == {r["eventID"] for r in wanted}
    # AssumeRole matches both member rules here; in AWS the ENABLED rule gets no read-only events.
    # Either way the normalizer counts it once (event_id dedupe).
    assert len(delivered) == 4
    assert {d["detail-type"] for d in delivered} == {"AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"}

    boto3.client("dynamodb").create_table(**table_definition("state"))
    boto3.client("s3").create_bucket(Bucket="exports")
    monkeypatch.setattr(runtime, "_service",
                        ActivityService(Settings(table_name="state", bucket_name="exports"), factory()))
    response = events_handler.handler(sqs_event(messages, queue_arn), LambdaContext("events"))
    assert response == {"batchItemFailures": []}
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="exports")["Contents"]]
    assert not [k for k in keys if "/quarantine/" in k]  # what EventBridge delivers normalizes
    (manifest_key,) = [k for k in keys if "/manifests/" in k]
    counts = json.loads(boto3.client("s3").get_object(Bucket="exports", Key=manifest_key)["Body"].read())["counts"]
    assert (counts["received"], counts["normalized"], counts["duplicates"]) == (4, 3, 1)
