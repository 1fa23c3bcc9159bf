"""Every function of template.yaml, run from the built artifact in a bare Python 3.13 against a
moto server, on its sample events (events/index.json) with the environment the template gives it.

Handler paths, environment variables and event sources come from the template; the test only
creates what the environment names (queues, table, bucket) and an organization to census.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest

from idcensus.store.setup import ensure_table
from tests.artifact.build import build, invoke
from tests.templates.cfn import ROOT, TEMPLATE, evaluate, load

EVENTS = ROOT / "events"
PARAMETERS = {"ExternalId": "artifact-test-external-id", "TrailBucketName": "artifact-trail"}
# What Lambda sets in every function's environment (tracing on: the X-Ray SDK really runs).
LAMBDA_ENV = {"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
              "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "_X_AMZN_TRACE_ID":
              "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}
# moto answers the calls it lacks (Access Analyzer, several Bedrock kinds...) with 500s, which botocore's
# standard mode retries with backoff (8 attempts in production); the check probes each of them per account.
# Two attempts still run the retry path, without minutes of backoff against an answer that will not change.
EMULATOR_ENV = {"IDCENSUS_MAX_ATTEMPTS": "2"}


@pytest.fixture(scope="module")
def artifact() -> Path:
    return build()


@pytest.fixture(scope="module")
def stack(moto_endpoint):
    """The template's functions, and the resources their environment refers to, made in moto."""
    template = load(TEMPLATE)
    aws = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
    saved = {k: os.environ.get(k) for k in aws}
    os.environ.update(aws)
    os.environ.pop("AWS_PROFILE", None)
    try:
        refs = make_resources(template)
        boto3.client("organizations").create_organization(FeatureSet="ALL")
        boto3.client("iam").create_user(UserName="artifact-alice")
        yield template, refs, aws
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def make_resources(template) -> dict:
    refs = {name: spec.get("Default", "") for name, spec in template["Parameters"].items()}
    refs.update(PARAMETERS)
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::SQS::Queue":
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            refs[name] = url
            refs[f"{name}.Arn"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
        elif resource["Type"] == "AWS::DynamoDB::Table":
            ensure_table(boto3.client("dynamodb"), name.lower(), True)
            refs[name] = name.lower()
        elif resource["Type"] == "AWS::S3::Bucket":
            s3.create_bucket(Bucket=name.lower())
            refs[name] = name.lower()
    s3.create_bucket(Bucket=PARAMETERS["TrailBucketName"])
    s3.create_bucket(Bucket=sample("BackfillFunction")["trail_bucket"])  # the sample names its own trail bucket
    return refs


def functions(template) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def environment(template, name: str, refs: dict, aws: dict) -> dict[str, str]:
    conditions = {c: True for c in template.get("Conditions", {})}
    variables = {**template["Globals"]["Function"]["Environment"]["Variables"],
                 **functions(template)[name].get("Environment", {}).get("Variables", {})}
    env = {k: str(evaluate(v, refs, conditions)) for k, v in variables.items()}
    return {**env, **aws, **LAMBDA_ENV, **EMULATOR_ENV, "AWS_LAMBDA_FUNCTION_NAME": name,
            "PATH": os.environ.get("PATH", "")}


def sample(key: str):
    return json.loads((EVENTS / json.loads((EVENTS / "index.json").read_text())[key]).read_text())


def queue_event(url: str) -> dict:
    """What the SQS event source mapping hands the function: the messages now on the queue."""
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    records = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages"):
        records += [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                     "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                     "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1"} for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {"Records": records}


def send_sample(url: str, key: str) -> None:
    for record in sample(key)["Records"]:
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody=record["body"])


def source_queue(props: dict, event: str) -> str:
    return props["Events"][event]["Properties"]["Queue"]["Fn::GetAtt"][0]


class Stack:
    def __init__(self, artifact, template, refs, aws):
        self.artifact, self.template, self.refs, self.aws = artifact, template, refs, aws

    def run(self, name: str, event) -> dict:
        props = functions(self.template)[name]
        out = invoke(self.artifact, props["Handler"], event, environment(self.template, name, self.refs, self.aws),
                     name=name)
        assert out["leaked"] == [], f"{name} imported development-only modules: {out['leaked']}"
        return out["result"]

    def run_queue(self, name: str, event: str) -> dict:
        return self.run(name, queue_event(self.refs[source_queue(functions(self.template)[name], event)]))


@pytest.fixture(scope="module")
def deployed(artifact, stack):
    return Stack(artifact, *stack)


def test_every_function_and_event_source_has_a_sample(stack):
    template, _, _ = stack
    index = json.loads((EVENTS / "index.json").read_text())
    wanted = {f"{name}.{event}" if event else name
              for name, props in functions(template).items() for event in (props.get("Events") or {None: 0})}
    assert wanted <= set(index), f"no sample event for {sorted(wanted - set(index))}"
    for key, value in index.items():
        if key in wanted and not value.startswith("from "):
            assert (EVENTS / value).is_file(), key


def test_scheduled_run_through_planner_collector_and_finisher(deployed):
    planned = deployed.run("PlannerFunction", sample("PlannerFunction.Schedule"))
    assert planned["accounts"] == 1
    collected = deployed.run_queue("AccountCollectorFunction", "Accounts")
    assert collected == {"batchItemFailures": []}
    closed = deployed.run_queue("FinisherFunction", "Finished")
    assert closed == {"batchItemFailures": []}
    s3 = boto3.client("s3")
    latest = json.loads(s3.get_object(Bucket=deployed.refs["ExportBucket"],
                                      Key=f"{deployed.refs['ExportPrefix']}latest.json")["Body"].read())
    assert latest["run_id"] == planned["run_id"]
    manifest = json.loads(s3.get_object(Bucket=deployed.refs["ExportBucket"], Key=latest["manifest_key"])["Body"].read())
    (account,) = manifest["accounts"]
    # No emulator answers here: what moto lacks is a capability outcome, never a crash.
    assert account["status"] in {"ok", "partial"} and account["capabilities"]["iam.authorization_details"] == "ok"
    # the finisher, from the artifact, judged the run and left its report for the admin
    assert any(f["type"] == "finding" for f in manifest["files"])
    report = s3.get_object(Bucket=deployed.refs["ExportBucket"],
                           Key=f"{deployed.refs['ExportPrefix']}reports/{latest['run_id']}.html")
    assert report["ContentType"].startswith("text/html") and latest["run_id"].encode() in report["Body"].read()


def test_sweep_runs_on_its_schedule_input(deployed):
    assert deployed.run("PlannerFunction", sample("PlannerFunction.Sweep")) == {"overdue_runs": []}


def test_dead_lettered_account_is_recorded_failed_and_closes_its_run(deployed):
    tick = {**sample("PlannerFunction.Schedule"), "id": "0b7c1e2a-0000-4000-8000-00000000d1ed"}  # the next tick
    planned = deployed.run("PlannerFunction", tick)
    queue_event(deployed.refs["AccountQueue"])  # the collector "crashed": its message went to the DLQ
    for record in sample("FinisherFunction.DeadLetters")["Records"]:
        body = json.loads(record["body"])
        body["run_id"] = planned["run_id"]
        boto3.client("sqs").send_message(QueueUrl=deployed.refs["AccountDeadLetterQueue"], MessageBody=json.dumps(body))
    assert deployed.run_queue("FinisherFunction", "DeadLetters") == {"batchItemFailures": []}
    assert deployed.run_queue("FinisherFunction", "Finished") == {"batchItemFailures": []}


def test_activity_batch_is_normalized_and_the_malformed_one_quarantined(deployed):
    send_sample(deployed.refs["ActivityQueue"], "NormalizerFunction.Activity")
    assert deployed.run_queue("NormalizerFunction", "Activity") == {"batchItemFailures": []}
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(
        Bucket=deployed.refs["ExportBucket"], Prefix="idcensus-quarantine/").get("Contents", [])]
    assert len(keys) == 1


def test_refresh_batch_runs(deployed):
    send_sample(deployed.refs["RefreshQueue"], "RefreshFunction.Refresh")
    assert deployed.run_queue("RefreshFunction", "Refresh") == {"batchItemFailures": []}


def test_backfill_and_check_run_on_their_samples(deployed):
    done = deployed.run("BackfillFunction", sample("BackfillFunction"))
    assert done["complete"] is True
    for event in ("Schedule", "AfterMemberDeployment"):
        checked = deployed.run("CheckFunction", sample(f"CheckFunction.{event}"))
        assert checked["accounts"] == 1


def test_the_artifact_holds_no_emulator_demo_or_seed_code(artifact):
    names = {p.relative_to(artifact).parts[0] for p in artifact.iterdir()}
    assert not names & {"idcensus_emulator", "moto", "tests", "pytest"}
    shipped = {p.stem for p in (artifact / "idcensus").rglob("*.py")}
    assert not shipped & {"demo", "demo_sso", "demo_resources", "demo_activity", "seed", "seed_sso", "seed_resources",
                          "emulator", "gaps", "server", "local"}
