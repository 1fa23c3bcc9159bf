"""Record types of the sso collectors; they join RECORD_TYPES through register()."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import Field

from idcensus.model.records import Policy, _Data, register

# Where Identity Center puts the roles it provisions into member accounts; instances outside
# us-east-1 add "<region>/" after it.
SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
SSO_ROLE_PREFIX = "AWSReservedSSO_"


class SsoInstance(_Data):
    instance_arn: str
    identity_store_id: str
    owner_account_id: str
    name: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    region: str


class SsoEmail(_Data):
    value: str
    type: str | None = None
    primary: bool | None = None


class SsoUser(_Data):
    user_id: str
    arn: str
    instance_arn: str
    identity_store_id: str
    user_name: str
    display_name: str | None = None
    emails: list[SsoEmail] = Field(default_factory=list)
    status: str | None = Field(None, description="UserStatus where the identity store returns it")
    groups: list[str] | None = Field(None, description="group IDs; None when memberships were not read")
    last_activity_at: datetime | None = Field(
        None, description="the latest sign-in or call the CloudTrail stream saw (Identity Center reports none)")


class SsoGroup(_Data):
    group_id: str
    arn: str
    instance_arn: str
    identity_store_id: str
    display_name: str | None = None
    description: str | None = None
    members: list[str] = Field(default_factory=list, description="user IDs (and nested group IDs)")


class CustomerPolicyReference(_Data):
    name: str
    path: str = "/"


class PermissionsBoundary(_Data):
    managed_policy_arn: str | None = None
    customer_managed_policy: CustomerPolicyReference | None = None


class SsoPermissionSet(_Data):
    arn: str
    instance_arn: str
    name: str
    description: str | None = None
    created_at: datetime | None = None
    session_duration: str | None = Field(None, description="ISO 8601 duration, e.g. PT8H")
    relay_state: str | None = None
    managed_policies: list[str] = Field(default_factory=list, description="AWS-managed policy ARNs")
    customer_managed_policies: list[CustomerPolicyReference] = Field(default_factory=list)
    inline_policy: Policy | None = None
    permissions_boundary: PermissionsBoundary | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class SsoAccountAssignment(_Data):
    instance_arn: str
    permission_set_arn: str
    permission_set_name: str | None = None
    account_id: str = Field(description="the account the assignment grants access to (its only scope)")
    principal_type: Literal["USER", "GROUP"]
    principal_id: str
    principal_name: str | None = None
    provisioning_status: Literal["provisioned", "outdated", "not_provisioned"] | None = None
    role_name_prefix: str | None = Field(None, description="AWSReservedSSO_<PermissionSetName>_")
    role_path: str = Field(description="IAM path of the role Identity Center creates in the account")
    role_arn: str | None = Field(
        None, description="the exact role; None unless the run read that account's IAM (see link_roles)"
    )


def role_path(region: str) -> str:
    return SSO_ROLE_PATH if region == "us-east-1" else f"{SSO_ROLE_PATH}{region}/"


def role_matches(prefix: str | None, name: str, path: str) -> bool:
    """AWSReservedSSO_<set>_<16 hex>: the suffix check keeps set 'Admin' off role 'Admin_Read_…'."""
    if not prefix or not name.startswith(prefix) or not path.startswith(SSO_ROLE_PATH):
        return False
    rest = name[len(prefix):]
    return len(rest) == 16 and all(c in "0123456789abcdef" for c in rest.lower())


def link_roles(assignment_records: Iterable[dict], role_records: Iterable[dict]) -> dict[str, str]:
    """{assignment record id: role ARN} over exported records (envelopes): the role lives in the
    assignment's account, which another account's run collected."""
    by_account: dict[str, list[dict]] = {}
    for r in role_records:
        if r["type"] == "iam.role" and not r.get("deleted"):
            by_account.setdefault(r["account_id"], []).append(r["data"])
    links: dict[str, str] = {}
    for rec in assignment_records:
        a = rec["data"]
        if a.get("role_arn"):
            links[rec["id"]] = a["role_arn"]
            continue
        for role in by_account.get(a["account_id"], []):
            if role_matches(a.get("role_name_prefix"), role["name"], role["path"]):
                links[rec["id"]] = role["arn"]
                break
    return links


register(
    {
        "sso.instance": SsoInstance,
        "sso.user": SsoUser,
        "sso.group": SsoGroup,
        "sso.permission_set": SsoPermissionSet,
        "sso.account_assignment": SsoAccountAssignment,
    }
)


class SsoApplicationAssignment(_Data):
    principal_id: str = Field(description="an identity store user or group ID (see sso.user, sso.group)")
    principal_type: str = Field(description="USER or GROUP")


class SsoApplication(_Data):
    """An application (SaaS or AWS-managed) Identity Center signs people into, and who may reach it."""

    arn: str
    instance_arn: str
    name: str
    description: str | None = None
    status: str | None = None
    provider_arn: str | None = Field(None, description="the application provider (catalog SaaS app, custom SAML...)")
    application_account: str | None = None
    created_at: datetime | None = None
    visibility: str | None = Field(None, description="ENABLED: shown in the access portal")
    assignment_required: bool | None = Field(
        None, description="false: every user of the instance may sign in, assigned or not; None: not read")
    assignments: list[SsoApplicationAssignment] = Field(default_factory=list)


register({"sso.application": SsoApplication})
