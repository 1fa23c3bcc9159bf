"""The Lambda path on a moto server: planner -> queue -> collectors -> finisher, real handlers."""

import json

import boto3
import pytest
from tests.e2e.test_collect_cli import records_of
from tests.run_events import run_events

from idcensus.aws import ClientFactory
from idcensus.pipeline import Pipeline
from idcensus_emulator.local import configure, run_pipeline
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE


@pytest.fixture
def env(org, request, monkeypatch):
    name = request.node.name.replace("_", "-")[:30].lower()
    return configure(f"p-{name}", f"p-{name}", READ_ROLE, EXTERNAL_ID)


def test_scheduled_run_collects_every_account_and_notifies(env, org):
    out = run_pipeline(env, ClientFactory.from_environment(hooks=org.gaps))
    assert out["planned"]["accounts"] == len(org.accounts)
    assert out["collected"] == {"ok": len(org.accounts), "failed": 0}
    (notice,) = out["vendor_notices"]
    s3 = boto3.client("s3")
    manifest = json.loads(s3.get_object(Bucket=env["BUCKET_NAME"], Key=notice["manifest_key"])["Body"].read())
    assert {a["account_id"] for a in manifest["accounts"]} == set(org.accounts.values())
    assert all(a["status"] == "ok" for a in manifest["accounts"])
    latest = json.loads(s3.get_object(Bucket=env["BUCKET_NAME"], Key="idcensus/v1/latest.json")["Body"].read())
    assert latest["run_id"] == notice["run_id"]
    types = {r["type"] for r in records_of(s3, env["BUCKET_NAME"], manifest)}
    assert types == {"aws.account", "iam.root_user", "iam.user", "iam.group", "iam.role", "iam.policy",
                     "sso.instance", "resource.s3.bucket", "resource.dynamodb.table",  # moto's instance, our storage
                     "resource.sqs.queue", "iam.password_policy", "org.organizational_unit", "org.policy",
                     "resource.events.event_bus",  # every account's default bus
                     "finding", "identity.person"}  # derived when the run closes


def test_crashing_account_is_dead_lettered_and_the_run_still_closes(env, org, monkeypatch):
    broken = org.accounts["dev"]
    real = Pipeline.collect

    def crash(self, message):
        if message["account"]["account_id"] == broken:
            raise MemoryError("simulated crash")
        return real(self, message)

    monkeypatch.setattr(Pipeline, "collect", crash)
    out = run_pipeline(env, ClientFactory.from_environment(hooks=org.gaps))
    assert out["collected"]["failed"] == 3  # three deliveries, then the dead-letter queue
    assert out["dead_lettered"] == {"ok": 1, "failed": 0}
    (notice,) = out["vendor_notices"]
    assert notice["failed_accounts"] == 1
    manifest = json.loads(boto3.client("s3").get_object(Bucket=env["BUCKET_NAME"],
                                                         Key=notice["manifest_key"])["Body"].read())
    status = {a["account_id"]: a for a in manifest["accounts"]}
    assert status[broken]["status"] == "failed" and "dead-lettered" in status[broken]["error"]
    assert {a["status"] for k, a in status.items() if k != broken} == {"ok"}


def test_redelivered_message_is_counted_once(env, org):
    from idcensus.settings import Settings

    pipeline = Pipeline(Settings.from_env(), ClientFactory.from_environment(hooks=org.gaps))
    planned = pipeline.plan()
    sqs = boto3.client("sqs")
    body = sqs.receive_message(QueueUrl=env["ACCOUNT_QUEUE_URL"])["Messages"][0]["Body"]
    pipeline.collect(json.loads(body))
    pipeline.collect(json.loads(body))  # SQS delivers at least once
    counter = pipeline.runs.counter(planned["run_id"])
    assert len(counter["done_accounts"]) == 1


def test_completed_run_is_an_event_on_the_default_bus(env, org):
    """The customer's own rule on the default bus receives the run, with the vendor notice as detail."""
    with run_events() as received:
        out = run_pipeline(env, ClientFactory.from_environment(hooks=org.gaps))
        (notice,) = out["vendor_notices"]
        (event,) = received()
        assert (event["source"], event["detail-type"]) == ("idcensus", "idcensus.run.completed")
        assert event["detail"] == notice
