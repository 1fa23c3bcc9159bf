"""Activity export windows in moto: batches stage their records, the delayed message on the refresh
queue exports each closed window once, as one part per account and hour, with the same manifest and
vendor notice as a batch export; nothing is lost or exported twice."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from idcensus.aws import ClientFactory
from idcensus.handlers import events as events_handler
from idcensus.handlers import refresh as refresh_handler
from idcensus.handlers import runtime
from idcensus.settings import Settings
from idcensus.store.export import decode_lines
from idcensus.store.state import table_definition
from idcensus.stream.activity_export import WindowOpen, window_due
from idcensus.stream.service import ActivityService
from idcensus_emulator.demo_activity import cloudtrail, eventbridge, user_identity
from idcensus_emulator.local import LambdaContext

ACCOUNT, OTHER = "123456789012", "210987654321"
PREFIX = "idcensus/v1/"
T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
WINDOW = "20261120T1000Z"


@pytest.fixture
def env(aws):
    boto3.client("dynamodb").create_table(**table_definition("state"))
    boto3.client("s3").create_bucket(Bucket="exports")
    sqs = boto3.client("sqs")
    return {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("refresh", "vendor")}


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def make_service(env, clock: Clock, window: int = 600) -> ActivityService:
    settings = Settings(table_name="state", bucket_name="exports", export_prefix=PREFIX, refresh_queue_url=env["refresh"],
                        vendor_queue_url=env["vendor"], activity_window_seconds=window)
    service = ActivityService(settings, ClientFactory(account_id=ACCOUNT))
    service.now = clock
    service.sent = []  # moto holds delayed messages back in real time: the tests read what was sent
    send = service.sqs.send_message

    def recording(**kwargs):
        service.sent.append(kwargs)
        return send(**kwargs)

    service.sqs.send_message = recording
    return service


def announced(service) -> list[dict]:
    return [m for m in service.sent if m["QueueUrl"].endswith("/refresh")]


def event(account: str, user: str, when: datetime) -> str:
    return json.dumps(eventbridge(cloudtrail(account, user_identity(account, user), "ListUsers", when=when)))


def sqs_event(bodies: list[str]) -> dict:
    """A Lambda SQS event, every attribute Powertools' SqsRecordModel requires."""
    attributes = {"ApproximateReceiveCount": "1", "SentTimestamp": "1764061200000", "SenderId": "AIDAEXAMPLE",
                  "ApproximateFirstReceiveTimestamp": "1764061200001"}
    return {"Records": [{"messageId": f"m-{n}", "receiptHandle": f"h-{n}", "body": body, "attributes": attributes,
                         "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                         "awsRegion": "us-east-1"} for n, body in enumerate(bodies)]}


def objects(prefix: str) -> list[str]:
    return [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="exports", Prefix=prefix).get("Contents", [])]


def drain(url: str) -> list[dict]:
    sqs, out = boto3.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", []):
        for message in batch:
            out.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return out


def exported_ids() -> list[str]:
    s3 = boto3.client("s3")
    return sorted(r["id"] for k in objects(f"{PREFIX}activity/date=")
                  for r in decode_lines(s3.get_object(Bucket="exports", Key=k)["Body"].read()))


def test_batches_stage_and_the_closed_window_exports_one_part_per_account_hour(env):
    clock = Clock(T0 + timedelta(minutes=1))
    service = make_service(env, clock)
    first = [event(ACCOUNT, "alice", T0), event(OTHER, "bob", T0), event(ACCOUNT, "carol", T0 - timedelta(hours=1))]
    second = [event(ACCOUNT, "dave", T0 + timedelta(minutes=2)), event(OTHER, "erin", T0 + timedelta(minutes=3))]
    one = service.process(first, batch_id="b-1")
    clock.at += timedelta(minutes=3)
    two = service.process(second, batch_id="b-2")
    # Staged, not exported: no parts, no manifest, no vendor notice yet.
    assert (one.staged_window, two.staged_window, one.manifest_key) == (WINDOW, WINDOW, None)
    assert objects(f"{PREFIX}activity/") == [] and drain(env["vendor"]) == []
    # One delayed export message per window (this container announced it once), due after the grace.
    (message,) = announced(service)
    assert json.loads(message["MessageBody"]) == {"event": "idcensus.activity.window", "window": WINDOW, "seconds": 600}
    assert message["DelaySeconds"] == 600 + 120 - 60  # sent one minute into the window
    attrs = boto3.client("sqs").get_queue_attributes(QueueUrl=env["refresh"], AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"

    clock.at = window_due(WINDOW, 600)
    result = service.export_window(WINDOW, 600)
    assert result.batch_id == f"window-{WINDOW}"
    s3 = boto3.client("s3")
    manifest = json.loads(s3.get_object(Bucket="exports", Key=result.manifest_key)["Body"].read())
    assert sorted(f["key"] for f in manifest["files"]) == [
        f"{PREFIX}activity/date=2026-11-20/hour=09/account={ACCOUNT}/part-window-{WINDOW}.jsonl.gz",
        f"{PREFIX}activity/date=2026-11-20/hour=10/account={ACCOUNT}/part-window-{WINDOW}.jsonl.gz",
        f"{PREFIX}activity/date=2026-11-20/hour=10/account={OTHER}/part-window-{WINDOW}.jsonl.gz",
    ]
    for entry in manifest["files"]:
        blob = s3.get_object(Bucket="exports", Key=entry["key"])["Body"].read()
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"] and len(decode_lines(blob)) == entry["records"]
    assert manifest["counts"]["normalized"] == 5 and manifest["counts"]["received"] == 5
    assert manifest["counts"]["staged_batches"] == 2
    (notice,) = [json.loads(m["Body"]) for m in drain(env["vendor"])]
    assert notice == {"event": "idcensus.activity.exported", "bucket": "exports", "manifest_key": result.manifest_key,
                      "batch_id": f"window-{WINDOW}", "schema_version": manifest["schema_version"], "records": 5}
    # Exported once: a second message for the same window (another container's) does nothing.
    assert service.export_window(WINDOW, 600) is None
    assert len(objects(f"{PREFIX}activity/manifests/")) == 1 and drain(env["vendor"]) == []


def test_a_window_is_never_exported_before_it_closed(env):
    clock = Clock(T0)
    service = make_service(env, clock)
    service.process([event(ACCOUNT, "alice", T0)])
    clock.at = window_due(WINDOW, 600) - timedelta(seconds=1)  # a batch may still be writing into it
    with pytest.raises(WindowOpen):
        service.export_window(WINDOW, 600)
    assert objects(f"{PREFIX}activity/") == []
    clock.at += timedelta(seconds=1)
    assert service.export_window(WINDOW, 600).counts["normalized"] == 1


def test_a_retried_batch_and_a_redone_export_count_each_event_once(env):
    """A batch that staged and then failed is retried under a new batch id (its events' markers are
    still pending): the window holds them twice and exports them once. An export that crashed after
    its parts is redone once its lease ran out and writes the same bytes."""
    clock = Clock(T0)
    service = make_service(env, clock)
    bodies = [event(ACCOUNT, "alice", T0), event(ACCOUNT, "bob", T0)]
    batch = service.batch("try-1")
    for body in bodies:
        batch.add_raw(body)
    service.export(batch.result, batch.activity)  # staged; the try dies before marking its events done
    assert service.process(bodies, batch_id="try-2").counts["normalized"] == 2

    clock.at = window_due(WINDOW, 600)
    real_done = service.windows.done
    service.windows.done = lambda *a: (_ for _ in ()).throw(RuntimeError("crash after the manifest"))
    with pytest.raises(RuntimeError):
        service.export_window(WINDOW, 600)
    parts = {k: boto3.client("s3").get_object(Bucket="exports", Key=k)["Body"].read()
             for k in objects(f"{PREFIX}activity/date=")}
    service.windows.done = real_done
    assert service.export_window(WINDOW, 600) is None  # leased by the crashed try
    clock.at += timedelta(minutes=6)
    result = service.export_window(WINDOW, 600)
    assert result.counts["staged_batches"] == 2 and exported_ids() == sorted(json.loads(b)["detail"]["eventID"]
                                                                             for b in bodies)
    assert {k: boto3.client("s3").get_object(Bucket="exports", Key=k)["Body"].read()
            for k in objects(f"{PREFIX}activity/date=")} == parts


def test_large_batches_stage_in_items_dynamodb_accepts(env):
    clock = Clock(T0)
    service = make_service(env, clock)
    padded = []
    for n in range(40):
        record = cloudtrail(ACCOUNT, user_identity(ACCOUNT, f"user{n}"), "UpdateUser", when=T0,
                            request={"userName": f"user{n}", "newUserName": "x" * 100})
        record["requestID"] = hashlib.sha256(str(n).encode()).hexdigest() * 30  # not compressible away
        padded.append(json.dumps(eventbridge(record)))
    service.process(padded, batch_id="big")
    items = boto3.resource("dynamodb").Table("state").query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"EXPORT#{WINDOW}"})["Items"]
    assert all(len(bytes(i["records"])) <= 300 * 1024 for i in items)
    clock.at = window_due(WINDOW, 600)
    assert service.export_window(WINDOW, 600).counts["normalized"] == 40 and len(exported_ids()) == 40


def test_through_the_handlers(env, monkeypatch):
    """Normalizer handler stages; the refresh handler, given the delayed message, exports."""
    clock = Clock(T0 + timedelta(seconds=30))
    service = make_service(env, clock)
    monkeypatch.setattr(runtime, "_service", service)
    assert events_handler.handler(sqs_event([event(ACCOUNT, "alice", T0)]), LambdaContext("events")) == {
        "batchItemFailures": []}
    bodies = [m["MessageBody"] for m in announced(service)]
    with pytest.raises(BatchProcessingError, match="WindowOpen"):  # not closed yet: SQS delivers it again later
        refresh_handler.handler(sqs_event(bodies), LambdaContext("refresh"))
    clock.at = window_due(WINDOW, 600)
    assert refresh_handler.handler(sqs_event(bodies), LambdaContext("refresh")) == {"batchItemFailures": []}
    assert len(objects(f"{PREFIX}activity/manifests/")) == 1 and len(exported_ids()) == 1


def test_windows_need_the_refresh_queue():
    with pytest.raises(ValueError, match="refresh_queue_url"):
        Settings(table_name="t", bucket_name="b", activity_window_seconds=600)


def test_windows_need_no_action_the_functions_are_not_granted(env):
    """Staging (normalizer) and the window's export (refresh function) use only what permissions.py grants."""
    from idcensus.permissions import CENTRAL_ACTIONS

    clock = Clock(T0)
    normalizer, refresh = make_service(env, clock), make_service(env, clock)
    normalizer.process([event(ACCOUNT, "alice", T0)])
    clock.at = window_due(WINDOW, 600)
    refresh.refresh_batch("r").add_message(announced(normalizer)[0]["MessageBody"])
    assert len(exported_ids()) == 1
    for name, service in (("events", normalizer), ("refresh", refresh)):
        called = {call.replace(".", ":", 1) for call in service.factory.counter.calls}
        assert called <= set(CENTRAL_ACTIONS[name]), f"{name}: {sorted(called - set(CENTRAL_ACTIONS[name]))}"


def test_a_lost_claim_answer_still_exports_the_window(env):
    """The export's claim succeeds at DynamoDB but its answer is lost and botocore sends it again: the
    retried claim finds its own lease (its token) and exports, instead of skipping the window for good."""
    from tests.faults import WriteFault

    clock = Clock(T0 + timedelta(minutes=1))
    make_service(env, clock).process([event(ACCOUNT, "alice", T0)], batch_id="b-1")
    clock.at = window_due(WINDOW, 600)
    fault = WriteFault(0, "retry")  # the export's first write is its claim
    settings = make_service(env, clock).settings
    flusher = ActivityService(settings, ClientFactory(account_id=ACCOUNT, hooks=fault.hooks()))
    flusher.now = clock
    result = flusher.export_window(WINDOW, 600)
    assert fault.fired == "PutItem" and result is not None and result.counts["normalized"] == 1
    assert exported_ids() and make_service(env, clock).export_window(WINDOW, 600) is None  # and only once
