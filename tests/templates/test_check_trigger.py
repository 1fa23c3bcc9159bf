"""The check function runs after each successful operation of this stack's member StackSet: the
rule's pattern, read from template.yaml, tried in moto EventBridge against real-shape events."""

import json

import boto3
import pytest
from moto import mock_aws

from tests.templates.cfn import TEMPLATE, load

STACK, ACCOUNT, REGION = "idcensus", "123456789012", "us-east-1"


def resolved_pattern() -> dict:
    events = load(TEMPLATE)["Resources"]["CheckFunction"]["Properties"]["Events"]
    pattern = events["AfterMemberDeployment"]["Properties"]["Pattern"]
    (arn,) = pattern["detail"]["stack-set-arn"]
    sub = arn["prefix"]["Fn::Sub"]
    for name, value in (("AWS::Partition", "aws"), ("AWS::Region", REGION), ("AWS::AccountId", ACCOUNT),
                        ("AWS::StackName", STACK)):
        sub = sub.replace("${" + name + "}", value)
    return {**pattern, "detail": {**pattern["detail"], "stack-set-arn": [{"prefix": sub}]}}


def stackset_event(name: str, status: str) -> dict:
    detail = {"stack-set-arn": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stackset/{name}:0d7c4c55-1b2a-4c63-9e1e",
              "stack-set-operation-id": "7f0a3a3c-2d61-4f2b-b1a5", "status-details": {"status": status}}
    return {"Source": "aws.cloudformation", "DetailType": "CloudFormation StackSet Operation Status Change",
            "Detail": json.dumps(detail)}


@pytest.fixture
def delivered():
    with mock_aws():
        sqs, events = boto3.client("sqs", region_name=REGION), boto3.client("events", region_name=REGION)
        url = sqs.create_queue(QueueName="check")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="after-deploy", EventPattern=json.dumps(resolved_pattern()))
        events.put_targets(Rule="after-deploy", Targets=[{"Id": "check", "Arn": arn}])

        def put(event):
            events.put_events(Entries=[event])
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
            return len(got)

        yield put


def test_a_succeeded_member_operation_runs_the_check(delivered):
    assert delivered(stackset_event(f"{STACK}-member", "SUCCEEDED")) == 1


@pytest.mark.parametrize("name,status", [(f"{STACK}-member", "FAILED"), (f"{STACK}-member", "RUNNING"),
                                         ("someone-elses-stackset", "SUCCEEDED")])
def test_other_operations_do_not(delivered, name, status):
    assert delivered(stackset_event(name, status)) == 0
