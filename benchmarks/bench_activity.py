"""Benchmark: event-in -> inventory-updated latency of the activity stream on a moto server (separate process).

    .venv/bin/python benchmarks/bench_activity.py [--events 50]

Path 1: PutEvents on the central bus -> rule -> activity queue -> normalizer handler -> last_activity_at
        of the acting user readable in DynamoDB.
Path 2: an IAM change (attach/detach a policy) + its CloudTrail event on the bus -> normalizer -> refresh
        queue (debounce 0) -> refresh handler -> the user's record in DynamoDB shows the change.
The handlers run in this process on the messages received from the queues (as Lambda's SQS event
source would deliver them; its polling delay is not part of the figure). Prints p50 / p95 / max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import boto3

os.environ.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
                   "POWERTOOLS_LOG_LEVEL": "ERROR"})
sys.path.insert(0, str(Path(__file__).parent))
from bench_collect import start_server  # noqa: E402

from idcensus.aws import ClientFactory  # noqa: E402
from idcensus.census import collect_one  # noqa: E402
from idcensus.collect.contract import AccountInfo  # noqa: E402
from idcensus.handlers import events as events_handler  # noqa: E402
from idcensus.handlers import refresh as refresh_handler  # noqa: E402
from idcensus.observability import metrics  # noqa: E402
from idcensus.settings import Settings  # noqa: E402
from idcensus.store.export import Exporter  # noqa: E402
from idcensus.store.setup import ensure_bucket, ensure_table  # noqa: E402
from idcensus.stream.effects import last_activity  # noqa: E402
from idcensus.stream.service import ActivityService  # noqa: E402
from idcensus_emulator.demo_activity import cloudtrail, eventbridge, user_identity  # noqa: E402
from idcensus_emulator.local import LambdaContext, sqs_event  # noqa: E402
from idcensus_emulator.seed import READ_ROLE, create_read_role  # noqa: E402

POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def setup(users: int) -> tuple[Settings, dict[str, str], str]:
    account = boto3.client("sts").get_caller_identity()["Account"]
    iam, sqs, events = boto3.client("iam"), boto3.client("sqs"), boto3.client("events")
    create_read_role(iam, account)
    iam.create_policy(PolicyName="ReadOnlyAccess", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))
    for n in range(users):
        iam.create_user(UserName=f"u{n}")
    ensure_table(boto3.client("dynamodb"), "bench", True)
    ensure_bucket(boto3.client("s3"), "bench", "us-east-1", True)
    urls = {}
    urls["activity"], activity_arn = queue(sqs, "activity")
    urls["refresh"], urls["refresh_arn"] = queue(sqs, "refresh")
    urls["activity_arn"] = activity_arn
    events.create_event_bus(Name="central")
    pattern = {"source": [{"prefix": "aws."}], "detail-type": ["AWS API Call via CloudTrail"]}
    events.put_rule(Name="activity", EventBusName="central", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="activity", EventBusName="central", Targets=[{"Id": "q", "Arn": activity_arn}])
    settings = Settings(table_name="bench", bucket_name="bench", role_name=READ_ROLE,
                        refresh_queue_url=urls["refresh"], refresh_debounce_seconds=0)
    return settings, urls, account


def deliver(sqs, url, arn, handler, name) -> int:
    """Receive what the queue holds and run the handler on it, as the event source mapping would."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    if messages:
        handler(sqs_event(messages, arn), LambdaContext(name))
        metrics.clear_metrics()  # disabled metrics are never flushed; Powertools prints them at 100 values
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for n, m in enumerate(messages)])
    return len(messages)


def put(record) -> None:
    event = eventbridge(record)
    entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]),
             "EventBusName": "central"}
    assert boto3.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the update")


def report(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
    print(f"{name:<48} n={len(ms):<3} p50={statistics.median(ms):7.1f} ms  p95={p95:7.1f} ms  max={ms[-1]:7.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()
    proc = start_server()
    try:
        settings, urls, account = setup(args.events)
        factory = ClientFactory.from_environment()
        service = ActivityService(settings, factory)
        collect_one(factory, AccountInfo(account), role_name=READ_ROLE, external_id=None, run_id="bench",
                    state=service.state, exporter=Exporter(factory.client("s3"), "bench"))
        events_handler._service = refresh_handler._service = service
        sqs, iam = boto3.client("sqs"), boto3.client("iam")
        policy_arn = f"arn:aws:iam::{account}:policy/ReadOnlyAccess"

        last_use = []
        for n in range(args.events):
            record = cloudtrail(account, user_identity(account, f"u{n}"), "ListRoles", read_only=True)
            arn = f"arn:aws:iam::{account}:user/u{n}"
            started = time.perf_counter()
            put(record)
            until(lambda: deliver(sqs, urls["activity"], urls["activity_arn"], events_handler.handler, "events") > 0)
            until(lambda a=arn: last_activity(service.state.table, account, a) is not None)
            last_use.append(time.perf_counter() - started)

        refreshed = []
        before = dict(factory.counter.calls)
        for n in range(args.events):
            user = f"u{n}"
            iam.attach_user_policy(UserName=user, PolicyArn=policy_arn)
            record = cloudtrail(account, user_identity(account, "admin"), "AttachUserPolicy",
                                request={"userName": user, "policyArn": policy_arn})
            arn = f"arn:aws:iam::{account}:user/{user}"
            started = time.perf_counter()
            put(record)
            until(lambda: deliver(sqs, urls["activity"], urls["activity_arn"], events_handler.handler, "events") > 0)
            until(lambda: deliver(sqs, urls["refresh"], urls["refresh_arn"], refresh_handler.handler, "refresh") > 0)
            until(lambda a=arn: policy_arn in service.state.get(account, "iam.user", a)["data"]["attached_policies"])
            refreshed.append(time.perf_counter() - started)
        made = {k: v - before.get(k, 0) for k, v in factory.counter.calls.items() if v - before.get(k, 0)}
        iam_calls = sum(v for k, v in made.items() if k.startswith("iam."))

        print(f"moto server, {args.events} events per path, handlers in-process")
        report("event in -> last_activity_at updated", last_use)
        report("event in -> targeted refresh record updated", refreshed)
        print(f"per refreshed event: {iam_calls / args.events:.1f} IAM calls (that user's reads), "
              f"{sum(made.values()) / args.events:.1f} idcensus calls in all (DynamoDB, S3, SQS, STS); "
              f"GetAccountAuthorizationDetails: {made.get('iam.GetAccountAuthorizationDetails', 0)}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
