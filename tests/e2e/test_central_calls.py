"""Least privilege, code side: the calls each central function makes are exactly what
permissions.CENTRAL_ACTIONS grants (template.yaml is held to the same module in tests/templates)."""

import json

import boto3
import pytest

from idcensus.aws import ClientFactory
from idcensus.local import configure
from idcensus.permissions import CENTRAL_ACTIONS, NOT_CALLED
from idcensus.pipeline import Pipeline
from idcensus.seed import EXTERNAL_ID, READ_ROLE, member_session
from idcensus.settings import Settings

# API operation -> the IAM action that authorizes it, where the names differ.
ACTION_OF = {"sqs.SendMessageBatch": "sqs:SendMessage",
             "s3.ListObjectsV2": "s3:ListBucket", "s3.HeadObject": "s3:GetObject", "s3.HeadBucket": "s3:ListBucket"}


def actions(counter) -> set[str]:
    out = set()
    for call in counter.calls:
        service, op = call.split(".", 1)
        if service == "iam":  # made with the member read role's credentials, not the function's
            continue
        out.add(ACTION_OF.get(call, f"{service}:{op}"))
    return out


@pytest.fixture
def pipelines(org, monkeypatch):
    monkeypatch.setenv("IDCENSUS_EMULATOR", "1")
    configure("calls-table", "calls-bucket", READ_ROLE, EXTERNAL_ID)

    def make():
        return Pipeline(Settings.from_env(), ClientFactory.from_environment())

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

    for name, pipeline in (("planner", planner), ("account", account), ("finisher", finisher)):
        granted = set(CENTRAL_ACTIONS[name])
        called = actions(pipeline.factory.counter)
        assert called - granted == set(), f"{name} calls what it is not granted"
        assert granted - called == set(NOT_CALLED.get(name, {})), f"{name} is granted what it never calls"
