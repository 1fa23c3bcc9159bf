"""No run opened twice, none left open: the planner's tick claim and sweep, and the finisher's
take-over of a stale close claim (moto in-process)."""

from __future__ import annotations

import json

import boto3
import pytest
from tests.aws.conftest import ACCOUNT, factory

from idcensus.pipeline import Pipeline
from idcensus.settings import Settings
from idcensus.store.setup import ensure_bucket, ensure_table

OLD = "2020-01-01T00:00:00Z"


@pytest.fixture
def pipeline(aws):
    boto3.client("organizations").create_organization(FeatureSet="ALL")
    ensure_table(boto3.client("dynamodb"), "state", True)
    ensure_bucket(boto3.client("s3"), "exports", "us-east-1", True)
    sqs = boto3.client("sqs")
    settings = Settings(table_name="state", bucket_name="exports", run_timeout_minutes=60,
                        account_queue_url=sqs.create_queue(QueueName="accounts")["QueueUrl"],
                        finish_queue_url=sqs.create_queue(QueueName="finish")["QueueUrl"],
                        vendor_queue_url=sqs.create_queue(QueueName="vendor")["QueueUrl"])
    return Pipeline(settings, factory())


def drain(url: str) -> list[dict]:
    sqs, out = boto3.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        out += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def run_items(pipeline) -> list[dict]:
    items = pipeline.runs.table.scan()["Items"]
    return [i for i in items if i["sk"] == "RUN"]


def age(pipeline, run_id: str) -> None:
    """The run (and its listing) opened long ago."""
    pipeline.runs.table.update_item(Key={"pk": "RUNS", "sk": f"OPEN#{run_id}"}, UpdateExpression="SET started_at = :o",
                                    ExpressionAttributeValues={":o": OLD})


def test_a_retried_tick_reuses_its_run_and_requeues(pipeline):
    first = pipeline.plan(tick_id="tick-1")
    again = pipeline.plan(tick_id="tick-1")  # Lambda retried the same scheduled event
    assert again["run_id"] == first["run_id"]
    assert len(run_items(pipeline)) == 1
    messages = drain(pipeline.settings.account_queue_url)
    assert {m["run_id"] for m in messages} == {first["run_id"]} and len(messages) == 2
    assert pipeline.plan(tick_id="tick-2")["run_id"] != first["run_id"]  # the next tick is a new run


def test_redelivered_account_of_a_retried_tick_counts_once(pipeline):
    run = pipeline.plan(tick_id="tick-1")
    pipeline.plan(tick_id="tick-1")
    for message in drain(pipeline.settings.account_queue_url):
        pipeline.collect(message)
    finish = drain(pipeline.settings.finish_queue_url)
    assert {m["run_id"] for m in finish} == {run["run_id"]}  # each delivery may announce completion...
    closed = [pipeline.close(m["run_id"]) for m in finish]
    (manifest,) = [m for m in closed if m is not None]  # ...the run is published once
    assert [a["account_id"] for a in manifest["accounts"]] == [ACCOUNT]
    assert len(run_items(pipeline)) == 1


def test_sweep_gives_up_on_missing_accounts_and_the_run_closes_naming_them(pipeline):
    run = pipeline.plan(tick_id="tick-1")
    drain(pipeline.settings.account_queue_url)  # the collector never ran: no outcome, no finish message
    assert pipeline.sweep() == {"overdue_runs": []}  # not overdue yet
    age(pipeline, run["run_id"])
    assert pipeline.sweep() == {"overdue_runs": [run["run_id"]]}
    (gave_up,) = drain(pipeline.settings.finish_queue_url)
    assert gave_up["account"]["account_id"] == ACCOUNT and "swept" in gave_up["reason"]
    assert pipeline.dead_letter(gave_up) == "failed"  # the finisher, as for a dead letter
    (close,) = drain(pipeline.settings.finish_queue_url)
    manifest = pipeline.close(close["run_id"])
    (account,) = manifest["accounts"]
    assert account["status"] == "failed" and "swept" in account["error"]
    latest = json.loads(boto3.client("s3").get_object(Bucket="exports", Key="idcensus/v1/latest.json")["Body"].read())
    assert latest["run_id"] == run["run_id"]
    assert pipeline.runs.open_runs() == [] and pipeline.sweep() == {"overdue_runs": []}


def test_a_run_stuck_closing_is_taken_over_after_the_timeout(pipeline):
    run = pipeline.plan(tick_id="tick-1")
    for message in drain(pipeline.settings.account_queue_url):
        pipeline.collect(message)
    drain(pipeline.settings.finish_queue_url)
    # A finisher claimed the close and died before publishing (S3 refused the manifest, a timeout...).
    assert pipeline.runs.claim_close(run["run_id"], now=OLD)
    assert pipeline.close(run["run_id"]) is not None  # the stale claim is taken over: the run is published
    assert pipeline.runs.find(run["run_id"])["status"] == "closed"


def test_a_fresh_closing_claim_is_not_taken_over(pipeline):
    run = pipeline.plan(tick_id="tick-1")
    for message in drain(pipeline.settings.account_queue_url):
        pipeline.collect(message)
    assert pipeline.runs.claim_close(run["run_id"], now="2999-01-01T00:00:00Z")  # claimed just now
    assert pipeline.close(run["run_id"]) is None  # the redelivered finish message does not close it twice
    assert pipeline.runs.find(run["run_id"])["status"] == "closing"


def test_sweep_sends_a_finish_message_for_a_stuck_closing_run(pipeline):
    run = pipeline.plan(tick_id="tick-1")
    for message in drain(pipeline.settings.account_queue_url):
        pipeline.collect(message)
    drain(pipeline.settings.finish_queue_url)
    pipeline.runs.claim_close(run["run_id"], now=OLD)
    age(pipeline, run["run_id"])
    assert pipeline.sweep() == {"overdue_runs": [run["run_id"]]}
    assert drain(pipeline.settings.finish_queue_url) == [{"run_id": run["run_id"]}]
    assert pipeline.close(run["run_id"]) is not None


def test_sweep_drops_a_listing_whose_run_never_opened(pipeline):
    pipeline.runs.table.put_item(Item={"pk": "RUNS", "sk": "OPEN#ghost", "run_id": "ghost", "started_at": OLD})
    assert pipeline.sweep() == {"overdue_runs": []}
    assert pipeline.runs.open_runs() == []
