"""Record types of the findings layer (idcensus.findings): judgments over a run's records and the
people matched across accounts. They join RECORD_TYPES through register()."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from idcensus.model.records import VOLATILE_DATA, _Data, register

Severity = Literal["critical", "high", "medium", "low", "informational"]
FINDING_TYPE = "finding"
PERSON_TYPE = "identity.person"
DERIVED_TYPES = (FINDING_TYPE, PERSON_TYPE)  # made by the findings layer from a run's records, not collected


class Suppression(_Data):
    reason: str
    expires: datetime | None = None
    principal: str = Field(description="the pattern of the suppression that matched")


class Finding(_Data):
    rule_id: str
    title: str
    severity: Severity
    scope: Literal["account", "organization"]
    resource_arn: str = Field(description="the principal or resource the finding is about")
    resource_type: str = Field(description="the record type of that principal or resource")
    message: str = Field(description="one line naming the principal and the path")
    evidence: dict[str, Any] = Field(default_factory=dict, description="what the rule saw: statements, paths, dates")
    controls: list[str] = Field(default_factory=list, description="e.g. 'CIS AWS 4.0 1.10', 'prowler:iam_...'")
    status: Literal["open", "resolved"]
    first_seen: datetime
    last_seen: datetime = Field(description="the last run that found it open; left out of change detection")
    resolved_at: datetime | None = None
    suppressed: bool = False
    suppression: Suppression | None = None


class PersonIdentity(_Data):
    arn: str
    type: Literal["iam.user", "sso.user"]
    account_id: str
    name: str


class PersonMatch(_Data):
    on: Literal["email", "user_name", "owner_tag"]
    value: str
    confidence: Literal["high", "medium", "low"]


class PersonAccess(_Data):
    account_id: str
    via: Literal["iam_user", "permission_set"]
    name: str = Field(description="the IAM user, or the permission set")
    policies: list[str] = Field(default_factory=list, description="policy ARNs or inline names, groups included")


class Person(_Data):
    person_id: str
    display_name: str
    emails: list[str] = Field(default_factory=list)
    identities: list[PersonIdentity]
    matched_on: list[PersonMatch] = Field(default_factory=list, description="empty: an unmatched identity")
    confidence: Literal["high", "medium", "low", "single"] = Field(
        description="the weakest link that joined the identities; single when there is one")
    groups: list[str] = Field(default_factory=list, description="IAM group ARNs and Identity Center group IDs")
    access: list[PersonAccess] = Field(default_factory=list)


register({FINDING_TYPE: Finding, PERSON_TYPE: Person})
VOLATILE_DATA[FINDING_TYPE] = ("last_seen",)
