"""Tier 3 resources against moto in-process: every service, two regions, call counts."""

from __future__ import annotations

import boto3
import pytest
from tests.aws.conftest import ACCOUNT

from idcensus.aws import ClientFactory
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus.collect.registry import BY_NAME, COLLECTED
from idcensus_emulator.gaps import AccessAnalyzerAnswers, BedrockAnswers, EksAccessEntries, StreamPolicies
from idcensus_emulator.seed_resources import OUTSIDER, seed_resources

REGIONS = ("us-east-1", "eu-west-1")
CAPABILITIES = sorted(c.name for c in COLLECTED if c.tier == "resources")


def collect(factory, regions=REGIONS, org_accounts=()):
    out = Outcomes()
    items = collect_items(factory, AccountInfo(ACCOUNT, organization_id="o-abc123"), out,
                          CollectOptions(regions=regions, org_accounts=org_accounts), tiers=("resources",))
    return out, {(t, i): d for t, i, d in items}


def of_type(found, type_):
    return {i: d for (t, i), d in found.items() if t == type_}


@pytest.fixture
def seeded(aws):
    return seed_resources(boto3.Session(), ACCOUNT, REGIONS)


def resource_factory(seeded=None):
    """A factory answering EKS access entries from what `seeded` recorded (none when not seeded)."""
    entries = seeded["recorded"].eks_entries if seeded else {}
    streams = seeded["recorded"].stream_policies if seeded else {}
    bedrock = seeded["recorded"].bedrock if seeded else {}
    return ClientFactory(hooks=[*EksAccessEntries(entries).hooks(), *AccessAnalyzerAnswers().hooks(),
                                *StreamPolicies(streams).hooks(), *BedrockAnswers(bedrock).hooks()], account_id=ACCOUNT)


def test_every_service_in_every_region(seeded):
    factory = resource_factory(seeded)
    out, found = collect(factory)

    assert out.capabilities == {name: "ok" for name in CAPABILITIES}
    for type_, arns in seeded["resources"].items():
        assert set(of_type(found, type_)) == set(arns), type_
    assert len(of_type(found, "resource.s3.bucket")) == 1  # S3 is listed once, not per region
    for type_ in ("resource.ec2.instance", "resource.lambda.function", "resource.eks.cluster"):
        assert {d.region for d in of_type(found, type_).values()} == set(REGIONS)

    roles = seeded["roles"]
    (ec2,) = [d for d in of_type(found, "resource.ec2.instance").values() if d.region == "eu-west-1"]
    assert ec2.roles == [roles["ec2"]] and ec2.name == "web"
    for fn in of_type(found, "resource.lambda.function").values():
        assert fn.roles == [roles["lambda"]]
        assert fn.external_principals == [OUTSIDER]
    (bucket,) = of_type(found, "resource.s3.bucket").values()
    assert bucket.external_principals == [f"arn:aws:iam::{OUTSIDER}:root"]
    keys = of_type(found, "resource.kms.key").values()
    assert all(k.policy and k.aliases == ["alias/exports"] and not k.aws_managed for k in keys)
    assert all(k.external_principals == [f"arn:aws:iam::{OUTSIDER}:root"] for k in keys)
    assert all(s.policy and s.external_principals == []
               for s in of_type(found, "resource.secretsmanager.secret").values())
    assert all(t.external_principals == ["*"] and t.tags == {"data-class": "confidential"}
               for t in of_type(found, "resource.dynamodb.table").values())
    for stream in of_type(found, "resource.dynamodb.stream").values():
        assert stream.table_name == "orders" and stream.external_principals == [f"arn:aws:iam::{OUTSIDER}:root"]
    for db in of_type(found, "resource.rds.instance").values():
        assert db.iam_database_auth and db.role_features == {roles["rds"]: "s3Import"}
    for cluster in of_type(found, "resource.eks.cluster").values():
        assert cluster.roles == [roles["eks"]]
        assert [e.principal_arn.split(":")[4] for e in cluster.access_entries] == [ACCOUNT, OUTSIDER]
        assert cluster.access_entries[1].access_policies[0].namespaces == ["monitoring"]
        assert cluster.external_principals == [f"arn:aws:iam::{OUTSIDER}:role/vendor-observer"]
    assert all(t.external_principals == [f"arn:aws:iam::{OUTSIDER}:root"]
               for t in of_type(found, "resource.sns.topic").values())
    assert all(q.policy and q.external_principals == [] for q in of_type(found, "resource.sqs.queue").values())
    assert all(r.external_principals == [f"arn:aws:iam::{OUTSIDER}:root"]
               for r in of_type(found, "resource.ecr.repository").values())
    for api in of_type(found, "resource.apigateway.rest_api").values():
        assert api.external_principals == ["*"] and api.endpoint_types == ["REGIONAL"]
    buses = {d.name: d for d in of_type(found, "resource.events.event_bus").values() if d.region == "eu-west-1"}
    assert buses["partner-events"].external_principals == [f"arn:aws:iam::{OUTSIDER}:root"]
    assert buses["default"].policy is None and buses["default"].external_principals == []
    (source,) = [d for d in of_type(found, "resource.bedrock.data_source").values() if d.region == "us-east-1"]
    assert source.bucket_owner_account == OUTSIDER and source.external_principals == [OUTSIDER]
    assert all(a.agent_versions == ["1"] for a in of_type(found, "resource.bedrock.agent_alias").values())
    for type_ in ("resource.bedrock.agent", "resource.bedrock.knowledge_base", "resource.bedrock.custom_model",
                  "resource.bedrock.imported_model"):
        assert all(d.roles == [roles["bedrock"]] for d in of_type(found, type_).values()), type_


def test_call_counts(seeded):
    factory = resource_factory(seeded)
    collect(factory)
    calls = factory.counter.calls
    n = len(REGIONS)
    assert calls["s3.ListBuckets"] == 1 and calls["s3.GetBucketPolicy"] == 1
    assert calls["iam.ListInstanceProfiles"] == 1  # once per account, not per region or instance
    expected_per_region = {
        "ec2.DescribeInstances": 1, "lambda.ListFunctions": 1, "lambda.GetPolicy": 1, "kms.ListKeys": 1,
        "kms.ListAliases": 1, "kms.GetKeyPolicy": 1, "secrets-manager.ListSecrets": 1,
        "secrets-manager.GetResourcePolicy": 1, "rds.DescribeDBInstances": 1, "dynamodb.ListTables": 1,
        "dynamodb.GetResourcePolicy": 2,  # the table's and its stream's
        "resource-groups-tagging-api.GetResources": 1, "dynamodb-streams.ListStreams": 1,
        "eks.ListClusters": 1, "eks.DescribeCluster": 1,
        "eks.ListAccessEntries": 1, "eks.DescribeAccessEntry": 2, "eks.ListAssociatedAccessPolicies": 2,
        "bedrock-agent.ListAgents": 1, "bedrock-agent.GetAgent": 1, "bedrock-agent.ListKnowledgeBases": 1,
        "bedrock-agent.GetKnowledgeBase": 1, "bedrock.ListCustomModels": 1, "bedrock.GetCustomModel": 1,
        "bedrock.GetModelCustomizationJob": 1, "accessanalyzer.ListAnalyzers": 1,
        "bedrock.ListGuardrails": 1, "bedrock.ListInferenceProfiles": 1, "bedrock.ListProvisionedModelThroughputs": 1,
        "bedrock.ListImportedModels": 1, "bedrock.GetImportedModel": 1, "bedrock.GetModelImportJob": 1,
        "bedrock-agent.ListPrompts": 1, "bedrock-agent.ListAgentAliases": 1, "bedrock-agent.ListDataSources": 1,
        "bedrock-agent.GetDataSource": 1,
        "sns.ListTopics": 1, "sns.GetTopicAttributes": 1, "sqs.ListQueues": 1, "sqs.GetQueueAttributes": 1,
        "ecr.DescribeRepositories": 1, "ecr.GetRepositoryPolicy": 1, "api-gateway.GetRestApis": 1,
        "eventbridge.ListEventBuses": 1,
    }
    for op, count in expected_per_region.items():
        assert calls[op] == count * n, op
    assert sum(calls.values()) == 2 + 1 + n * sum(expected_per_region.values())


def test_registry_actions_match_the_calls(seeded):
    factory = resource_factory(seeded)
    collect(factory)
    # Counter keys use botocore's service ids; IAM action prefixes differ for some of them.
    prefix = {"bedrock-agent": "bedrock", "secrets-manager": "secretsmanager", "accessanalyzer": "access-analyzer",
              "dynamodb-streams": "dynamodb", "resource-groups-tagging-api": "tag", "eventbridge": "events"}
    called = {f"{prefix.get(svc, svc)}:{op}" for svc, op in (k.split(".") for k in factory.counter.calls)}
    called = {a.replace("s3:ListBuckets", "s3:ListAllMyBuckets") for a in called}
    called = {"apigateway:GET" if a.startswith("api-gateway:Get") else a for a in called}  # HTTP-verb actions
    declared = {a for name in CAPABILITIES for a in BY_NAME[name].actions}
    declared -= {"access-analyzer:ListFindings"}  # no analyzer seeded here
    assert called == declared


def test_no_policy_is_none_not_an_error(aws):
    lam_role = boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("a.py", "x = 1\n")
    boto3.client("lambda").create_function(FunctionName="plain", Runtime="python3.12", Role=lam_role,
                                           Handler="a.h", Code={"ZipFile": code.getvalue()})
    boto3.client("s3").create_bucket(Bucket="plain-bucket")
    boto3.client("dynamodb").create_table(
        TableName="plain", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    boto3.client("secretsmanager").create_secret(Name="plain", SecretString="x")
    out, found = collect(resource_factory(), regions=("us-east-1",))
    assert out.capabilities == {name: "ok" for name in CAPABILITIES}
    policies = {t: [d.policy for d in of_type(found, t).values()] for t in (
        "resource.lambda.function", "resource.s3.bucket", "resource.dynamodb.table",
        "resource.secretsmanager.secret")}
    assert policies == {t: [None] for t in policies}


def test_empty_account_is_ok_everywhere(aws):
    factory = resource_factory()
    out, found = collect(factory)
    assert out.capabilities == {name: "ok" for name in CAPABILITIES}
    # Nothing but the event bus every region has, without a policy.
    assert {(t, d.name, d.region, d.policy) for (t, _), d in found.items()} == {
        ("resource.events.event_bus", "default", region, None) for region in REGIONS}
    assert factory.counter.calls["iam.ListInstanceProfiles"] == 0  # no instance, no profile lookup


def test_account_collection_carries_resources_and_role_outsiders(seeded):
    import json

    from rich.console import Console

    from idcensus.census import to_records, with_org_accounts
    from idcensus.collect.account import collect_account
    from idcensus_emulator.demo_resources import show_resources

    sister = "210987654321"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": [f"arn:aws:iam::{sister}:root", f"arn:aws:iam::{OUTSIDER}:role/vendor"]}}]}
    boto3.client("iam").create_role(RoleName="cross-account", AssumeRolePolicyDocument=json.dumps(trust))
    options = with_org_accounts(CollectOptions(regions=("eu-west-1",)), [ACCOUNT, sister])
    result = collect_account(resource_factory(seeded), AccountInfo(ACCOUNT, organization_id="o-abc123"), options=options)

    (role,) = [r for r in result.roles if r.name == "cross-account"]
    assert role.external_principals == [f"arn:aws:iam::{OUTSIDER}:role/vendor"]  # the sister is inside
    assert all(result.ok(name) for name in CAPABILITIES)
    records = to_records(result, "run-1", "2026-11-25T00:00:00Z")
    types = {r["type"] for r in records}
    assert {t for t in seeded["resources"]} <= types
    console = Console(record=True, width=200)
    show_resources(console, records)
    text = console.export_text()
    assert OUTSIDER in text and "cross-account" in text and "ingest" in text


def test_queue_path_hands_the_org_accounts_to_each_collector(aws):
    """The planner records the organization's accounts in the state table; each account collector
    reads them back (one GetItem)."""
    from idcensus.store.runs import RunTable
    from idcensus.store.setup import ensure_table
    from idcensus.store.state import StateTable

    ensure_table(boto3.client("dynamodb"), "runs", create=True)
    runs = RunTable(boto3.resource("dynamodb"), "runs")
    state = StateTable(boto3.resource("dynamodb"), "runs")
    assert state.organization() == ((), None)  # before any run: only the account itself counts as inside
    runs.open("r1", total=2, started_at="2026-11-25T00:00:00Z", previous_run_id=None)
    state.put_organization(["222222222222", ACCOUNT], "o-exampleorg1")
    assert state.organization()[0] == (ACCOUNT, "222222222222")
    assert [o.account_id for o in runs.outcomes("r1")] == []  # not mistaken for an account outcome


def refuse_bucket(bucket):
    """S3's real AccessDenied for one bucket's GetBucketPolicy (as its own bucket policy would cause)."""
    from idcensus_emulator.gaps import answer

    def handler(request, **_):
        if f"/{bucket}" not in request.url and f"//{bucket}." not in request.url:
            return None
        return answer(request, 403, b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
                      b"<Message>Access Denied</Message><RequestId>R</RequestId><HostId>H</HostId></Error>")

    return ("before-send.s3.GetBucketPolicy", handler)


def test_a_resource_locking_the_reader_out_is_marked_not_the_capability_denied(aws):
    """One bucket refuses the policy read: its policy is unknown (refused, not absent), the
    others are read, and the capability stays ok. Every bucket refusing means the permission is missing."""
    s3 = boto3.client("s3")
    for name in ("open-bucket", "locked-bucket"):
        s3.create_bucket(Bucket=name)
    factory = ClientFactory(hooks=[refuse_bucket("locked-bucket")], account_id=ACCOUNT)
    out, found = collect(factory, regions=("us-east-1",))
    buckets = {d.name: d for d in of_type(found, "resource.s3.bucket").values()}
    assert out.capabilities["resources.s3.buckets"] == "ok"
    assert buckets["locked-bucket"].policy_refused and buckets["locked-bucket"].policy is None
    assert not buckets["open-bucket"].policy_refused and buckets["open-bucket"].policy is None

    s3.delete_bucket(Bucket="open-bucket")
    out, found = collect(factory, regions=("us-east-1",))
    assert out.capabilities["resources.s3.buckets"] == "denied"
    assert of_type(found, "resource.s3.bucket") == {}
