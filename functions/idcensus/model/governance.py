"""Record types of the account-wide settings and guardrails: the password policy, identity
providers, the organization's OU tree and policies (SCPs, RCPs), IAM Access Analyzer. They join
RECORD_TYPES through register()."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from idcensus.model.records import Policy, _Data, register


class PasswordPolicy(_Data):
    """The account's IAM password policy; `exists` false is AWS's own answer (NoSuchEntity), not an error."""

    exists: bool = Field(description="false: the account has no password policy (AWS defaults apply)")
    minimum_length: int | None = None
    require_symbols: bool | None = None
    require_numbers: bool | None = None
    require_uppercase: bool | None = None
    require_lowercase: bool | None = None
    allow_users_to_change: bool | None = None
    expire_passwords: bool | None = None
    max_age_days: int | None = None
    reuse_prevention: int | None = Field(None, description="how many previous passwords cannot be reused")
    hard_expiry: bool | None = Field(None, description="expired passwords need an administrator to reset")


class SamlMetadata(_Data):
    """What the provider's SAML metadata document says (parsed without DTDs or entities)."""

    issuer: str | None = Field(None, description="the IdP's entityID")
    valid_until: datetime | None = Field(None, description="the metadata's validUntil attribute, when set")
    signing_certificates: int = Field(0, description="how many IdP signing certificates the metadata embeds")
    sso_urls: list[str] = Field(default_factory=list, description="SingleSignOnService locations")
    error: str | None = Field(None, description="why the document could not be read, when it could not")


class IdentityProvider(_Data):
    arn: str
    type: Literal["saml", "oidc"]
    name: str = Field(description="the SAML provider's name, or the OIDC provider's URL without https://")
    url: str | None = Field(None, description="OIDC: the issuer URL")
    client_ids: list[str] = Field(default_factory=list, description="OIDC: audiences (client IDs)")
    thumbprints: list[str] = Field(default_factory=list, description="OIDC: server certificate thumbprints")
    created_at: datetime | None = None
    valid_until: datetime | None = Field(None, description="SAML: when IAM stops trusting the provider")
    metadata: SamlMetadata | None = Field(None, description="SAML: from the metadata document")
    tags: dict[str, str] = Field(default_factory=dict)
    trusted_by_roles: list[str] | None = Field(
        None, description="ARNs of the account's roles whose trust policy names this provider; None when the "
        "roles could not be listed")


class OrgTarget(_Data):
    target_id: str = Field(description="r-..., ou-... or a 12-digit account ID")
    arn: str | None = None
    name: str | None = None
    type: Literal["ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"] | str


class OrganizationalUnit(_Data):
    """A node of the organization's tree: the root (type ROOT) or an OU."""

    id: str
    arn: str
    name: str
    type: Literal["ROOT", "ORGANIZATIONAL_UNIT"]
    parent_id: str | None = Field(None, description="None for the root")
    path: str = Field(description="names from the root, e.g. 'Root/Workloads/Prod'")
    accounts: list[str] = Field(default_factory=list, description="account IDs directly under this node")
    policy_types: list[str] = Field(default_factory=list, description="root only: the policy types enabled")


class OrganizationPolicy(_Data):
    id: str
    arn: str
    name: str
    type: Literal["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"] | str
    description: str | None = None
    aws_managed: bool
    document: Policy | None
    targets: list[OrgTarget] = Field(default_factory=list, description="roots, OUs and accounts it is attached to")


class AccessAnalyzerFinding(_Data):
    id: str
    type: str | None = Field(None, description="the finding type, e.g. ExternalAccess, UnusedIAMRole, UnusedPermission")
    resource: str | None = Field(None, description="the resource or principal ARN the finding is about")
    resource_type: str | None = None
    status: str
    principal: dict[str, str] = Field(default_factory=dict, description="external access: who outside can reach it")
    action: list[str] = Field(default_factory=list)
    is_public: bool | None = None
    condition: dict[str, str] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    resource_owner_account: str | None = None


class AccessAnalyzer(_Data):
    arn: str
    name: str
    region: str
    type: str = Field(description="ACCOUNT, ORGANIZATION, ACCOUNT_UNUSED_ACCESS, ORGANIZATION_UNUSED_ACCESS, ...")
    status: str | None = None
    created_at: datetime | None = None
    last_resource_analyzed_at: datetime | None = None
    active_findings: list[AccessAnalyzerFinding] | None = Field(
        None, description="ACTIVE findings as the analyzer reports them; None when they could not be read")


register(
    {
        "iam.password_policy": PasswordPolicy,
        "iam.identity_provider": IdentityProvider,
        "org.organizational_unit": OrganizationalUnit,
        "org.policy": OrganizationPolicy,
        "accessanalyzer.analyzer": AccessAnalyzer,
    }
)
