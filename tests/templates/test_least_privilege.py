"""Least privilege, read from the templates as written: member roles get exactly the registry's
read-only actions, central roles exactly idcensus.permissions, the vendor only reads."""

import re

import pytest

from idcensus import permissions
from idcensus.collect import registry
from tests.templates.cfn import FUNCTIONS, allowed_actions, as_list, resources_of_type, role_documents, statements

READ_ONLY = re.compile(r"^[a-z0-9-]+:(List|Get|Describe)[A-Za-z]*$")
READ_ONLY_EXCEPTIONS = {"iam:GenerateCredentialReport",  # starts the report job; changes no identity
                        "apigateway:GET"}  # API Gateway's read action is the HTTP verb
# Actions that support no resource-level permission, so "*" is the narrowest resource.
UNSCOPABLE = {
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
# Every optional tier's policy exists only with its switch, and only in PrimaryRegion (IAM is global).
TIER_CONDITIONS = {
    "identity_center": "IdentityCenterTierHere",
    "resources": "ResourcesTierHere",
    "activity": "ActivityTierHere",
    "billing": "BillingTierHere",
}


# ---------------------------------------------------------------- member accounts
def member_policies(member):
    return {**resources_of_type(member, "AWS::IAM::ManagedPolicy"), **resources_of_type(member, "AWS::IAM::Policy")}


def test_every_tier_has_a_switch():
    assert set(TIER_CONDITIONS) == set(registry.TIERS) - {"identity"}


def test_tier1_policy_is_exactly_the_registry(member):
    policy = member["Resources"]["IdentityTierPolicy"]
    assert policy["Condition"] == "IsPrimaryRegion"  # Tier 1 is required: no switch
    assert policy["Properties"]["Roles"] == [{"Ref": "CollectorRole"}]
    actions = [a for s in statements([policy["Properties"]["PolicyDocument"]]) for a in as_list(s["Action"])]
    assert sorted(actions) == registry.actions_for_tier("identity")
    assert len(actions) == len(set(actions))


@pytest.mark.parametrize("tier", sorted(TIER_CONDITIONS))
def test_optional_tiers_follow_the_registry(member, tier):
    condition = TIER_CONDITIONS[tier]
    assert {"Condition": "IsPrimaryRegion"} in member["Conditions"][condition]["Fn::And"]
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


def test_member_role_trusts_only_the_central_readers(member):
    # The collector, the targeted refresh and the check read member accounts; nothing else may.
    (statement,) = member["Resources"]["CollectorRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {
        "AWS": [{"Ref": "CentralCollectorRoleArn"}, {"Ref": "CentralRefreshRoleArn"}, {"Ref": "CentralCheckRoleArn"}]
    }
    assert statement["Condition"]["StringEquals"] == {
        "sts:ExternalId": {"Ref": "ExternalId"},
        "aws:PrincipalOrgID": {"Ref": "OrganizationId"},
        "aws:PrincipalAccount": {"Ref": "CentralAccountId"},
    }


def primary_only(member, condition):
    if condition == "IsPrimaryRegion":
        return True
    return {"Condition": "IsPrimaryRegion"} in member["Conditions"].get(condition, {}).get("Fn::And", [])


def test_named_iam_resources_exist_only_in_the_primary_region(member):
    # The StackSet deploys to several regions; a named role or policy in two of them would collide.
    iam = {k: v for k, v in member["Resources"].items() if v["Type"].startswith("AWS::IAM::")}
    assert len(iam) >= 6
    assert [k for k, v in iam.items() if not primary_only(member, v.get("Condition"))] == []
    assert member["Outputs"]["CollectorRoleArn"]["Condition"] == "IsPrimaryRegion"


def test_activity_forwarder_may_only_put_events_on_the_central_bus(member):
    role = member["Resources"]["ActivityForwarderRole"]
    assert role["Condition"] == "ActivityTierHere"
    props = role["Properties"]
    assert props["RoleName"] == {"Fn::Sub": "${CollectorRoleName}-activity"}
    (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in props
    (statement,) = statements(role_documents(member, "ActivityForwarderRole"))
    assert statement == {"Sid": "CentralBusOnly", "Effect": "Allow", "Action": "events:PutEvents",
                         "Resource": {"Ref": "CentralEventBusArn"}}


def test_activity_rules_forward_through_the_forwarder(member):
    rules = resources_of_type(member, "AWS::Events::Rule")
    assert set(rules) == {"ActivityRule", "SessionRule"}
    arn = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${CollectorRoleName}-activity"}
    for rule in rules.values():
        assert rule["Condition"] == "ActivityTier"  # every region, not only the primary one
        assert rule["Properties"]["EventBusName"] == "default"
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == {"Ref": "CentralEventBusArn"} and target["RoleArn"] == arn


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
        if any(a.startswith("kms:") for a in actions) and statement.get("Sid") != "DecryptTrailLogs":
            assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.${AWS::URLSuffix}"}
        trail = statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${TrailBucketName}"}
        # SeeMissingExports: the functions that read latest.json (planner; collector, finisher and
        # refresh diff against the published run) need ListBucket unconditioned to get NoSuchKey, not 403.
        readers = {"PlannerFunction", "AccountCollectorFunction", "FinisherFunction", "RefreshFunction"}
        if "s3:ListBucket" in actions and function not in readers and not trail:
            assert statement["Condition"]["StringLike"]["s3:prefix"] == {"Fn::Sub": "${ExportPrefix}*"}


def test_collector_assumes_only_the_member_role(template):
    assume = [s for s in statements(role_documents(template, "AccountCollectorRole")) if "sts:AssumeRole" in as_list(s["Action"])]
    assert len(assume) == 1
    assert assume[0]["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${CollectorRoleName}"}
    assert assume[0]["Condition"] == {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}}


def test_backfill_reads_the_trail_bucket_only_when_named(template):
    policy = template["Resources"]["BackfillTrailPolicy"]
    assert policy["Condition"] == "HasTrailBucket"
    assert template["Conditions"]["HasTrailBucket"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "TrailBucketName"}, ""]}]}
    assert policy["Properties"]["Roles"] == [{"Ref": "BackfillRole"}]
    by_action = {a: s for s in statements([policy["Properties"]["PolicyDocument"]]) for a in as_list(s["Action"])}
    assert set(by_action) == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
    # The trail's own key: any key, but only through S3 and only for this bucket's objects.
    assert by_action["kms:Decrypt"]["Condition"] == {"StringLike": {
        "kms:ViaService": {"Fn::Sub": "s3.*.${AWS::URLSuffix}"},
        "kms:EncryptionContext:aws:s3:arn": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${TrailBucketName}"},
                                             {"Fn::Sub": "arn:${AWS::Partition}:s3:::${TrailBucketName}/*"}],
    }}
    assert by_action["s3:GetObject"]["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${TrailBucketName}/*"}
    assert by_action["s3:ListBucket"]["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${TrailBucketName}"}
    # No other policy names the trail bucket.
    others = [r for k, r in template["Resources"].items() if k != "BackfillTrailPolicy" and "PolicyDocument" in r["Properties"]]
    assert "TrailBucketName" not in str(others)


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
        "Fn::Sub": "s3.${AWS::Region}.${AWS::URLSuffix}"
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
    # Exactly the roles whose S3 calls use the export key.
    users = sorted(role for name, role in FUNCTIONS.values() if permissions.KMS_ACTIONS.get(name))
    assert sorted(p["Fn::GetAtt"][0] for p in functions["Principal"]["AWS"]) == users
    assert sorted(functions["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    vendor = by_sid["VendorDecryptsThroughS3"]
    assert vendor["Principal"] == {"AWS": {"Fn::GetAtt": ["VendorReadRole", "Arn"]}} and vendor["Action"] == "kms:Decrypt"
    for statement in (functions, vendor):
        assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "s3.${AWS::Region}.${AWS::URLSuffix}"}
    assert set(by_sid) == {"AccountAdministers", "FunctionsUseThroughS3", "VendorDecryptsThroughS3"}


# ---------------------------------------------------------------- activity bus and queue
def test_central_bus_admits_only_the_organization(template):
    bus = template["Resources"]["ActivityBus"]["Properties"]
    assert bus["Name"] == {"Fn::Sub": "${AWS::StackName}-activity"}
    (statement,) = bus["Policy"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${AWS::StackName}-activity"
    }
    # Principal "*" is only ever paired with the organization condition, and nothing else widens it.
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
    assert not resources_of_type(template, "AWS::Events::EventBusPolicy")


def test_no_resource_policy_grants_star_without_a_condition(template):
    docs = [template["Resources"]["ActivityBus"]["Properties"]["Policy"]]
    docs += [r["Properties"]["PolicyDocument"] for r in resources_of_type(template, "AWS::SQS::QueuePolicy").values()]
    docs += [r["Properties"]["PolicyDocument"] for r in resources_of_type(template, "AWS::S3::BucketPolicy").values()]
    for statement in statements(docs):
        if statement["Effect"] == "Allow" and statement["Principal"] in ("*", {"AWS": "*"}):
            assert statement.get("Condition"), statement


def test_activity_queue_accepts_only_the_activity_rule(template):
    (policy,) = resources_of_type(template, "AWS::SQS::QueuePolicy").values()
    props = policy["Properties"]
    assert props["Queues"] == [{"Ref": "ActivityQueue"}, {"Ref": "ActivityDeadLetterQueue"}]
    (statement,) = props["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == [{"Fn::GetAtt": ["ActivityQueue", "Arn"]}, {"Fn::GetAtt": ["ActivityDeadLetterQueue", "Arn"]}]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ActivityRule", "Arn"]}}}
    (target,) = template["Resources"]["ActivityRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ActivityQueue", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ActivityDeadLetterQueue", "Arn"]}}
