import json

import pytest

from idcensus.collect import iam


@pytest.fixture
def details(data_dir):
    page = json.loads((data_dir / "gaad_page.json").read_text())
    return iam.AuthorizationDetails(page["UserDetailList"], page["GroupDetailList"], page["RoleDetailList"],
                                    page["Policies"])


def test_group_members_come_from_users(details):
    groups = {g.name: g for g in iam.transform_groups(details)}
    assert groups["admins"].members == ["arn:aws:iam::210987654321:user/alice"]
    assert groups["empty"].members == []
    assert groups["admins"].attached_policies == ["arn:aws:iam::aws:policy/AdministratorAccess"]


def test_roles_decode_trust_and_flag_service_linked(details):
    (role,) = iam.transform_roles(details)
    assert role.trust_policy["Statement"][0]["Principal"] == {"Service": "support.amazonaws.com"}
    assert role.service_linked is True
    assert role.last_used_region == "us-east-1"
    assert role.last_used_at.isoformat() == "2026-11-20T10:00:00+00:00"


def test_policies_keep_customer_and_attached_aws_managed_only(details):
    policies = {p.arn: p for p in iam.transform_policies(details)}
    assert set(policies) == {"arn:aws:iam::210987654321:policy/deploy", "arn:aws:iam::aws:policy/AdministratorAccess"}
    deploy = policies["arn:aws:iam::210987654321:policy/deploy"]
    assert deploy.name == "deploy"  # GAAD may omit PolicyName: taken from the ARN
    assert deploy.document == {"Version": "2012-10-17", "Statement": []}  # the default version, decoded
    assert policies["arn:aws:iam::aws:policy/AdministratorAccess"].aws_managed is True


def test_user_boundary_and_inline_policy(details):
    user = details.users[0]
    assert iam.boundary(user) == "arn:aws:iam::210987654321:policy/boundary"
    (inline,) = iam.inline_policies(user["UserPolicyList"])
    assert inline.document["Statement"][0]["Action"] == "s3:GetObject"
