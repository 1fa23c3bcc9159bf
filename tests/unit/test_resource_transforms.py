"""Tier 3 transforms, pure: AWS answers (checked against botocore's output shapes, as the Stubber
would) in, records out. No client, no moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from idcensus.collect.contract import Org, Refused, Scope
from idcensus.collect.resources import (
    bedrock_agents,
    bedrock_custom_models,
    bedrock_knowledge_bases,
    dynamodb,
    eks,
    kms,
    lambda_,
    s3,
    secrets,
)

ACCOUNT = "111111111111"
OUTSIDER = "999999999999"
SCOPE = Scope(Org(ACCOUNT, frozenset({ACCOUNT, "222222222222"}), "o-abc123"), "eu-west-1")
_SESSION = botocore.session.get_session()


def answer(service: str, operation: str, response: dict) -> dict:
    """`response`, after checking it is a shape `operation` can return (as botocore's Stubber does)."""
    model = _SESSION.get_service_model(service).operation_model(operation)
    report = ParamValidator().validate(response, model.output_shape)
    assert not report.has_errors(), report.generate_report()
    return response


def policy(*principals: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "*", "Resource": "*"}]}


def refused() -> Refused:
    return Refused(ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetPolicy"))


def test_lambda_functions_with_role_policy_and_refusal():
    listed = answer("lambda", "ListFunctions", {"Functions": [
        {"FunctionName": "ingest", "FunctionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ingest",
         "Runtime": "python3.12", "Role": f"arn:aws:iam::{ACCOUNT}:role/ingest"},
        {"FunctionName": "locked", "FunctionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:locked"},
    ]})["Functions"]
    items = lambda_.transform([(listed[0], policy(f"arn:aws:iam::{OUTSIDER}:root")), (listed[1], refused())], SCOPE)
    (t1, id1, ingest), (_, _, locked) = items
    assert (t1, id1) == ("resource.lambda.function", listed[0]["FunctionArn"])
    assert ingest.roles == [f"arn:aws:iam::{ACCOUNT}:role/ingest"] and ingest.runtime == "python3.12"
    assert ingest.region == "eu-west-1" and ingest.external_principals == [f"arn:aws:iam::{OUTSIDER}:root"]
    assert locked.policy is None and locked.policy_refused and locked.roles == [] and locked.external_principals == []


def test_s3_buckets_take_their_own_region_and_a_global_arn():
    buckets = answer("s3", "ListBuckets", {"Buckets": [
        {"Name": "exports", "CreationDate": datetime(2024, 5, 1, tzinfo=UTC), "BucketRegion": "us-west-2"},
        {"Name": "logs", "CreationDate": datetime(2024, 5, 2, tzinfo=UTC)},
    ]})["Buckets"]
    items = s3.transform([(buckets[0], policy("222222222222")), (buckets[1], None)], SCOPE)
    (t, arn, exports), (_, _, logs) = items
    assert (t, arn, exports.arn) == ("resource.s3.bucket", "arn:aws:s3:::exports", "arn:aws:s3:::exports")
    assert exports.region == "us-west-2" and exports.external_principals == []  # an organization account
    assert exports.created_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert logs.region is None and logs.policy is None and not logs.policy_refused


def test_secrets_keep_the_kms_key_and_outsiders():
    listed = answer("secretsmanager", "ListSecrets", {"SecretList": [
        {"ARN": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf", "Name": "db",
         "KmsKeyId": "alias/exports"}]})["SecretList"]
    ((t, arn, secret),) = secrets.transform([(listed[0], policy(OUTSIDER))], SCOPE)
    assert (t, arn) == ("resource.secretsmanager.secret", listed[0]["ARN"])
    assert secret.name == "db" and secret.kms_key_id == "alias/exports" and secret.external_principals == [OUTSIDER]


@pytest.mark.parametrize("region", ["eu-west-1", "cn-north-1"])
def test_dynamodb_tables_are_named_from_their_arn(region):
    arn = dynamodb.table_arn(region, ACCOUNT, "orders")
    ((t, item_id, table),) = dynamodb.transform(([(arn, refused())], {arn: {"team": "data"}}), Scope(SCOPE.org, region))
    assert (t, item_id, table.name, table.region) == ("resource.dynamodb.table", arn, "orders", region)
    assert table.policy_refused and table.policy is None and table.tags == {"team": "data"}
    ((_, _, untagged),) = dynamodb.transform(([(arn, None)], None), Scope(SCOPE.org, region))
    assert untagged.tags is None  # the tagging listing was not read: unknown, not "no tags"


def test_kms_aws_managed_keys_are_named_by_alias_and_not_read(data_dir):
    recorded = json.loads((data_dir / "resources_kms.json").read_text())
    keys = answer("kms", "ListKeys", recorded["list_keys"])["Keys"]
    aliases = {"1234abcd-12ab-34cd-56ef-1234567890ab": ["alias/exports"],
               "0987dcba-09fe-87dc-65ba-ab0987654321": ["alias/aws/s3"]}
    doc = json.loads(answer("kms", "GetKeyPolicy", recorded["get_key_policy"])["Policy"])
    raw = kms.Raw(keys=keys, aliases=aliases, policies={"1234abcd-12ab-34cd-56ef-1234567890ab": doc})
    assert kms.aws_managed(keys, aliases) == {"0987dcba-09fe-87dc-65ba-ab0987654321"}
    found = {d.key_id: d for _, _, d in kms.transform(raw, SCOPE)}
    managed, customer = found["0987dcba-09fe-87dc-65ba-ab0987654321"], found["1234abcd-12ab-34cd-56ef-1234567890ab"]
    assert managed.aws_managed and managed.name == "aws/s3" and managed.policy is None and not managed.policy_refused
    assert customer.name == "exports" and customer.external_principals == [f"arn:aws:iam::{OUTSIDER}:role/partner-decrypt"]


def test_eks_entries_and_outside_principals(data_dir):
    recorded = json.loads((data_dir / "resources_eks.json").read_text())
    modern = recorded["describe_cluster"]["modern"]["cluster"]
    entries = [(p, e["accessEntry"], recorded["list_associated_access_policies"][p]["associatedAccessPolicies"])
               for p, e in recorded["describe_access_entry"].items()]
    ((t, arn, cluster),) = eks.transform([eks.Cluster(modern, entries)], SCOPE)
    assert (t, arn) == ("resource.eks.cluster", modern["arn"])
    assert cluster.roles == [modern["roleArn"]] and cluster.authentication_mode == modern["accessConfig"]["authenticationMode"]
    assert [e.principal_arn for e in cluster.access_entries] == list(recorded["describe_access_entry"])
    assert cluster.external_principals == [f"arn:aws:iam::{OUTSIDER}:role/partner-ci"]


def test_bedrock_agents_knowledge_bases_and_custom_models():
    agent = answer("bedrock-agent", "GetAgent", {"agent": {
        "agentId": "AGENT12345", "agentName": "support", "agentArn": f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:agent/AGENT12345",
        "agentVersion": "DRAFT", "agentStatus": "PREPARED", "idleSessionTTLInSeconds": 600,
        "agentResourceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/agent-role", "foundationModel": "anthropic.claude-v2",
        "createdAt": datetime(2024, 1, 1, tzinfo=UTC), "updatedAt": datetime(2024, 1, 1, tzinfo=UTC)}})["agent"]
    ((t, arn, a),) = bedrock_agents.transform([agent], SCOPE)
    assert (t, arn, a.agent_id, a.foundation_model) == ("resource.bedrock.agent", agent["agentArn"], "AGENT12345",
                                                        "anthropic.claude-v2")
    assert a.roles == [f"arn:aws:iam::{ACCOUNT}:role/agent-role"] and a.region == "eu-west-1"

    kb = answer("bedrock-agent", "GetKnowledgeBase", {"knowledgeBase": {
        "knowledgeBaseId": "KB12345678", "name": "docs", "status": "ACTIVE",
        "knowledgeBaseArn": f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:knowledge-base/KB12345678",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/kb-role", "knowledgeBaseConfiguration": {"type": "VECTOR"},
        "createdAt": datetime(2024, 1, 1, tzinfo=UTC), "updatedAt": datetime(2024, 1, 1, tzinfo=UTC)}})["knowledgeBase"]
    ((t, arn, k),) = bedrock_knowledge_bases.transform([kb], SCOPE)
    assert (t, arn, k.knowledge_base_id, k.roles) == ("resource.bedrock.knowledge_base", kb["knowledgeBaseArn"],
                                                      "KB12345678", [f"arn:aws:iam::{ACCOUNT}:role/kb-role"])

    model = answer("bedrock", "GetCustomModel", {
        "modelArn": f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:custom-model/titan/abc", "modelName": "tuned",
        "baseModelArn": "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-text-express-v1",
        "jobArn": f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:model-customization-job/titan/xyz",
        "trainingDataConfig": {"s3Uri": "s3://train/data.jsonl"}, "outputDataConfig": {"s3Uri": "s3://out/"},
        "creationTime": datetime(2024, 1, 1, tzinfo=UTC)})
    copied = {**model, "modelArn": f"{model['modelArn']}-copy", "modelName": "copied"}
    items = bedrock_custom_models.transform([(model, f"arn:aws:iam::{ACCOUNT}:role/tune"), (copied, None)], SCOPE)
    (t, arn, tuned), (_, _, other) = items
    assert (t, arn, tuned.job_arn) == ("resource.bedrock.custom_model", model["modelArn"], model["jobArn"])
    assert tuned.roles == [f"arn:aws:iam::{ACCOUNT}:role/tune"] and tuned.base_model_arn == model["baseModelArn"]
    assert other.roles == []  # its job lives in another account: no role to name
