"""Least privilege, read from the templates as written: member roles get exactly the registry's
read-only actions, central roles exactly idcensus.permissions, the vendor only reads."""

import re

import pytest

from idcensus import permissions
from idcensus.collect import registry
from tests.templates.cfn import FUNCTIONS, allowed_actions, as_list, resources_of_type, role_documents, statements

READ_ONLY = re.compile(r"^[a-z0-9-]+:(List|Get|Describe)[A-Za-z]*$")
READ_ONLY_EXCEPTIONS = {"iam:GenerateCredentialReport"}  # starts the report job; changes no identity
# Actions that support no resource-level permission, so "*" is the narrowest resource.
UNSCOPABLE = {
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
TIER_CONDITIONS = {"identity_center": "IdentityCenterTier", "resources": "ResourcesTier", "activity": "ActivityTier"}


# ---------------------------------------------------------------- member accounts
def member_policies(member):
    return {**resources_of_type(member, "AWS::IAM::ManagedPolicy"), **resources_of_type(member, "AWS::IAM::Policy")}


def test_tier1_policy_is_exactly_the_registry(member):
    policy = member["Resources"]["IdentityTierPolicy"]
    assert "Condition" not in policy  # Tier 1 is required
    assert policy["Properties"]["Roles"] == [{"Ref": "CollectorRole"}]
    actions = [a for s in statements([policy["Properties"]["PolicyDocument"]]) for a in as_list(s["Action"])]
    assert sorted(actions) == registry.actions_for_tier("identity")
    assert len(actions) == len(set(actions))


@pytest.mark.parametrize("tier", sorted(TIER_CONDITIONS))
def test_optional_tiers_follow_the_registry(member, tier):
    condition = TIER_CONDITIONS[tier]
    assert condition in member["Conditions"]
    policies = [p for p in member_policies(member).values() if p.get("Condition") == condition]
    want = registry.actions_for_tier(tier)
    if not want:
        assert policies == [], f"{tier} has no capabilities in the registry, so it gets no policy yet"
    else:
        assert len(policies) == 1, f"{tier} needs one policy with Condition {condition}"
        assert sorted(allowed_actions([policies[0]["Properties"]["PolicyDocument"]])) == want


def test_member_policies_are_read_only(member):
    docs = [p["Properties"]["PolicyDocument"] for p in member_policies(member).values()]
    docs += [p["PolicyDocument"] for p in member["Resources"]["CollectorRole"]["Properties"].get("Policies", [])]
    actions = allowed_actions(docs)
    assert actions
    writes = sorted(a for a in actions if not READ_ONLY.match(a) and a not in READ_ONLY_EXCEPTIONS)
    assert writes == []
    assert "ManagedPolicyArns" not in member["Resources"]["CollectorRole"]["Properties"]


def test_member_role_trusts_only_the_central_collector(member):
    (statement,) = member["Resources"]["CollectorRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": {"Ref": "CentralCollectorRoleArn"}}
    assert statement["Condition"]["StringEquals"] == {
        "sts:ExternalId": {"Ref": "ExternalId"},
        "aws:PrincipalOrgID": {"Ref": "OrganizationId"},
        "aws:PrincipalAccount": {"Ref": "CentralAccountId"},
    }


# ---------------------------------------------------------------- central functions
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_grants_exactly_its_actions(template, function):
    name, role = FUNCTIONS[function]
    assert template["Resources"][function]["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    assert "Policies" not in template["Resources"][function]["Properties"]
    assert "ManagedPolicyArns" not in template["Resources"][role]["Properties"]
    granted = allowed_actions(role_documents(template, role))
    want = permissions.granted_actions(name)
    assert sorted(want - granted) == [], "missing"
    assert sorted(granted - want) == [], "extra"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_role_scopes_its_resources(template, function):
    _, role = FUNCTIONS[function]
    for statement in statements(role_documents(template, role)):
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert not any("*" in a for a in actions), actions
        if statement["Resource"] == "*":
            unscoped = set(actions) - UNSCOPABLE
            assert unscoped == set(), f"{role}: {sorted(unscoped)} on '*'"
        if any(a.startswith("kms:") for a in actions):
            assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
        if "s3:ListBucket" in actions and function != "PlannerFunction":  # see SeeMissingExports
            assert statement["Condition"]["StringLike"]["s3:prefix"] == {"Fn::Sub": "${ExportPrefix}*"}


def test_collector_assumes_only_the_member_role(template):
    assume = [s for s in statements(role_documents(template, "AccountCollectorRole")) if "sts:AssumeRole" in as_list(s["Action"])]
    assert len(assume) == 1
    assert assume[0]["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${CollectorRoleName}"}
    assert assume[0]["Condition"] == {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}}


def test_kms_actions_are_implied_by_s3_calls():
    for name, actions in permissions.KMS_ACTIONS.items():
        s3 = set(permissions.CENTRAL_ACTIONS[name])
        assert ("kms:GenerateDataKey" in actions) == ("s3:PutObject" in s3), name
        assert ("kms:Decrypt" in actions) == ("s3:GetObject" in s3), name


# ---------------------------------------------------------------- vendor
def test_vendor_role_only_reads(template):
    props = template["Resources"]["VendorReadRole"]["Properties"]
    assert "Policies" not in props and "ManagedPolicyArns" not in props
    docs = role_documents(template, "VendorReadRole")
    assert allowed_actions(docs) == set(permissions.VENDOR_ACTIONS)
    assert allowed_actions(docs) == {
        "s3:GetObject",
        "s3:ListBucket",
        "kms:Decrypt",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    by_action = {a: s for s in statements(docs) for a in as_list(s["Action"])}
    assert by_action["s3:GetObject"]["Resource"] == {"Fn::Sub": "${ExportBucket.Arn}/${ExportPrefix}*"}
    assert by_action["s3:ListBucket"]["Condition"] == {"StringLike": {"s3:prefix": {"Fn::Sub": "${ExportPrefix}*"}}}
    assert by_action["kms:Decrypt"]["Resource"] == {"Fn::GetAtt": ["ExportKey", "Arn"]}
    assert by_action["kms:Decrypt"]["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "s3.${AWS::Region}.amazonaws.com"
    }
    assert by_action["sqs:ReceiveMessage"]["Resource"] == {"Fn::GetAtt": ["VendorQueue", "Arn"]}


def test_vendor_trust_needs_the_external_id(template):
    (statement,) = template["Resources"]["VendorReadRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": {"Ref": "VendorPrincipalArn"}}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "VendorExternalId"}}}


def test_key_policy_lets_roles_use_the_key_only_through_s3(template):
    policy = template["Resources"]["ExportKey"]["Properties"]["KeyPolicy"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["AccountAdministers"]["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    functions = by_sid["FunctionsUseThroughS3"]
    assert sorted(p["Fn::GetAtt"][0] for p in functions["Principal"]["AWS"]) == sorted(r for _, r in FUNCTIONS.values())
    assert sorted(functions["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    vendor = by_sid["VendorDecryptsThroughS3"]
    assert vendor["Principal"] == {"AWS": {"Fn::GetAtt": ["VendorReadRole", "Arn"]}} and vendor["Action"] == "kms:Decrypt"
    for statement in (functions, vendor):
        assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    assert set(by_sid) == {"AccountAdministers", "FunctionsUseThroughS3", "VendorDecryptsThroughS3"}
