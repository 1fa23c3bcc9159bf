"""Run the Lambda path locally: planner -> account queue -> collectors -> finisher, with the real
handlers invoked in-process on the SQS messages received from the emulator (moto server)."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3

from idcensus.store.setup import ensure_bucket, ensure_table

MAX_RECEIVE = 3


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = ""
    invoked_function_arn: str = ""

    def __post_init__(self):
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


def create_queues(sqs, prefix: str) -> dict[str, str]:
    """Queues as template.yaml declares them; visibility 0 so a failed message returns at once."""
    dlq = sqs.create_queue(QueueName=f"{prefix}-account-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE)})
    return {
        "ACCOUNT_QUEUE_URL": sqs.create_queue(QueueName=f"{prefix}-account", Attributes={
            "VisibilityTimeout": "0", "RedrivePolicy": redrive})["QueueUrl"],
        "ACCOUNT_DLQ_URL": dlq,
        "FINISH_QUEUE_URL": sqs.create_queue(QueueName=f"{prefix}-finish")["QueueUrl"],
        "VENDOR_QUEUE_URL": sqs.create_queue(QueueName=f"{prefix}-vendor")["QueueUrl"],
    }


def configure(table: str, bucket: str, role_name: str, external_id: str, prefix: str = "idcensus/v1/") -> dict:
    """Create storage and queues, and set the environment the functions read (as the stack would)."""
    ensure_table(boto3.client("dynamodb"), table, True)  # already there when the CLI made it
    ensure_bucket(boto3.client("s3"), bucket, "us-east-1", True)
    env = {"TABLE_NAME": table, "BUCKET_NAME": bucket, "EXPORT_PREFIX": prefix, "ROLE_NAME": role_name,
           "EXTERNAL_ID": external_id, "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
           "POWERTOOLS_LOG_LEVEL": "ERROR", "EVENT_BUS_NAME": "default", **create_queues(boto3.client("sqs"), table)}
    os.environ.update(env)
    return env


def sqs_event(messages: list[dict], queue_arn: str) -> dict:
    return {"Records": [
        {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
         "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
         "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1"}
        for m in messages
    ]}


def drain(sqs, url: str, handler, name: str, batch: int = 1) -> dict[str, int]:
    """Deliver every message of a queue to a handler as Lambda's event source mapping would."""
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    counts = {"ok": 0, "failed": 0}
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch, WaitTimeSeconds=0,
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return counts
        try:
            response = handler(sqs_event(messages, arn), LambdaContext(name))
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - as Lambda does: an invocation error fails the whole batch
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] in failed:
                counts["failed"] += 1  # left on the queue: redelivered, then dead-lettered
            else:
                counts["ok"] += 1
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def schedule_tick() -> dict:
    """A scheduled event as EventBridge delivers it (events/schedule-tick.json has the recorded shape)."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/idcensus-local"],
            "detail": {}}


def run_pipeline(env: dict, factory=None) -> dict:
    """One scheduled run, end to end, with the handlers' clients made by `factory` (the emulator's
    hooks installed) or from the environment. Returns what each stage did."""
    from idcensus.handlers import account, finisher, planner, runtime

    runtime.use(factory)  # settings may differ between local runs
    sqs = boto3.client("sqs")
    planned = planner.handler(schedule_tick(), LambdaContext("planner"))
    collected = drain(sqs, env["ACCOUNT_QUEUE_URL"], account.handler, "account-collector")
    dead = drain(sqs, env["ACCOUNT_DLQ_URL"], finisher.handler, "finisher")
    finished = drain(sqs, env["FINISH_QUEUE_URL"], finisher.handler, "finisher")
    notices = [json.loads(m["Body"]) for m in sqs.receive_message(
        QueueUrl=env["VENDOR_QUEUE_URL"], MaxNumberOfMessages=10).get("Messages", [])]
    return {"planned": planned, "collected": collected, "dead_lettered": dead, "finished": finished,
            "vendor_notices": notices}
