"""The customer's own EventBridge rule for idcensus runs, feeding an SQS queue the test reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from idcensus.store.notify import RUN_COMPLETED, SOURCE


@contextmanager
def run_events(name: str = "customer-automation") -> Iterator:
    """A rule on the default bus for `idcensus.run.completed` into a queue; yields a function that
    returns the events received so far (their whole EventBridge envelopes). Removed afterwards."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [SOURCE], "detail-type": [RUN_COMPLETED]}))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    try:
        yield received
    finally:
        events.remove_targets(Rule=name, Ids=["queue"])
        events.delete_rule(Name=name)
        sqs.delete_queue(QueueUrl=url)
