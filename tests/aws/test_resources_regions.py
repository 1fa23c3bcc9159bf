"""Regions: a capability's outcome is the worst of its regions, with the region named; what the
other regions returned is kept. Denials arrive as AWS sends them from JSON-protocol services."""

from __future__ import annotations

import json

import boto3
from tests.aws.conftest import ACCOUNT

from idcensus.aws import ClientFactory
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus.collect.registry import COLLECTED
from idcensus_emulator.gaps import AccessAnalyzerAnswers, BedrockAnswers, EksAccessEntries, answer
from idcensus_emulator.seed_resources import seed_resources

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def refuse(event: str, region: str, code: str = "AccessDeniedException", status: int = 400):
    """A real-shape JSON error (awsJson / restJson) for one operation in one region."""

    def handler(request, **_):
        if f".{region}." not in request.url:
            return None
        body = json.dumps({"__type": code, "message": f"User is not authorized to perform {event} in {region}"})
        response = answer(request, status, body.encode())
        response.headers["x-amzn-ErrorType"] = code
        return response

    return (f"before-send.{event}", handler)


def run(*hooks):
    # The refusals first: the first before-send answer stands.
    factory = ClientFactory(hooks=[*hooks, *EksAccessEntries().hooks(), *AccessAnalyzerAnswers().hooks(),
                                   *BedrockAnswers().hooks()], account_id=ACCOUNT)
    out = Outcomes()
    items = collect_items(factory, AccountInfo(ACCOUNT), out, CollectOptions(regions=REGIONS), tiers=("resources",))
    return factory, out, items


def test_denied_in_one_region_is_denied_for_the_account(aws):
    seed_resources(boto3.Session(), ACCOUNT, REGIONS)
    factory, out, items = run(refuse("kms.GetKeyPolicy", "eu-west-1"),
                              refuse("lambda.ListFunctions", "ap-southeast-2", "InvalidParameterValueException"))

    assert out.capabilities["resources.kms.keys"] == "denied"
    assert "in eu-west-1" in out.errors["resources.kms.keys"]
    assert "us-east-1" not in out.errors["resources.kms.keys"]
    assert out.capabilities["resources.lambda.functions"] == "failed"
    assert "in ap-southeast-2" in out.errors["resources.lambda.functions"]
    # The regions that answered still give their records; the outcome keeps them from deleting.
    kms_regions = sorted(d.region for t, _, d in items if t == "resource.kms.key")
    assert kms_regions == ["ap-southeast-2", "us-east-1"]
    assert sorted(d.region for t, _, d in items if t == "resource.lambda.function") == ["eu-west-1", "us-east-1"]
    others = {n: v for n, v in out.capabilities.items() if not n.startswith(("resources.kms", "resources.lambda"))}
    assert set(others.values()) == {"ok"} and len(others) == len([c for c in COLLECTED if c.tier == "resources"]) - 2
    assert factory.counter.calls["ec2.DescribeInstances"] == len(REGIONS)
    assert factory.counter.calls["s3.ListBuckets"] == 1


def test_messaging_registry_and_api_denials_are_denied(aws):
    seed_resources(boto3.Session(), ACCOUNT, REGIONS)
    _, out, items = run(refuse("ecr.GetRepositoryPolicy", "eu-west-1"), refuse("api-gateway.GetRestApis", "us-east-1"),
                        refuse("sqs.ListQueues", "ap-southeast-2"))
    for name, region in (("resources.ecr.repositories", "eu-west-1"), ("resources.apigateway.rest_apis", "us-east-1"),
                         ("resources.sqs.queues", "ap-southeast-2")):
        assert out.capabilities[name] == "denied" and f"in {region}" in out.errors[name], name
    assert out.capabilities["resources.sns.topics"] == "ok"
    assert sorted(d.region for t, _, d in items if t == "resource.apigateway.rest_api") == ["ap-southeast-2", "eu-west-1"]


def test_stream_listing_denied_is_denied_and_unreadable_tags_are_unknown(aws):
    seed_resources(boto3.Session(), ACCOUNT, REGIONS)
    _, out, items = run(refuse("dynamodb-streams.ListStreams", "eu-west-1"),
                        refuse("resource-groups-tagging-api.GetResources", "us-east-1"))
    assert out.capabilities["resources.dynamodb.streams"] == "denied"
    assert "in eu-west-1" in out.errors["resources.dynamodb.streams"]
    assert out.capabilities["resources.dynamodb.tables"] == "ok"  # tags are one field of the table
    tags = {d.region: d.tags for t, _, d in items if t == "resource.dynamodb.table"}
    assert tags["us-east-1"] is None and tags["eu-west-1"] == {"data-class": "confidential"}


def test_bedrock_kinds_denied_are_denied_and_shared_listings_deny_both(aws):
    seed_resources(boto3.Session(), ACCOUNT, REGIONS)
    _, out, _ = run(refuse("bedrock.ListGuardrails", "us-east-1"), refuse("bedrock-agent.ListAgents", "eu-west-1"),
                    refuse("bedrock.GetModelImportJob", "ap-southeast-2"))
    assert out.capabilities["resources.bedrock.guardrails"] == "denied"
    # ListAgents is listed once per region for both capabilities that need it: both are denied there.
    assert out.capabilities["resources.bedrock.agents"] == out.capabilities["resources.bedrock.agent_aliases"] == "denied"
    assert out.capabilities["resources.bedrock.prompts"] == "ok"
    assert out.capabilities["resources.bedrock.imported_models"] == "ok"  # nothing imported: the job is never read
