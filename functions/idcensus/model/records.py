"""Record types, declared once. The JSON Schema in docs/schema/ is generated from these."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# 1.1.0: stale, stale_reason on carried-forward records. 1.2.0 (additive): findings, people, governance and
# new resource types, credential fields, refresh runs in the manifest.
SCHEMA_VERSION = "1.2.0"

# not_enabled: the service answers only once the customer switches it on (Cost Explorer).
Outcome = Literal["ok", "denied", "failed", "skipped", "not_enabled"]
Policy = dict[str, Any]  # a policy document, always a decoded JSON object


class _Data(BaseModel):
    # defer_build: a model's validator is built when it first validates, not at import. Of ~70 record
    # models a run meets a few (no Bedrock, no EKS in most accounts), and every Lambda cold start and
    # CLI start imports them all.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class InlinePolicy(_Data):
    name: str
    document: Policy


class Collection(_Data):
    status: Literal["ok", "partial", "denied", "failed"]
    capabilities: dict[str, Outcome]
    error: str | None = None
    errors: dict[str, str] = Field(default_factory=dict, description="capability -> what went wrong")
    skipped_principals: list[str] = Field(
        default_factory=list, description="ARNs deleted while the run read them"
    )


class AccountCheck(_Data):
    """The post-deployment connection test: one cheap read per capability through the read role."""

    checked_at: datetime
    reachable: bool = Field(description="false when the read role could not be assumed")
    capabilities: dict[str, Outcome] = Field(default_factory=dict)
    problems: dict[str, str] = Field(default_factory=dict, description="capability (or 'assume_role') -> the fix")


class Account(_Data):
    account_id: str
    name: str | None = None
    email: str | None = None
    status: str | None = None
    organization_id: str | None = None
    ou_path: str | None = Field(None, description="OU names from the root, e.g. 'Root/Workloads/Prod'")
    joined_at: datetime | None = None
    alias: str | None = None
    summary: dict[str, int] = Field(default_factory=dict, description="iam:GetAccountSummary counters")
    credential_report_generated_at: datetime | None = Field(
        None, description="when AWS generated the credential report the run read (AWS serves one up to 4 hours "
        "old): password, MFA-flag and key-use facts are as of then; users created later were asked directly")
    collection: Collection
    check: AccountCheck | None = Field(None, description="the latest `idcensus check` of this account")


class Password(_Data):
    enabled: bool
    last_used_at: datetime | None = None
    last_changed_at: datetime | None = None
    next_rotation_at: datetime | None = None


class MfaDevice(_Data):
    serial: str
    type: Literal["virtual", "hardware", "u2f", "unknown"]
    enabled_at: datetime | None = None


class Mfa(_Data):
    enabled: bool
    devices: list[MfaDevice] = Field(default_factory=list)


class AccessKey(_Data):
    id: str | None = Field(description="None only when the key listing was denied")
    status: Literal["Active", "Inactive"]
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


class ServiceCredential(_Data):
    id: str
    service_name: str
    service_user_name: str | None = None
    status: str
    created_at: datetime | None = None


class SigningCertificate(_Data):
    id: str
    status: Literal["Active", "Inactive"]
    uploaded_at: datetime | None = None


class SshPublicKey(_Data):
    id: str
    status: Literal["Active", "Inactive"]
    uploaded_at: datetime | None = None


class User(_Data):
    name: str
    arn: str
    user_id: str
    path: str
    created_at: datetime | None
    tags: dict[str, str]
    groups: list[str]
    attached_policies: list[str]
    inline_policies: list[InlinePolicy]
    permissions_boundary: str | None
    password: Password | None = Field(description="None when the credential report was not readable")
    mfa: Mfa | None
    access_keys: list[AccessKey] | None
    service_credentials: list[ServiceCredential] | None = None
    last_activity_at: datetime | None
    signing_certificates: list[SigningCertificate] | None = Field(
        None, description="X.509 signing certificates; None when unknown (denied, or no credential report)")
    ssh_public_keys: list[SshPublicKey] | None = Field(
        None, description="SSH public keys (they open CodeCommit only): asked only of users whose policies may "
        "allow codecommit:GitPull or GitPush; None for the others (not asked) and when denied")


class RootKey(_Data):
    active: bool
    last_rotated_at: datetime | None = None
    last_used_at: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


class RootUser(_Data):
    arn: str
    mfa_enabled: bool
    password_enabled: bool | None = None
    password_last_used_at: datetime | None = None
    access_keys: list[RootKey]


class Group(_Data):
    name: str
    arn: str
    group_id: str
    path: str
    created_at: datetime | None
    attached_policies: list[str]
    inline_policies: list[InlinePolicy]
    members: list[str]


class InstanceProfile(_Data):
    name: str
    id: str
    arn: str
    path: str
    created_at: datetime | None = None


class Role(_Data):
    name: str
    arn: str
    role_id: str
    path: str
    created_at: datetime | None
    tags: dict[str, str]
    trust_policy: Policy
    attached_policies: list[str]
    inline_policies: list[InlinePolicy]
    permissions_boundary: str | None
    instance_profiles: list[str]
    max_session_duration: int | None
    last_used_at: datetime | None
    last_used_region: str | None
    service_linked: bool
    external_principals: list[str] = Field(
        default_factory=list,
        description="principals outside the organization the trust policy lets in: account IDs, ARNs, '*', "
        "org IDs, web identity providers",
    )
    description: str | None = None
    instance_profile_details: list[InstanceProfile] = Field(
        default_factory=list, description="the instance profiles holding the role (their ARNs: instance_profiles)")


class ManagedPolicy(_Data):
    arn: str
    name: str
    aws_managed: bool
    default_version_id: str | None
    document: Policy | None
    attachment_count: int | None
    created_at: datetime | None
    updated_at: datetime | None
    policy_id: str | None = None
    description: str | None = Field(None, description="customer-managed policies only (set once, at creation)")


RECORD_TYPES: dict[str, type[_Data]] = {
    "aws.account": Account,
    "iam.user": User,
    "iam.root_user": RootUser,
    "iam.group": Group,
    "iam.role": Role,
    "iam.policy": ManagedPolicy,
}


# Data fields that change every run without the record saying anything new (a finding's last_seen):
# content_hash leaves them out, so they never make a change.
VOLATILE_DATA: dict[str, tuple[str, ...]] = {}

Item = tuple[str, str, _Data]  # (record type, id, data): what a collector hands to the envelope


def register(types: dict[str, type[_Data]]) -> None:
    """Record types declared in other model modules (sso, resources, billing, activity) join here."""
    clash = set(types) & set(RECORD_TYPES)
    if clash:
        raise ValueError(f"record types declared twice: {sorted(clash)}")
    RECORD_TYPES.update(types)


def make_record(
    type_: str, id_: str, account_id: str, data: _Data, *, run_id: str, collected_at: str
) -> dict[str, Any]:
    """The export envelope around validated data; JSON-ready (datetimes as RFC 3339 UTC)."""
    if not isinstance(data, RECORD_TYPES[type_]):
        raise TypeError(f"{type_} needs {RECORD_TYPES[type_].__name__}, got {type(data).__name__}")
    return {
        "schema_version": SCHEMA_VERSION,
        "type": type_,
        "id": id_,
        "account_id": account_id,
        "collected_at": collected_at,
        "run_id": run_id,
        "deleted": False,
        "data": data.model_dump(mode="json"),
    }


def content_hash(record: dict[str, Any]) -> str:
    """Hash of what a record says, not when it was said: run_id and collected_at are left out."""
    body = {k: record[k] for k in ("type", "id", "account_id", "deleted", "data")}
    volatile = VOLATILE_DATA.get(record["type"])
    if volatile and isinstance(body["data"], dict):
        body["data"] = {k: v for k, v in body["data"].items() if k not in volatile}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
