"""The handlers' inputs, parsed with Powertools' parser models: a malformed message fails with a
validation error naming the field, never a KeyError deep in the pipeline."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import BaseModel, Field, Json

from idcensus.collect.contract import AccountInfo


class AccountMessage(BaseModel):
    run_id: str = Field(min_length=1)
    account: AccountInfo  # the contract's dataclass, validated field by field


class AccountRecord(SqsRecordModel):
    body: Json[AccountMessage]  # type: ignore[assignment]


class FinishMessage(BaseModel):
    """A run to close (finish queue), or an account given up on: dead-lettered (account DLQ) or
    swept (finish queue, with the reason)."""

    run_id: str = Field(min_length=1)
    account: AccountInfo | None = None
    reason: str | None = None


class FinishRecord(SqsRecordModel):
    body: Json[FinishMessage]  # type: ignore[assignment]


class ScheduleTick(EventBridgeModel):
    """The schedule's event (EventBridge Scheduler or a rule); its id names the tick."""


class SweepRequest(BaseModel):
    """The sweep schedule's constant input."""

    sweep: bool


class BackfillRequest(BaseModel):
    trail_bucket: str | None = None
    prefix: str | None = None
    days: int = Field(90, ge=1, le=3650)
    accounts: list[str] | None = None
