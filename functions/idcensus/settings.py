"""The Lambda functions' configuration: one validated model over environment variables."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from idcensus.store.export import DEFAULT_PREFIX


class Settings(BaseModel):
    table_name: str
    bucket_name: str
    export_prefix: str = DEFAULT_PREFIX
    role_name: str = "IdcensusReadOnly"
    external_id: str | None = None
    account_queue_url: str | None = None
    finish_queue_url: str | None = None
    vendor_queue_url: str | None = None
    principal_workers: int = Field(8, ge=1, le=32)
    resource_regions: str = Field("us-east-1", description="comma-separated regions for Tier 3 resources")
    # Tier 4 activity (stream/): refresh requests, dedupe marker lifetime, backfill source.
    refresh_queue_url: str | None = None
    refresh_debounce_seconds: int = Field(30, ge=0, le=900, description="SQS DelaySeconds of a refresh request")
    event_ttl_days: int = Field(30, ge=1, le=3650, description="days an EVENT#<id> dedupe marker lives")
    trail_bucket: str | None = None
    trail_prefix: str = "AWSLogs"

    def collect_options(self):
        from idcensus.collect.account import CollectOptions

        regions = tuple(r.strip() for r in self.resource_regions.split(",") if r.strip())
        return CollectOptions(regions=regions or ("us-east-1",))

    @classmethod
    def from_env(cls) -> Settings:
        return cls(**{name: os.environ[name.upper()] for name in cls.model_fields if name.upper() in os.environ})
