"""A withheld permission skips just its capability, as AWS itself refuses it: moto's IAM
enforcement is switched on and the collector runs as a user whose policy lacks some actions."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from tests.aws.conftest import ACCOUNT

from idcensus.aws import ClientFactory
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus.collect.registry import COLLECTED
from idcensus_emulator.gaps import AccessAnalyzerAnswers, BedrockAnswers, EksAccessEntries
from idcensus_emulator.seed_resources import seed_resources
from idcensus_emulator.server import lenient_signatures

REGIONS = ("us-east-1", "eu-west-1")
# One per-resource action (S3), one secondary action (the EC2 capability's profile listing), one listing.
# (moto sends its auth errors as XML, which JSON-protocol clients cannot parse: those services are
# denied through a real-shape JSON answer in test_resources_regions.py instead.)
WITHHELD = ["s3:GetBucketPolicy", "iam:ListInstanceProfiles", "rds:DescribeDBInstances", "sns:GetTopicAttributes"]


@pytest.fixture
def reader(aws, monkeypatch):
    """Credentials of a user allowed everything but WITHHELD; enforcement on from here."""
    seed_resources(boto3.Session(), ACCOUNT, REGIONS)
    iam = boto3.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": WITHHELD, "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    # moto mis-signs REST GET requests (Lambda, EKS, Bedrock) under enforcement: the emulator's scoped
    # workaround; signatures are not under test, the policy evaluation is.
    with lenient_signatures():
        yield boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                         region_name="us-east-1")


def test_withheld_permission_skips_only_its_capability(reader):
    factory = ClientFactory(session=reader, hooks=[*EksAccessEntries().hooks(), *AccessAnalyzerAnswers().hooks(),
                                *BedrockAnswers().hooks()],
                            account_id=ACCOUNT)
    out = Outcomes()
    items = collect_items(factory, AccountInfo(ACCOUNT), out, CollectOptions(regions=REGIONS), tiers=("resources",))

    denied = {"resources.s3.buckets", "resources.ec2.instances", "resources.rds.instances", "resources.sns.topics"}
    assert {n for n, v in out.capabilities.items() if v == "denied"} == denied
    assert {n for n, v in out.capabilities.items() if v == "ok"} == {c.name for c in COLLECTED if c.tier == "resources"} - denied
    assert "AccessDenied" in out.errors["resources.s3.buckets"]
    assert "iam:ListInstanceProfiles" in out.errors["resources.ec2.instances"]
    # A regional denial names the regions it happened in.
    assert "in us-east-1" in out.errors["resources.rds.instances"]
    assert "in eu-west-1" in out.errors["resources.rds.instances"]
    types = {t for t, _, _ in items}
    assert not types & {"resource.s3.bucket", "resource.rds.instance"}
    assert {"resource.lambda.function", "resource.kms.key", "resource.secretsmanager.secret",
            "resource.eks.cluster", "resource.dynamodb.table", "resource.bedrock.agent",
            "resource.bedrock.knowledge_base", "resource.bedrock.custom_model"} <= types
    # The profile listing is asked once for the account even though both regions need it.
    assert factory.counter.calls["iam.ListInstanceProfiles"] == 1
