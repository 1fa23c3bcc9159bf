"""What an event acted on (target ARNs) and which inventory records it should re-collect. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idcensus.arns import partition

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"  # CloudTrail's redaction marker, never a real name
ROOT_USER_NAME = "AWS ROOT USER"  # requestParameters.userName of the root user's calls on itself


@dataclass(frozen=True)
class RefreshTarget:
    account_id: str
    kind: str  # iam.user, iam.group, iam.role, iam.policy, sso.permission_set, sso.account_assignment, sso.user, sso.group
    name: str  # user/group/role name; policy or set ARN; group id; "<store id>/<user id>"; "<set ARN>/<account>"


_IAM = "iam.amazonaws.com"
_SSO = "sso.amazonaws.com"
_IAM_WRITES = (
    "CreateUser", "DeleteUser", "UpdateUser", "TagUser", "UntagUser",
    "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
    "AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy",
    "AttachGroupPolicy", "DetachGroupPolicy", "PutGroupPolicy", "DeleteGroupPolicy",
    "AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy",
    "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
    "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
    "CreateRole", "DeleteRole", "UpdateRole", "UpdateRoleDescription", "UpdateAssumeRolePolicy",
    "TagRole", "UntagRole", "CreateServiceLinkedRole", "DeleteServiceLinkedRole",
    "CreateGroup", "DeleteGroup", "UpdateGroup", "AddUserToGroup", "RemoveUserFromGroup",
    "CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile", "ChangePassword",
    "EnableMFADevice", "DeactivateMFADevice", "ResyncMFADevice",
    "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion",
    "UploadSSHPublicKey", "UpdateSSHPublicKey", "DeleteSSHPublicKey",
    "UploadSigningCertificate", "UpdateSigningCertificate", "DeleteSigningCertificate",
    "CreateServiceSpecificCredential", "UpdateServiceSpecificCredential", "DeleteServiceSpecificCredential",
)
_SSO_WRITES = (
    "CreateAccountAssignment", "DeleteAccountAssignment", "CreatePermissionSet", "UpdatePermissionSet",
    "DeletePermissionSet", "ProvisionPermissionSet", "PutInlinePolicyToPermissionSet",
    "DeleteInlinePolicyFromPermissionSet", "AttachManagedPolicyToPermissionSet",
    "DetachManagedPolicyFromPermissionSet", "AttachCustomerManagedPolicyReferenceToPermissionSet",
    "DetachCustomerManagedPolicyReferenceFromPermissionSet", "PutPermissionsBoundaryToPermissionSet",
    "DeletePermissionsBoundaryFromPermissionSet",
)
_IDENTITY_STORE_WRITES = (
    "CreateUser", "UpdateUser", "DeleteUser", "CreateGroup", "UpdateGroup", "DeleteGroup",
    "CreateGroupMembership", "DeleteGroupMembership",
)
_SSO_DIRECTORY_WRITES = (
    "CreateUser", "UpdateUser", "DeleteUser", "EnableUser", "DisableUser", "CreateGroup", "UpdateGroup",
    "DeleteGroup", "AddMemberToGroup", "RemoveMemberFromGroup",
)
IDENTITY_CHANGING: frozenset[str] = frozenset(
    [f"{_IAM}:{n}" for n in _IAM_WRITES]
    + [f"{_SSO}:{n}" for n in _SSO_WRITES]
    + [f"identitystore.amazonaws.com:{n}" for n in _IDENTITY_STORE_WRITES]
    + [f"sso-directory.amazonaws.com:{n}" for n in _SSO_DIRECTORY_WRITES]
)
_MEMBERSHIP_EVENTS = frozenset({"CreateGroupMembership", "DeleteGroupMembership", "AddMemberToGroup",
                                "RemoveMemberFromGroup"})
_ASSIGNMENT_EVENTS = frozenset({"CreateAccountAssignment", "DeleteAccountAssignment", "ProvisionPermissionSet"})


def build_targets(
    source: str, name: str, account_id: str, region: str | None, params: object, response: object
) -> list[str]:
    """ARNs of the principals, groups, policies and permission sets a call acted on (ordered, unique)."""
    params = params if type(params) is dict else {}
    response = response if type(response) is dict else {}
    part = partition(region)
    found: list[str | None]
    if source == _IAM:
        found = [
            _arn(response, "user") or _user_arn(part, account_id, params.get("userName")
                                                or _sub(response, "accessKey").get("userName")),
            _iam_arn(part, account_id, "user", params.get("newUserName")),
            _arn(response, "role") or _iam_arn(part, account_id, "role", params.get("roleName")),
            _arn(response, "group") or _iam_arn(part, account_id, "group", params.get("groupName")),
            _is_arn(params.get("policyArn")) or _arn(response, "policy"),
        ]
    elif source == "sts.amazonaws.com":
        found = [_is_arn(params.get("roleArn"))]
    elif source == _SSO:
        found = [
            _is_arn(params.get("permissionSetArn")) or _is_arn(_sub(response, "permissionSet").get("permissionSetArn")),
            _store_arn(part, str(params.get("principalType", "")).lower(), params.get("principalId")),
        ]
    elif source in ("identitystore.amazonaws.com", "sso-directory.amazonaws.com"):
        member = params.get("memberId")
        found = [
            _store_arn(part, "user", params.get("userId") or response.get("userId")),
            _store_arn(part, "user", member.get("userId") if type(member) is dict else None),
            _store_arn(part, "group", params.get("groupId") or response.get("groupId")),
        ]
    else:
        return []
    unique: list[str] = []
    for arn in found:  # a plain loop: these lists hold 1-5 items, and this is the hot path
        if arn and arn not in unique:
            unique.append(arn)
    return unique


def refresh_targets(activity: dict[str, Any]) -> list[RefreshTarget]:
    """Records to re-collect after an identity-changing write; [] for reads, failures and other events."""
    data = activity.get("data", activity)
    if f"{data['event_source']}:{data['event_name']}" not in IDENTITY_CHANGING:
        return []
    if data.get("error_code") or data.get("ocsf", {}).get("status_id") == 2:
        return []
    account_id = data["account_id"]
    arns = list(data.get("targets") or ())
    actor = data.get("actor") or {}
    if not arns and data["event_source"] == _IAM and actor.get("type") == "IAMUser" and actor.get("arn"):
        arns.append(actor["arn"])  # ChangePassword, CreateAccessKey without UserName: the caller itself
    request = data.get("request") or {}
    assigned_account, permission_set = request.get("targetId"), request.get("permissionSetArn")
    if data["event_name"] in _ASSIGNMENT_EVENTS and isinstance(assigned_account, str) and permission_set:
        # The instance is read in the account the event came from (its owner or delegated admin);
        # the name carries the assigned account: "<set ARN>/<account>" (see stream/refresh_sso.py).
        # Assigning or provisioning changes neither the set's record nor the principal's.
        return [RefreshTarget(account_id, "sso.account_assignment", f"{permission_set}/{assigned_account}")]
    out = [t for t in (_refresh_target(arn, account_id) for arn in arns) if t is not None]
    if data["event_name"] in _MEMBERSHIP_EVENTS:
        # The group's refresh re-derives its members' `groups`: the user needs no refresh of its own.
        out = [t for t in out if t.kind != "sso.user"]
    store_id = _plain_name(request.get("identityStoreId"))
    if store_id:  # a user's refresh finds its instance by the store: "<store ID>/<user ID>" (refresh_sso.py)
        out = [RefreshTarget(t.account_id, t.kind, f"{store_id}/{t.name}") if t.kind == "sso.user" else t
               for t in out]
    return list(dict.fromkeys(out))


def _refresh_target(arn: str, account_id: str) -> RefreshTarget | None:
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    service, arn_account, resource = parts[2], parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    if service == "iam" and not (len(arn_account) == 12 and arn_account.isascii() and arn_account.isdigit()):
        return None  # "aws" (AWS managed policies never change by our hand) or junk
    if service == "iam" and kind in ("user", "role", "group") and rest.rsplit("/", 1)[-1]:
        return RefreshTarget(arn_account, f"iam.{kind}", rest.rsplit("/", 1)[-1])
    if service == "iam" and kind == "policy":
        return RefreshTarget(arn_account, "iam.policy", arn)
    if service == "sso" and (kind == "permissionSet" or (kind == "instance" and rest.count("/") == 1)):
        # arn:aws:sso:::permissionSet/ssoins-1/ps-2; moto 5.2 spells it arn:aws:sso:::instance/ssoins-1/ps-2
        return RefreshTarget(account_id, "sso.permission_set", arn)
    if service == "identitystore" and kind in ("user", "group") and rest:
        return RefreshTarget(account_id, f"sso.{kind}", rest)
    return None


def _sub(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if type(value) is dict else {}


def _is_arn(value: object) -> str | None:
    return value if type(value) is str and value.startswith("arn:") and value.count(":") >= 5 else None


def _arn(response: dict[str, Any], key: str) -> str | None:
    return _is_arn(_sub(response, key).get("arn"))


def _plain_name(value: object) -> str | None:
    if type(value) is not str or not value or value == HIDDEN or "/" in value or ":" in value or len(value) > 512:
        return None
    return value


def _user_arn(part: str, account_id: str, name: object) -> str | None:
    # The root user's own MFA calls (EnableMFADevice...) name it "AWS ROOT USER": the account's root, no IAM user.
    return f"arn:{part}:iam::{account_id}:root" if name == ROOT_USER_NAME else _iam_arn(part, account_id, "user", name)


def _iam_arn(part: str, account_id: str, kind: str, name: object) -> str | None:
    name = _plain_name(name)
    return f"arn:{part}:iam::{account_id}:{kind}/{name}" if name else None


def _store_arn(part: str, kind: str, ident: object) -> str | None:
    ident = _plain_name(ident)
    if not ident or kind not in ("user", "group"):
        return None
    return f"arn:{part}:identitystore:::{kind}/{ident}"
