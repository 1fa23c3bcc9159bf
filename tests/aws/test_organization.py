"""The OU tree and SCPs/RCPs with their targets, against moto's Organizations (management account only)."""

from __future__ import annotations

import json

import boto3
import pytest
from tests.aws.conftest import ACCOUNT, factory
from tests.faults import query_error

from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes

DENY_LEAVE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
RCP = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"}}}]}


@pytest.fixture
def org(aws):
    o = boto3.client("organizations")
    o.create_organization(FeatureSet="ALL")
    root = o.list_roots()["Roots"][0]["Id"]
    workloads = o.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    prod = o.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
    member = o.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"]["AccountId"]
    o.move_account(AccountId=member, SourceParentId=root, DestinationParentId=prod)
    o.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    o.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    scp = o.create_policy(Name="deny-leave", Description="stay", Type="SERVICE_CONTROL_POLICY",
                          Content=json.dumps(DENY_LEAVE))["Policy"]["PolicySummary"]["Id"]
    o.attach_policy(PolicyId=scp, TargetId=workloads)
    o.attach_policy(PolicyId=scp, TargetId=member)
    rcp = o.create_policy(Name="org-only-s3", Description="", Type="RESOURCE_CONTROL_POLICY",
                          Content=json.dumps(RCP))["Policy"]["PolicySummary"]["Id"]
    o.attach_policy(PolicyId=rcp, TargetId=root)
    return {"root": root, "workloads": workloads, "prod": prod, "member": member, "scp": scp, "rcp": rcp}


def collect(f, management=True):
    out = Outcomes()
    items = collect_items(f, AccountInfo(ACCOUNT, management=management), out, CollectOptions(), tiers=("identity",))
    return out, [(t, d) for t, _, d in items if t.startswith("org.")]


def test_tree_and_policies_with_targets(org):
    f = factory()
    out, found = collect(f)
    assert out.capabilities["org.policies"] == "ok"
    units = {d.path: d for t, d in found if t == "org.organizational_unit"}
    assert set(units) == {"Root", "Root/Workloads", "Root/Workloads/Prod"}
    assert units["Root"].type == "ROOT" and units["Root"].parent_id is None
    assert "SERVICE_CONTROL_POLICY" in units["Root"].policy_types
    assert units["Root/Workloads/Prod"].parent_id == org["workloads"]
    assert units["Root/Workloads/Prod"].accounts == [org["member"]]
    assert ACCOUNT in units["Root"].accounts  # the management account stays under the root
    policies = {d.id: d for t, d in found if t == "org.policy"}
    scp, rcp = policies[org["scp"]], policies[org["rcp"]]
    assert scp.type == "SERVICE_CONTROL_POLICY" and scp.document == DENY_LEAVE and not scp.aws_managed
    assert [(t.type, t.target_id) for t in scp.targets] == [("ACCOUNT", org["member"]),
                                                            ("ORGANIZATIONAL_UNIT", org["workloads"])]
    assert rcp.type == "RESOURCE_CONTROL_POLICY" and [t.type for t in rcp.targets] == ["ROOT"]
    full = [d for d in policies.values() if d.aws_managed and d.type == "SERVICE_CONTROL_POLICY"]
    assert full and full[0].name == "FullAWSAccess"
    calls = f.counter.calls
    assert calls["organizations.ListRoots"] == 1
    assert calls["organizations.ListAccountsForParent"] == calls["organizations.ListOrganizationalUnitsForParent"] == 3
    assert calls["organizations.ListPolicies"] == 2  # one per policy type
    assert calls["organizations.DescribePolicy"] == calls["organizations.ListTargetsForPolicy"] == len(policies)


def test_member_accounts_are_not_asked(org):
    f = factory()
    out, found = collect(f, management=False)
    assert "org.policies" not in out.capabilities and found == []
    assert f.counter.total("organizations.") == 0


def test_denied_is_denied(org):
    def handler(request, **_):
        return query_error(request, "AccessDeniedException", 400, "not authorized: organizations:ListRoots")

    out, found = collect(factory(("before-send.organizations.ListRoots", handler)))
    assert out.capabilities["org.policies"] == "denied" and found == []
