"""IAM principals and policies from GetAccountAuthorizationDetails, the bulk backbone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from idcensus.collect.contract import Org
from idcensus.collect.documents import policy_document, tags, timestamp
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Group, InlinePolicy, InstanceProfile, ManagedPolicy, Role
from idcensus.policy_json import as_list, matches, statements

GAAD_FILTERS = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]


@dataclass
class AuthorizationDetails:
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)


def get_authorization_details(iam) -> AuthorizationDetails:
    details = AuthorizationDetails()
    for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=GAAD_FILTERS):
        details.users += page.get("UserDetailList", [])
        details.groups += page.get("GroupDetailList", [])
        details.roles += page.get("RoleDetailList", [])
        details.policies += page.get("Policies", [])
    return details


def get_listed_roles(iam) -> dict[str, dict[str, Any]]:
    """ListRoles' entries by role ARN, for what GAAD leaves out: MaxSessionDuration and Description
    (1,000 roles a call)."""
    return {
        role["Arn"]: role
        for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1000})
        for role in page["Roles"]
    }


def get_policy_extras(iam, arn: str) -> dict[str, Any]:
    """GAAD and ListPolicies leave a managed policy's description out; only GetPolicy has it
    (and the PolicyId, which GAAD may omit)."""
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    return {"Description": policy.get("Description"), "PolicyId": policy.get("PolicyId")}


GIT_ACTIONS = ("codecommit:gitpull", "codecommit:gitpush")


def may_use_codecommit(user: dict[str, Any], details: AuthorizationDetails) -> bool:
    """Whether any Allow statement the user holds (inline, attached, through groups) may grant
    codecommit:GitPull or GitPush: the only use of an SSH public key. Deny, conditions and
    boundaries are not weighed, so this errs towards asking; a document it cannot see counts as yes."""
    groups = {g["GroupName"]: g for g in details.groups}
    documents = {p["Arn"]: p for p in details.policies}
    holders = [user, *(groups[g] for g in user.get("GroupList", []) if g in groups)]
    docs = [i["PolicyDocument"] for h in holders
            for i in h.get("UserPolicyList", []) + h.get("GroupPolicyList", [])]
    for h in holders:
        for arn in attached(h.get("AttachedManagedPolicies")):
            chosen = next((v for v in documents.get(arn, {}).get("PolicyVersionList", [])
                           if v.get("IsDefaultVersion")), None)
            if chosen is None:
                return True
            docs.append(chosen["Document"])
    return any(_allows_git(policy_document(d)) for d in docs)


def _allows_git(doc: dict[str, Any]) -> bool:
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        if "NotAction" in st:
            return True
        if any(matches(str(action), git) for action in as_list(st.get("Action")) for git in GIT_ACTIONS):
            return True
    return False


def inline_policies(items: list[dict[str, Any]] | None) -> list[InlinePolicy]:
    return [InlinePolicy(name=p["PolicyName"], document=policy_document(p["PolicyDocument"])) for p in items or []]


def attached(items: list[dict[str, Any]] | None) -> list[str]:
    return sorted(p["PolicyArn"] for p in items or [])


def boundary(item: dict[str, Any]) -> str | None:
    return (item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def group_arns(details: AuthorizationDetails) -> dict[str, str]:
    return {g["GroupName"]: g["Arn"] for g in details.groups}


def transform_groups(details: AuthorizationDetails) -> list[Group]:
    members: dict[str, list[str]] = {g["GroupName"]: [] for g in details.groups}
    for user in details.users:
        for name in user.get("GroupList", []):
            members.setdefault(name, []).append(user["Arn"])
    return [
        Group(
            name=g["GroupName"],
            arn=g["Arn"],
            group_id=g["GroupId"],
            path=g.get("Path", "/"),
            created_at=timestamp(g.get("CreateDate")),
            attached_policies=attached(g.get("AttachedManagedPolicies")),
            inline_policies=inline_policies(g.get("GroupPolicyList")),
            members=sorted(members[g["GroupName"]]),
        )
        for g in details.groups
    ]


def transform_roles(details: AuthorizationDetails, listed: dict[str, dict[str, Any]] | None = None,
                    org: Org | None = None) -> list[Role]:
    """`listed`: ListRoles' (or GetRole's) entries by ARN, for the session limit and description.
    `org` says which accounts are inside; without it, every account but the role's own is outside."""
    roles = []
    for r in details.roles:
        extra = (listed or {}).get(r["Arn"], {})
        last_used = r.get("RoleLastUsed") or {}
        trust = policy_document(r["AssumeRolePolicyDocument"])
        roles.append(
            Role(
                name=r["RoleName"],
                arn=r["Arn"],
                role_id=r["RoleId"],
                path=r.get("Path", "/"),
                created_at=timestamp(r.get("CreateDate")),
                tags=tags(r.get("Tags")),
                trust_policy=trust,
                attached_policies=attached(r.get("AttachedManagedPolicies")),
                inline_policies=inline_policies(r.get("RolePolicyList")),
                permissions_boundary=boundary(r),
                instance_profiles=sorted(p["Arn"] for p in r.get("InstanceProfileList", [])),
                max_session_duration=extra.get("MaxSessionDuration"),
                last_used_at=timestamp(last_used.get("LastUsedDate")),
                last_used_region=last_used.get("Region"),
                service_linked=r.get("Path", "").startswith("/aws-service-role/"),
                external_principals=external_principals(trust, org or Org(account_id=r["Arn"].split(":")[4])),
                description=extra.get("Description") or r.get("Description") or None,
                instance_profile_details=[
                    InstanceProfile(name=p["InstanceProfileName"], id=p["InstanceProfileId"], arn=p["Arn"],
                                    path=p.get("Path", "/"), created_at=timestamp(p.get("CreateDate")))
                    for p in sorted(r.get("InstanceProfileList", []), key=lambda p: p["Arn"])
                ],
            )
        )
    return roles


def is_aws_managed(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


def transform_policies(details: AuthorizationDetails, extras: dict[str, dict[str, Any]] | None = None
                       ) -> list[ManagedPolicy]:
    """Every customer-managed policy, and the AWS-managed ones something is attached to.
    `extras` by ARN: GetPolicy's Description and PolicyId, for what the entry itself lacks."""
    referenced = {
        arn
        for principal in details.users + details.groups + details.roles
        for arn in attached(principal.get("AttachedManagedPolicies"))
    }
    policies = []
    for p in details.policies:
        arn = p["Arn"]
        aws_managed = is_aws_managed(arn)
        if aws_managed and not (p.get("AttachmentCount") or arn in referenced):
            continue
        default = p.get("DefaultVersionId")
        versions = p.get("PolicyVersionList", [])
        chosen = next((v for v in versions if v.get("IsDefaultVersion") or v.get("VersionId") == default), None)
        policies.append(
            ManagedPolicy(
                arn=arn,
                # GAAD may omit PolicyName; the ARN always ends with it.
                name=p.get("PolicyName") or arn.rsplit("/", 1)[-1],
                aws_managed=aws_managed,
                default_version_id=default,
                document=policy_document(chosen["Document"]) if chosen else None,
                attachment_count=p.get("AttachmentCount"),
                created_at=timestamp(p.get("CreateDate")),
                updated_at=timestamp(p.get("UpdateDate")),
                policy_id=p.get("PolicyId") or (extras or {}).get(arn, {}).get("PolicyId"),
                description=(extras or {}).get(arn, p).get("Description") or None,
            )
        )
    return policies
