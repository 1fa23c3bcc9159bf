"""What idcensus can collect, the permission tier each capability belongs to, and the IAM
actions it needs. This one list drives collection, `idcensus check` and the least-privilege tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capability:
    name: str
    tier: str
    actions: tuple[str, ...]
    covers: tuple[str, ...]  # record types this capability is authoritative for (deletion)
    description: str
    # One cheap read that proves the capability works: (service, operation, params), for `idcensus check`.
    probe: tuple[str, str, dict] | None = None
    regional: bool = False  # collected in every enabled region, not once per account


TIERS = {
    "identity": "Tier 1 - IAM identities and credentials (required)",
    "identity_center": "Tier 2 - IAM Identity Center",
    "resources": "Tier 3 - resources with resource policies",
    "activity": "Tier 4 - activity",
}

CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "iam.authorization_details",
        "identity",
        ("iam:GetAccountAuthorizationDetails",),
        ("iam.user", "iam.group", "iam.role", "iam.policy"),
        "users, groups, roles, managed and inline policies in one paginated call",
    ),
    Capability(
        "iam.credential_report",
        "identity",
        ("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
        ("iam.root_user",),
        "passwords, MFA flags, access-key use and the root user",
    ),
    Capability(
        "iam.mfa_devices",
        "identity",
        ("iam:ListVirtualMFADevices", "iam:ListMFADevices"),
        (),
        "MFA device serials and types",
    ),
    Capability(
        "iam.access_keys",
        "identity",
        ("iam:ListAccessKeys",),
        (),
        "access key IDs of the users that hold keys",
    ),
    Capability(
        "iam.service_credentials",
        "identity",
        ("iam:ListServiceSpecificCredentials",),
        (),
        "service-specific credentials (CodeCommit, Keyspaces, Bedrock) of all users",
    ),
    Capability(
        "iam.role_sessions",
        "identity",
        ("iam:ListRoles",),
        (),
        "roles' maximum session duration, which GetAccountAuthorizationDetails leaves out",
    ),
    Capability(
        "iam.account_summary",
        "identity",
        ("iam:ListAccountAliases", "iam:GetAccountSummary"),
        (),
        "account alias and IAM entity counters",
    ),
)

BY_NAME = {c.name: c for c in CAPABILITIES}

def actions_for_tier(tier: str) -> list[str]:
    return sorted({a for c in CAPABILITIES if c.tier == tier for a in c.actions})


def tier_policy(tier: str) -> dict:
    """The IAM policy document a member role needs for one tier."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": f"Idcensus{tier.title().replace('_', '')}", "Effect": "Allow",
             "Action": actions_for_tier(tier), "Resource": "*"}
        ],
    }
