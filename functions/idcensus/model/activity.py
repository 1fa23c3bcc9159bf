"""The activity.event record: one normalized CloudTrail management event.

Built as plain dicts by idcensus.stream.normalize (the hot path); this model declares the shape once,
generates docs/schema/activity.event.schema.json and validates the normalizer's output in tests.
Its envelope differs from inventory records: no run_id / collected_at / deleted, but event_time and
received_at; `id` is the CloudTrail eventID, the dedupe key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from idcensus.model.records import SCHEMA_VERSION

ACTIVITY_TYPE = "activity.event"
Category = Literal["read", "write", "authentication", "console_sign_in", "assume_role"]
AccountId = Field(pattern=r"^[0-9]{12}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Actor(_Strict):
    type: str | None = Field(None, description="userIdentity.type: IAMUser, AssumedRole, Root, SAMLUser, ...")
    arn: str | None = None
    principal_id: str | None = None
    account_id: str | None = Field(None, pattern=r"^[0-9]{12}$")
    access_key_id: str | None = None
    user_name: str | None = None
    identity_center_user_id: str | None = Field(None, description="IdentityCenterUser: userIdentity.onBehalfOf.userId")
    identity_store_arn: str | None = Field(None, description="IdentityCenterUser: onBehalfOf.identityStoreArn")
    identity_provider: str | None = Field(None, description="SAMLUser / WebIdentityUser issuer")
    session_issuer_arn: str | None = Field(None, description="the role (or user) a session was issued by")
    invoked_by: str | None = Field(None, description="the AWS service that made the call on the actor's behalf")
    user_agent: str | None = None
    source_ip: str | None = Field(None, description="sourceIPAddress: an IP or a service name")
    mfa_authenticated: bool | None = Field(
        None, description="ConsoleLogin: additionalEventData.MFAUsed; else the session's mfaAuthenticated"
    )


class Ocsf(_Strict):
    class_uid: Literal[6003, 3002, 3001]
    class_name: Literal["API Activity", "Authentication", "Account Change"]
    category_uid: Literal[6, 3]
    activity_id: int
    activity_name: str
    type_uid: int = Field(description="class_uid * 100 + activity_id")
    severity_id: int
    status_id: Literal[0, 1, 2, 99]

    @model_validator(mode="after")
    def _type_uid(self) -> Ocsf:
        if self.type_uid != self.class_uid * 100 + self.activity_id:
            raise ValueError("type_uid must be class_uid * 100 + activity_id")
        if self.category_uid != self.class_uid // 1000:
            raise ValueError("category_uid must match class_uid")
        return self


class Activity(_Strict):
    event_id: str = Field(min_length=1, max_length=256)
    event_time: datetime
    event_source: str = Field(min_length=1)
    event_name: str = Field(min_length=1)
    category: Category
    actor: Actor
    targets: list[str] = Field(description="ARNs of the principals, policies, groups, permission sets acted on")
    account_id: str = AccountId
    region: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    request: dict[str, str | int | bool] = Field(description="allow-listed request parameters, never secrets")
    read_only: bool | None = None
    management_event: bool
    ocsf: Ocsf


class ActivityRecord(_Strict):
    schema_version: Literal[SCHEMA_VERSION] = SCHEMA_VERSION  # type: ignore[valid-type]
    type: Literal["activity.event"] = ACTIVITY_TYPE
    id: str = Field(min_length=1, description="the CloudTrail eventID (dedupe key)")
    account_id: str = AccountId
    event_time: datetime
    received_at: datetime | None = None
    data: Activity

    @model_validator(mode="after")
    def _consistent(self) -> ActivityRecord:
        if self.id != self.data.event_id or self.account_id != self.data.account_id:
            raise ValueError("envelope id/account_id must repeat data.event_id/account_id")
        return self


def activity_schema() -> dict[str, Any]:
    schema = ActivityRecord.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://idcensus.dev/schema/v1/{ACTIVITY_TYPE}.json",
        **schema,
        "title": ACTIVITY_TYPE,
    }
