"""The commit point, proved by faults at every write step of a run (CLI path and queue path).

Each case: the identities change, a run meets one fault at its n-th write (DynamoDB, S3 or SQS):
the call never happens, or it happens and its response is lost (the process dies, or botocore
retries it), then the run recovers as it would in production (the CLI is run again; SQS redelivers,
the sweeper takes over a stale close). At the end the published changes feeds, replayed from the
first run along the previous_run_id chain, must give exactly the latest snapshot: every change once
(no create of a known record, no update that changes nothing, no delete of an unknown one), none
lost, and the snapshot whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

import boto3
import pytest
from tests.aws.conftest import ACCOUNT, factory, report_at_once
from tests.faults import Crash, WriteFault
from tests.tiers import collect_only

from idcensus.census import run_census
from idcensus.collect.contract import AccountInfo, CollectOptions
from idcensus.model.records import content_hash
from idcensus.pipeline import Pipeline
from idcensus.settings import Settings
from idcensus.store.commit import RunSuperseded, publish_run
from idcensus.store.export import Exporter, decode_lines
from idcensus.store.setup import ensure_bucket, ensure_table
from idcensus.store.state import StateTable

OLD = "2020-01-01T00:00:00Z"
WHEN = ("before", "after", "retry")


@pytest.fixture
def storage(aws, monkeypatch):
    report_at_once(monkeypatch)
    # The commit point is about storing and publishing: Tier 1 gives every kind of record change it needs,
    # and the other tiers' collectors would only multiply the emulator's work per faulted run.
    collect_only(monkeypatch)
    boto3.client("organizations").create_organization(FeatureSet="ALL")
    ensure_table(boto3.client("dynamodb"), "state", True)
    ensure_bucket(boto3.client("s3"), "exports", "us-east-1", True)
    iam = boto3.client("iam")
    iam.create_group(GroupName="staff")
    for name in ("keep", "tagged"):
        iam.create_user(UserName=name)
    return iam


def mutate(iam, step: int) -> None:
    """One creation, one deletion and one update per step, each visible in the next published feed."""
    iam.create_user(UserName=f"u{step}")
    iam.add_user_to_group(GroupName="staff", UserName=f"u{step}")
    if step >= 2:
        iam.remove_user_from_group(GroupName="staff", UserName=f"u{step - 2}")
        iam.delete_user(UserName=f"u{step - 2}")
    iam.tag_user(UserName="tagged", Tags=[{"Key": "step", "Value": str(step)}])


def cli_run(fault: WriteFault | None = None) -> None:
    f = factory(*(fault.hooks() if fault else []))
    run_census(f, [AccountInfo(ACCOUNT, name="m")], role_name="r", external_id=None,
               state=StateTable(f.resource("dynamodb"), "state"), exporter=Exporter(f.client("s3"), "exports", keep_written=True),
               options=CollectOptions(regions=("us-east-1",)))


def replay_published() -> tuple[int, int]:
    """Replay every published changes feed; assert it rebuilds the latest snapshot. (runs, changes)."""
    s3 = boto3.client("s3")
    exporter = Exporter(s3, "exports")
    chain, run_id = [], exporter.latest()["run_id"]
    while run_id:
        manifest = exporter.manifest(run_id)
        chain.append(manifest)
        run_id = manifest["previous_run_id"]
    view: dict[tuple, str] = {}
    changes = 0
    for manifest in reversed(chain):
        for f in manifest["files"]:
            body = s3.get_object(Bucket="exports", Key=f["key"])["Body"].read()
            assert hashlib.sha256(body).hexdigest() == f["sha256"], f["key"]  # never rewritten after publishing
            if f["kind"] != "changes":
                continue
            for r in decode_lines(body):
                key, changes = (r["account_id"], r["type"], r["id"]), changes + 1
                if r["change"] == "created":
                    assert key not in view, (manifest["run_id"], key)
                    view[key] = content_hash(r)
                elif r["change"] == "updated":
                    assert view.get(key) not in (None, content_hash(r)), (manifest["run_id"], key)
                    view[key] = content_hash(r)
                else:
                    assert key in view, (manifest["run_id"], key)
                    del view[key]
    latest = chain[0]
    snapshot = {(r["account_id"], r["type"], r["id"]): content_hash(r) for f in latest["files"]
                if f["kind"] == "snapshot"
                for r in decode_lines(s3.get_object(Bucket="exports", Key=f["key"])["Body"].read())}
    assert view == snapshot
    return len(chain), changes


def users_in_latest() -> set[str]:
    s3 = boto3.client("s3")
    exporter = Exporter(s3, "exports")
    manifest = exporter.manifest(exporter.latest()["run_id"])
    return {r["data"]["name"] for f in manifest["files"] if f["kind"] == "snapshot" and f["type"] == "iam.user"
            for r in decode_lines(s3.get_object(Bucket="exports", Key=f["key"])["Body"].read())}


# `make test` faults every STRIDE-th write step, each fault kind at its own offset, so the three kinds
# together still fault every step once; `make test-integrity` sets IDCENSUS_FAULT_STRIDE=1: every step, every kind.
STRIDE = int(os.environ.get("IDCENSUS_FAULT_STRIDE", "3"))


def matrix(iam, run_with_fault, when: str) -> int:
    """Fault write step n of a run (every STRIDE-th), until a run has fewer writes; the steps faulted."""
    run_with_fault(None)
    n, step = WHEN.index(when) % STRIDE, 0
    while True:
        mutate(iam, step)
        fault = WriteFault(n, when)
        run_with_fault(fault)
        if fault.fired is None:
            return n
        mutate(iam, step + 1)
        run_with_fault(None)  # a clean run after the fault
        assert {"keep", "tagged", f"u{step}", f"u{step + 1}"} <= users_in_latest(), (n, when)
        assert f"u{step - 1}" not in users_in_latest()
        n, step = n + STRIDE, step + 2


def cli_with_fault(fault: WriteFault | None) -> None:
    try:
        cli_run(fault)
    except Crash:
        pass  # the run died; the next one is started afresh


@pytest.mark.parametrize("when", WHEN)
def test_cli_path_every_write_step(storage, when):
    steps = matrix(storage, cli_with_fault, when)
    runs, changes = replay_published()
    print(f"cli/{when}: {steps} write steps faulted, {runs} published runs, {changes} changes replayed")
    assert steps >= 8


class QueueDriver:
    """The queue path as Lambda and SQS run it, in-process: a crashed invocation's message comes back
    (SQS redelivery, the scheduler's async retry), and a run still not closed once the queues are
    empty is swept after its timeout (the claim and the listing aged to look it)."""

    def __init__(self):
        self.sqs = sqs = boto3.client("sqs")
        self.settings = Settings(table_name="state", bucket_name="exports", run_timeout_minutes=60,
                                 account_queue_url=sqs.create_queue(QueueName="accounts")["QueueUrl"],
                                 finish_queue_url=sqs.create_queue(QueueName="finish")["QueueUrl"],
                                 vendor_queue_url=sqs.create_queue(QueueName="vendor")["QueueUrl"])
        self.ticks = 0
        self.notices: list[dict] = []

    def __call__(self, fault: WriteFault | None) -> None:
        pipeline = Pipeline(self.settings, factory(*(fault.hooks() if fault else [])))
        self.ticks += 1
        tick = f"tick-{self.ticks}"
        run_id = until_done(lambda: pipeline.plan(tick_id=tick))["run_id"]
        for _ in range(3):
            self.drain(pipeline)
            run = pipeline.runs.find(run_id)
            if run and run["status"] in ("closed", "superseded"):
                break
            table = pipeline.runs.table  # the timeout passed: the sweeper's turn
            table.update_item(Key={"pk": "RUNS", "sk": f"OPEN#{run_id}"}, UpdateExpression="SET started_at = :o",
                              ExpressionAttributeValues={":o": OLD})
            if run and run["status"] == "closing":
                table.update_item(Key={"pk": f"RUN#{run_id}", "sk": "RUN"}, UpdateExpression="SET claimed_at = :o",
                                  ExpressionAttributeValues={":o": OLD})
            until_done(pipeline.sweep)
        assert pipeline.runs.find(run_id)["status"] == "closed", run_id

    def drain(self, pipeline: Pipeline) -> None:
        while True:
            accounts = receive(self.settings.account_queue_url, self.sqs)
            finishes = receive(self.settings.finish_queue_url, self.sqs)
            if not accounts and not finishes:
                break
            for body in accounts:
                until_done(lambda b=body: pipeline.collect(b))
            for body in finishes:
                if "account" in body:
                    until_done(lambda b=body: pipeline.dead_letter(b))
                else:
                    until_done(lambda b=body: pipeline.close(b["run_id"]))
        self.notices += receive(self.settings.vendor_queue_url, self.sqs)


def until_done(invoke):
    """An invocation, redelivered after a crash (an injected fault fires once)."""
    for _ in range(3):
        try:
            return invoke()
        except Crash:
            continue
    raise AssertionError("still crashing after redelivery")


def receive(url: str, sqs=None) -> list[dict]:
    sqs, out = sqs or boto3.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in batch:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


@pytest.mark.parametrize("when", WHEN)
def test_queue_path_every_write_step(storage, when):
    driver = QueueDriver()
    steps = matrix(storage, driver, when)
    runs, changes = replay_published()
    notified = {n["run_id"] for n in driver.notices}
    assert notified >= {m for m in published_runs()}  # every published run was announced (at least once)
    print(f"queue/{when}: {steps} write steps faulted, {runs} published runs, {changes} changes replayed, "
          f"{len(driver.notices)} notices for {len(notified)} runs")
    assert steps >= 15


def published_runs() -> list[str]:
    exporter = Exporter(boto3.client("s3"), "exports")
    out, run_id = [], exporter.latest()["run_id"]
    while run_id:
        out.append(run_id)
        run_id = exporter.manifest(run_id)["previous_run_id"]
    return out


def test_overlapping_runs_rebase_or_are_superseded(storage):
    driver = QueueDriver()
    driver(None)
    pipeline = Pipeline(driver.settings, factory())
    mutate(storage, 0)
    older = pipeline.plan(tick_id="a")["run_id"]
    for body in receive(driver.settings.account_queue_url):
        pipeline.collect(body)  # diffed against the run published before it
    mutate(storage, 1)
    newer = pipeline.plan(tick_id="b")["run_id"]
    for body in receive(driver.settings.account_queue_url):
        pipeline.collect(body)
    assert pipeline.close(older) is not None  # published first: the newer run's changes must be rebased
    assert pipeline.close(newer)["previous_run_id"] == older
    replay_published()
    mutate(storage, 2)
    late = pipeline.plan(tick_id="c")["run_id"]
    for body in receive(driver.settings.account_queue_url):
        pipeline.collect(body)
    receive(driver.settings.finish_queue_url)  # its finisher is slow: the message comes back below
    time.sleep(1.1)  # run ids and start times are to the second
    driver(None)  # a later run is published first
    with pytest.raises(RunSuperseded):
        pipeline.close(late)
    assert pipeline.runs.find(late)["status"] == "superseded"
    replay_published()


def test_racing_closes_never_move_latest_back(storage, monkeypatch):
    """Two finishers close two runs at once: the newer run's closer has read latest.json when the older
    run is published. Its write of latest.json must not land over the older run (a vendor who already
    followed it would see a chain that skips it): it rebases onto the older run and publishes after."""
    driver = QueueDriver()
    driver(None)
    base = published_runs()[0]
    pipeline = Pipeline(driver.settings, factory())
    mutate(storage, 0)
    older = pipeline.plan(tick_id="a")["run_id"]
    for body in receive(driver.settings.account_queue_url):
        pipeline.collect(body)
    time.sleep(1.1)  # run ids and start times are to the second
    mutate(storage, 1)
    newer = pipeline.plan(tick_id="b")["run_id"]
    for body in receive(driver.settings.account_queue_url):
        pipeline.collect(body)

    real, raced = Exporter.publish, []

    def publish(self, **kwargs):
        if kwargs["run_id"] == newer and not raced:  # newer's closer read latest.json; older's lands first
            raced.append(pipeline.close(older)["run_id"])
        return real(self, **kwargs)

    monkeypatch.setattr(Exporter, "publish", publish)
    assert pipeline.close(newer)["previous_run_id"] == older
    assert raced == [older]
    assert published_runs()[:3] == [newer, older, base]
    replay_published()  # every change exactly once along the chain


def refresh_with_fault(fault: WriteFault | None, names: list[str], vendor: str) -> None:
    """A refresh batch on the refresh queue's path; a crash is redelivered (SQS) as a clean batch."""
    from idcensus.stream.service import ActivityService

    def attempt(hooks):
        settings = Settings(table_name="state", bucket_name="exports", role_name="r", vendor_queue_url=vendor)
        service = ActivityService(settings, factory(*hooks))
        batch = service.refresh_batch()
        for name in names:
            batch.add(ACCOUNT, "iam.user", name)
        batch.finish()

    try:
        attempt(fault.hooks() if fault else [])
    except Crash:
        attempt([])


@pytest.mark.parametrize("when", WHEN)
def test_refresh_path_every_write_step(storage, when):
    """Refreshes between censuses, faulted at every write step (state, parts, index, manifest,
    latest.json, the vendor notice), each redelivered, with a census now and then: every change in
    exactly one published feed (a refresh run's or, after a crash between state and publishing, the
    next census's)."""
    cli_run()
    vendor = boto3.client("sqs").create_queue(QueueName="vendor")["QueueUrl"]
    n, step = WHEN.index(when) % STRIDE, 0
    while True:
        storage.tag_user(UserName="tagged", Tags=[{"Key": "refresh", "Value": str(step)}])
        storage.create_user(UserName=f"r{step}")
        if step >= 1:
            storage.delete_user(UserName=f"r{step - 1}")
        fault = WriteFault(n, when)
        refresh_with_fault(fault, ["tagged", f"r{step}", *([f"r{step - 1}"] if step else [])], vendor)
        if fault.fired is None:
            break
        if step % 3 == 2:
            cli_run()
        n, step = n + STRIDE, step + 1
    cli_run()
    runs, changes = replay_published()
    kinds = [Exporter(boto3.client("s3"), "exports").manifest(r)["kind"] for r in published_runs()]
    print(f"refresh/{when}: {step} of {fault.writes} write steps faulted, {runs} published runs "
          f"({kinds.count('refresh')} refreshes), {changes} changes replayed")
    assert fault.writes >= 10 and "refresh" in kinds  # the loop ends only past the last write step


def report_of(key: str) -> tuple[str, str] | None:
    """(content type, page) of a report in the bucket; None when there is none."""
    try:
        got = boto3.client("s3").get_object(Bucket="exports", Key=f"idcensus/v1/reports/{key}")
    except boto3.client("s3").exceptions.NoSuchKey:
        return None
    return got["ContentType"], got["Body"].read().decode()


def test_each_published_run_has_its_report_and_latest_follows_the_newest(storage):
    from idcensus.report.publish import publish_report

    exporter = Exporter(boto3.client("s3"), "exports")
    cli_run()
    first = exporter.latest()["run_id"]
    kind, page = report_of(f"{first}.html")
    assert kind.startswith("text/html") and page.startswith("<!DOCTYPE html>") and first in page
    assert report_of("latest.html") == (kind, page)
    mutate(storage, 0)
    cli_run()
    second = exporter.latest()["run_id"]
    assert second in report_of("latest.html")[1] and report_of(f"{first}.html")[1] == page
    publish_report(exporter, exporter.manifest(first))  # a late retry of the older run's close
    assert second in report_of("latest.html")[1]  # the newest run's report stays the latest


def test_a_crash_before_the_report_leaves_it_to_the_retried_close(storage, monkeypatch):
    import idcensus.report.publish as publish

    def crash(exporter, manifest):
        raise Crash()

    real = publish.publish_report
    monkeypatch.setattr(publish, "publish_report", crash)
    with pytest.raises(Crash):
        cli_run()
    exporter = Exporter(boto3.client("s3"), "exports")
    run_id = exporter.latest()["run_id"]  # published: the crash came after the commit point
    assert report_of(f"{run_id}.html") is None
    monkeypatch.setattr(publish, "publish_report", real)
    manifest = publish_run(exporter, run_id=run_id, base_run_id=None, started_at="", finished_at="", files=[],
                           accounts=[])  # the retry finds its run published, and writes the report
    assert manifest["run_id"] == run_id and run_id in report_of(f"{run_id}.html")[1]


def test_a_report_that_cannot_be_rendered_is_logged_and_the_run_stays_published(storage, monkeypatch, caplog):
    import idcensus.report.publish as publish

    def broken(*_, **__):
        raise ValueError("no template")

    monkeypatch.setattr(publish, "page", broken)
    cli_run()
    run_id = Exporter(boto3.client("s3"), "exports").latest()["run_id"]
    assert report_of(f"{run_id}.html") is None and report_of("latest.html") is None
    assert f"report of run {run_id} not written (run `idcensus report --run {run_id}`" in caplog.text
    assert "ValueError: no template" in caplog.text
    from idcensus.observability import metrics

    assert metrics.metric_set["ReportsNotWritten"]["Value"] == [1.0]  # flushed by the handler: ReportsNotWrittenAlarm
    metrics.clear_metrics()
