"""Activity effects in moto: dedupe, monotonic last activity, debounced refresh requests, quarantine,
the activity export, and a mixed batch through the Lambda handler (events in = normalized + quarantined
+ duplicates)."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from idcensus.aws import ClientFactory, botocore_config
from idcensus.handlers import events as events_handler
from idcensus.handlers import runtime
from idcensus.settings import Settings
from idcensus.store.export import decode_lines
from idcensus.store.state import table_definition
from idcensus.stream.effects import last_activity
from idcensus.stream.normalize import MAX_EVENT_BYTES
from idcensus.stream.service import ActivityService
from idcensus_emulator.demo_activity import cloudtrail, console_login, eventbridge, role_session, sqs_event, user_identity
from idcensus_emulator.gaps import answer
from idcensus_emulator.local import LambdaContext

ACCOUNT = "123456789012"
KEY = "AKIAIOSFODNN7EXAMPLE"
T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
PREFIX = "idcensus/v1/"


@pytest.fixture
def env(aws):
    boto3.client("dynamodb").create_table(**table_definition("state"))
    boto3.client("s3").create_bucket(Bucket="exports")
    sqs = boto3.client("sqs")
    queues = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("refresh", "vendor")}
    return queues


def make_service(env, *hooks, refresh_queue=True, debounce=30, attempts=None) -> ActivityService:
    settings = Settings(table_name="state", bucket_name="exports", export_prefix=PREFIX,
                        refresh_queue_url=env["refresh"] if refresh_queue else None, vendor_queue_url=env["vendor"],
                        refresh_debounce_seconds=debounce)
    factory = ClientFactory(hooks=list(hooks), account_id=ACCOUNT,
                            **({"config": botocore_config(attempts)} if attempts else {}))
    return ActivityService(settings, factory)


def alice(event_name="ListUsers", when=T0, **kw):
    return cloudtrail(ACCOUNT, user_identity(ACCOUNT, "alice", key=KEY), event_name, when=when, **kw)


def body(record) -> str:
    return json.dumps(eventbridge(record))


def objects(prefix):
    s3 = boto3.client("s3")
    return [o["Key"] for o in s3.list_objects_v2(Bucket="exports", Prefix=prefix).get("Contents", [])]


def messages(url):
    return boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                               AttributeNames=["All"]).get("Messages", [])


def test_last_activity_is_monotonic_for_principal_role_and_key(env):
    service = make_service(env)
    newer = alice(when=T0)
    older = alice(when=T0 - timedelta(days=2))
    session = cloudtrail(ACCOUNT, role_session(ACCOUNT, "deployer"), "GetCallerIdentity",
                         source="sts.amazonaws.com", when=T0 + timedelta(minutes=1))
    result = service.process([body(newer), body(older), body(session)])
    table = service.state.table
    assert last_activity(table, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice") == "2026-11-20T10:00:00Z"
    assert last_activity(table, ACCOUNT, KEY) == "2026-11-20T10:00:00Z"  # the older event never moved it back
    # An assumed-role session counts for its role; session (ASIA) keys are not inventoried.
    assert last_activity(table, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/deployer") == "2026-11-20T10:01:00Z"
    assert last_activity(table, ACCOUNT, "ASIAEXAMPLE000000001") is None
    assert result.counts["last_activity_older"] == 2 and result.counts["last_activity_updated"] == 3
    # A later, newer event moves it forward.
    service.process([body(alice(when=T0 + timedelta(hours=1)))])
    assert last_activity(table, ACCOUNT, KEY) == "2026-11-20T11:00:00Z"


def test_failed_calls_and_sign_ins_do_not_count_as_use(env):
    service = make_service(env)
    service.process([body(alice(error="AccessDenied")),
                     body(console_login(ACCOUNT, "bob", mfa=False, when=T0, failed=True))])
    assert last_activity(service.state.table, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice") is None
    assert last_activity(service.state.table, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/bob") is None


def test_replay_and_duplicates_count_once(env):
    service = make_service(env, refresh_queue=False)
    events = [body(alice(when=T0 + timedelta(seconds=n))) for n in range(3)]
    first = service.process(events + [events[0]])
    assert (first.counts["normalized"], first.counts["duplicates"]) == (3, 1)
    # The same event in a new EventBridge envelope (another delivery) is the same event_id.
    again = json.loads(events[1])
    again["id"] = "another-delivery"
    second = service.process(events + [json.dumps(again)])
    assert (second.counts["normalized"], second.counts["duplicates"]) == (0, 4)
    assert second.manifest_key is None  # nothing new: nothing exported
    parts = objects(f"{PREFIX}activity/date=")
    assert sum(len(decode_lines(boto3.client("s3").get_object(Bucket="exports", Key=k)["Body"].read()))
               for k in parts) == 3
    marker = service.state.table.get_item(Key={"pk": f"EVENT#{json.loads(events[0])['detail']['eventID']}",
                                                "sk": "EVENT"})["Item"]
    assert marker["state"] == "done" and int(marker["expires_at"]) > datetime.now(UTC).timestamp() + 29 * 86400


def test_refresh_requests_are_debounced_per_principal(env):
    service = make_service(env, debounce=30)
    attach = alice("AttachUserPolicy", request={"userName": "carol", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    detach = alice("DetachUserPolicy", when=T0 + timedelta(seconds=5),
                   request={"userName": "carol", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    group = alice("AddUserToGroup", request={"userName": "dave", "groupName": "admins"})
    first = service.process([body(attach)])
    second = service.process([body(detach), body(group)])
    assert first.counts["refresh_requested"] == 1
    assert second.counts["refresh_debounced"] == 1  # carol is already pending
    sqs = boto3.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=env["refresh"], AttributeNames=["All"])["Attributes"]
    # Both requests wait out the debounce (DelaySeconds) before the refresh function sees them.
    assert int(attrs["ApproximateNumberOfMessagesDelayed"]) + int(attrs["ApproximateNumberOfMessages"]) == 3
    assert messages(env["refresh"]) == []
    pending = service.state.table.get_item(Key={"pk": f"REFRESH#{ACCOUNT}#iam.user#carol", "sk": "REFRESH"})["Item"]
    assert int(pending["due_at_ms"]) > datetime.now(UTC).timestamp() * 1000 + 20_000


def test_refresh_request_after_the_window_is_sent_again(env):
    service = make_service(env, debounce=0)
    attach = alice("AttachUserPolicy", request={"userName": "carol", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    detach = alice("DetachUserPolicy", when=T0 + timedelta(seconds=5),
                   request={"userName": "carol", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    assert service.process([body(attach)]).counts["refresh_requested"] == 1
    assert service.process([body(detach)]).counts["refresh_requested"] == 1
    got = [json.loads(m["Body"]) for m in messages(env["refresh"])]
    assert {(g["account_id"], g["kind"], g["name"]) for g in got} == {(ACCOUNT, "iam.user", "carol")}
    assert len(got) == 2


def test_export_parts_manifest_and_vendor_notice(env):
    service = make_service(env, refresh_queue=False)
    other = "210987654321"
    records = [alice(when=T0), alice(when=T0 + timedelta(hours=1)),
               cloudtrail(other, user_identity(other, "bob"), "ListRoles", when=T0)]
    result = service.process([body(r) for r in records], batch_id="b-1")
    s3 = boto3.client("s3")
    manifest = json.loads(s3.get_object(Bucket="exports", Key=result.manifest_key)["Body"].read())
    assert result.manifest_key.startswith(f"{PREFIX}activity/manifests/") and result.manifest_key.endswith("/b-1.json")
    keys = sorted(f["key"] for f in manifest["files"])
    assert keys == [f"{PREFIX}activity/date=2026-11-20/hour=10/account={ACCOUNT}/part-b-1.jsonl.gz",
                    f"{PREFIX}activity/date=2026-11-20/hour=10/account={other}/part-b-1.jsonl.gz",
                    f"{PREFIX}activity/date=2026-11-20/hour=11/account={ACCOUNT}/part-b-1.jsonl.gz"]
    for entry in manifest["files"]:
        blob = s3.get_object(Bucket="exports", Key=entry["key"])["Body"].read()
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"] and len(blob) == entry["bytes"]
        lines = decode_lines(blob)
        assert len(lines) == entry["records"] and {r["type"] for r in lines} == {"activity.event"}
        assert {r["account_id"] for r in lines} == {entry["account_id"]}
    (notice,) = [json.loads(m["Body"]) for m in messages(env["vendor"])]
    assert notice == {"event": "idcensus.activity.exported", "bucket": "exports", "manifest_key": result.manifest_key,
                      "batch_id": "b-1", "schema_version": manifest["schema_version"], "records": 3}


def bad_inputs() -> dict[str, bytes | str]:
    too_big = alice()
    too_big["requestParameters"] = {"padding": "x" * MAX_EVENT_BYTES}
    no_id = alice()
    del no_id["eventID"]
    return {"malformed": '{"detail-type": "AWS API Call via CloudTrail", "detail": {',
            "not_utf8": b'{"detail": "\xff\xfe broken"}',
            "too_large": body(too_big),
            "unknown_shape": json.dumps({"hello": "world"}),
            "missing_fields": body(no_id)}


def test_mixed_batch_through_the_handler_loses_nothing(env, monkeypatch):
    monkeypatch.setattr(runtime, "_service", make_service(env, refresh_queue=False))
    good = [body(alice(when=T0 + timedelta(seconds=n))) for n in range(4)]
    bad = bad_inputs()
    # SQS bodies are text; invalid UTF-8 can only arrive through the replay/backfill paths, tested below.
    raw = good + [good[2]] + [v for k, v in bad.items() if k != "not_utf8"]
    response = events_handler.handler(sqs_event(raw), LambdaContext("events"))
    assert response == {"batchItemFailures": []}
    quarantined = objects("idcensus-quarantine/")
    assert len(quarantined) == len(bad) - 1
    manifest_key = objects(f"{PREFIX}activity/manifests/")[0]
    counts = json.loads(boto3.client("s3").get_object(Bucket="exports", Key=manifest_key)["Body"].read())["counts"]
    assert counts["received"] == len(raw) == counts["normalized"] + counts["quarantined"] + counts["duplicates"]
    assert (counts["normalized"], counts["quarantined"], counts["duplicates"]) == (4, 4, 1)


def test_quarantine_keeps_the_raw_bytes_and_the_reason(env):
    service = make_service(env, refresh_queue=False)
    bad = bad_inputs()
    result = service.process(list(bad.values()))
    assert result.counts["quarantined"] == len(bad) and result.counts["normalized"] == 0
    s3 = boto3.client("s3")
    stored = {}
    for key in objects("idcensus-quarantine/"):
        assert key.startswith(f"idcensus-quarantine/date={datetime.now(UTC):%Y-%m-%d}/")
        stored[key.rsplit("/", 1)[1][:-5]] = json.loads(s3.get_object(Bucket="exports", Key=key)["Body"].read())
    for name, raw in bad.items():
        blob = raw if isinstance(raw, bytes) else raw.encode()
        item = stored[hashlib.sha256(blob).hexdigest()]
        kept = base64.b64decode(item["raw_base64"]) if "raw_base64" in item else item["raw"].encode()
        assert kept == blob, name
        assert item["reason"] and item["received_at"]
    assert stored[hashlib.sha256(bad["not_utf8"]).hexdigest()]["reason"] == "invalid_utf8"
    assert stored[hashlib.sha256(bad["too_large"].encode()).hexdigest()]["reason"] == "too_large"
    assert stored[hashlib.sha256(bad["malformed"].encode()).hexdigest()]["reason"] == "malformed_json"


def throttle_update_of(event_id: str):
    """DynamoDB UpdateItem answers ThrottlingException for this event's last-activity write."""
    def handler(request, **_):
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        payload = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        if target.endswith(".UpdateItem") and event_id in payload:
            body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                               "message": "Rate of requests exceeds the allowed throughput."}).encode()
            return answer(request, 400, body)
        return None

    return ("before-send.dynamodb", handler)


def test_transient_error_is_a_batch_item_failure_and_the_retry_counts_once(env, monkeypatch):
    flaky, fine = alice(when=T0), alice(when=T0 + timedelta(seconds=1))
    monkeypatch.setattr(runtime, "_service",
                        make_service(env, throttle_update_of(flaky["eventID"]), refresh_queue=False, attempts=1))
    event = sqs_event([body(flaky), body(fine)])
    response = events_handler.handler(event, LambdaContext("events"))
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    marker = boto3.resource("dynamodb").Table("state").get_item(Key={"pk": f"EVENT#{flaky['eventID']}", "sk": "EVENT"})
    assert marker["Item"]["state"] == "pending"  # claimed, not done: the retry must redo it
    # SQS redelivers the failed message; the fault is gone.
    monkeypatch.setattr(runtime, "_service", make_service(env, refresh_queue=False))
    retry = events_handler.handler(sqs_event([body(flaky), body(fine)]), LambdaContext("events"))
    assert retry == {"batchItemFailures": []}
    assert last_activity(boto3.resource("dynamodb").Table("state"), ACCOUNT, KEY) == "2026-11-20T10:00:01Z"
    lines = [r for k in objects(f"{PREFIX}activity/date=")
             for r in decode_lines(boto3.client("s3").get_object(Bucket="exports", Key=k)["Body"].read())]
    assert sorted(r["id"] for r in lines) == sorted([flaky["eventID"], fine["eventID"]])  # each exactly once


def test_sample_event_for_the_handler(env, monkeypatch):
    """events/sqs-activity-batch.json (sam local invoke's input) runs through the handler as documented."""
    from pathlib import Path

    sample = json.loads((Path(__file__).parents[2] / "events" / "sqs-activity-batch.json").read_text())
    monkeypatch.setattr(runtime, "_service", make_service(env, refresh_queue=True, debounce=0))
    assert events_handler.handler(sample, LambdaContext("events")) == {"batchItemFailures": []}
    (manifest,) = objects(f"{PREFIX}activity/manifests/")
    counts = json.loads(boto3.client("s3").get_object(Bucket="exports", Key=manifest)["Body"].read())["counts"]
    assert (counts["normalized"], counts["quarantined"], counts["refresh_requested"]) == (3, 1, 1)
