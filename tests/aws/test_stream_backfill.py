"""Backfill in moto: real-shaped CloudTrail log files (organization and account trails) in S3 ->
the same normalize / dedupe / effects / export path; digests and data events skipped; resumable."""

import gzip
import json
import time
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest
from tests.aws.conftest import factory

from idcensus.handlers import backfill as backfill_handler
from idcensus.handlers import runtime
from idcensus.settings import Settings
from idcensus.store.export import decode_lines
from idcensus.store.state import table_definition
from idcensus.stream.backfill import log_files, run_backfill
from idcensus.stream.effects import last_activity
from idcensus.stream.service import ActivityService
from idcensus_emulator.demo_activity import cloudtrail, eventbridge, user_identity
from idcensus_emulator.local import LambdaContext

TODAY = date(2026, 11, 25)
ORG = "o-a1b2c3d4e5"
A, B = "111111111111", "222222222222"


def log_key(account, day: date, n: int, org=ORG, region="us-east-1", digest=False) -> str:
    folder = "CloudTrail-Digest" if digest else "CloudTrail"
    stem = f"{account}_{folder}_{region}_{day:%Y%m%d}T10{n:02d}Z_abcdEFGH{n:04d}"
    base = f"AWSLogs/{org}/{account}" if org else f"AWSLogs/{account}"
    return f"{base}/{folder}/{region}/{day:%Y/%m/%d}/{stem}.json.gz"


def put_log(s3, bucket, key, records):
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode()))


def event(account, user, day: date, minute: int, **kw):
    when = datetime(day.year, day.month, day.day, 10, minute, tzinfo=UTC)
    return cloudtrail(account, user_identity(account, user, key=f"AKIA{account}{user.upper():0<4}"[:20]),
                      "ListUsers", when=when, read_only=True, **kw)


def data_event(account, day):
    record = event(account, "alice", day, 30, source="s3.amazonaws.com")
    record.update(eventName="GetObject", managementEvent=False, eventCategory="Data")
    return record


@pytest.fixture
def trail(aws):
    boto3.client("dynamodb").create_table(**table_definition("state"))
    s3 = boto3.client("s3")
    for bucket in ("exports", "org-trail", "account-trail"):
        s3.create_bucket(Bucket=bucket)
    logs = {}
    for n, day in enumerate([TODAY - timedelta(days=d) for d in range(3)]):
        logs[log_key(A, day, n)] = [event(A, "alice", day, n), data_event(A, day)]
        logs[log_key(B, day, n)] = [event(B, "bob", day, n), event(B, "bob", day, n + 10)]
    for key, records in logs.items():
        put_log(s3, "org-trail", key, records)
    put_log(s3, "org-trail", log_key(A, TODAY, 1, digest=True), [])  # a digest: never read as events
    put_log(s3, "org-trail", log_key(A, TODAY - timedelta(days=40), 1), [event(A, "alice", TODAY, 59)])  # too old
    put_log(s3, "account-trail", log_key(A, TODAY, 7, org=None), [event(A, "carol", TODAY, 7)])
    return logs


def service():
    return ActivityService(Settings(table_name="state", bucket_name="exports"), factory())


def test_lists_org_and_account_trails_for_the_days_and_accounts(trail):
    s3 = boto3.client("s3")
    keys = log_files(s3, "org-trail", "AWSLogs", 3, None, TODAY)
    assert sorted(keys) == sorted(trail) and not any("Digest" in k for k in keys)
    assert len(log_files(s3, "org-trail", "AWSLogs", 1, [B], TODAY)) == 1
    assert len(log_files(s3, "org-trail", "AWSLogs", 41, None, TODAY)) == 7
    assert log_files(s3, "account-trail", "AWSLogs", 1, None, TODAY) == [log_key(A, TODAY, 7, org=None)]


def test_backfill_keeps_management_events_and_sets_last_activity(trail):
    svc = service()
    result = run_backfill(svc, boto3.client("s3"), "org-trail", days=3, today=TODAY)
    assert (result.files, result.done, result.complete) == (6, 6, True)
    assert result.counts["normalized"] == 9 and result.counts["data_events_skipped"] == 3
    assert last_activity(svc.state.table, A, f"arn:aws:iam::{A}:user/alice") == f"{TODAY}T10:00:00Z"
    assert last_activity(svc.state.table, B, f"arn:aws:iam::{B}:user/bob") == f"{TODAY}T10:10:00Z"
    s3 = boto3.client("s3")
    parts = [o["Key"] for o in s3.list_objects_v2(Bucket="exports", Prefix="idcensus/v1/activity/date=")["Contents"]]
    records = [r for k in parts for r in decode_lines(s3.get_object(Bucket="exports", Key=k)["Body"].read())]
    assert len(records) == 9 and {r["data"]["event_source"] for r in records} == {"iam.amazonaws.com"}


def test_rerun_resumes_and_live_events_already_backfilled_count_once(trail):
    svc = service()
    s3 = boto3.client("s3")
    stopped = run_backfill(svc, s3, "org-trail", days=3, today=TODAY, deadline=time.monotonic() - 1)
    assert (stopped.done, stopped.complete) == (0, False)
    first = run_backfill(svc, s3, "org-trail", days=3, accounts=[A], today=TODAY)
    assert (first.done, first.counts["normalized"]) == (3, 3)
    rest = run_backfill(svc, s3, "org-trail", days=3, today=TODAY)
    assert (rest.resumed, rest.done, rest.counts["normalized"]) == (3, 3, 6)
    again = run_backfill(svc, s3, "org-trail", days=3, today=TODAY)
    assert (again.resumed, again.done) == (6, 0)
    # The live stream delivers one of the backfilled events: it is a duplicate, not a second event.
    live = svc.process([json.dumps(eventbridge(trail[log_key(B, TODAY, 0)][1]))])
    assert (live.counts["duplicates"], live.counts["normalized"]) == (1, 0)


def test_backfill_handler_resumes_within_its_time(trail, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "state")
    monkeypatch.setenv("BUCKET_NAME", "exports")
    today = datetime.now(UTC).date()  # the handler backfills up to the real today
    boto3.client("s3").create_bucket(Bucket="live-trail")
    put_log(boto3.client("s3"), "live-trail", log_key(A, today, 3, org=None), [event(A, "dave", today, 3)])
    monkeypatch.setenv("TRAIL_BUCKET", "live-trail")
    monkeypatch.setattr(runtime, "_factory", factory())
    monkeypatch.setattr(runtime, "_service", None)
    out = backfill_handler.handler({"days": 2}, LambdaContext("backfill"))
    assert out["processed"] == 1 and out["complete"] is True and out["counts"]["normalized"] == 1
    assert backfill_handler.handler({"days": 2}, LambdaContext("backfill"))["resumed"] == 1


def test_a_bad_log_file_is_quarantined_and_the_backfill_goes_on(trail):
    s3 = boto3.client("s3")
    broken = {log_key(B, TODAY, 20): gzip.compress(b"[1, 2, 3]"),  # JSON, but no Records object
              log_key(B, TODAY, 21): b"\x1f\x8b not really gzip"}
    for key, body in broken.items():
        s3.put_object(Bucket="org-trail", Key=key, Body=body)
    result = run_backfill(service(), s3, "org-trail", days=3, today=TODAY)
    assert result.complete and result.done == result.files == 8  # 6 good + 2 bad, all checkpointed
    assert result.counts["bad_log_files"] == 2 and result.counts["normalized"] == 9
    found = s3.list_objects_v2(Bucket="exports", Prefix="idcensus-quarantine/")["Contents"]
    bodies = [json.loads(s3.get_object(Bucket="exports", Key=o["Key"])["Body"].read()) for o in found]
    assert sorted(json.loads(b["raw"])["key"] for b in bodies) == sorted(broken)
    assert {b["reason"] for b in bodies} == {"bad_log_file"} and all(b["source"] == "backfill" for b in bodies)
    again = run_backfill(service(), s3, "org-trail", days=3, today=TODAY)
    assert again.resumed == 8 and again.done == 0


def test_listing_calls_grow_with_accounts_and_regions_not_days(trail):
    f = factory()
    s3 = f.client("s3")
    short = log_files(s3, "org-trail", "AWSLogs", 3, None, TODAY)
    calls_short = f.counter.calls["s3.ListObjectsV2"]
    decade = log_files(s3, "org-trail", "AWSLogs", 3650, None, TODAY)
    calls_decade = f.counter.calls["s3.ListObjectsV2"] - calls_short
    assert len(short) == 6 and len(decade) == 7  # the 40-day-old file is inside ten years
    # 1 (org) + 1 (accounts) + 2 accounts x (1 region listing + 1 file listing), whatever the days.
    assert calls_short == calls_decade == 6
