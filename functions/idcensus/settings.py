"""The Lambda functions' configuration: one validated model over environment variables.

A leaf: it imports nothing from idcensus, so every layer may read its defaults.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field, model_validator

DEFAULT_PREFIX = "idcensus/v1/"  # where exports go under the bucket (store/export.py, the CLI, the template)
DEFAULT_REGIONS = ("us-east-1",)
# Quarantined raw input: outside the export prefix, so the vendor's role cannot read it (stream/quarantine.py).
QUARANTINE_PREFIX = "idcensus-quarantine/"


class Settings(BaseModel):
    table_name: str
    bucket_name: str
    export_prefix: str = DEFAULT_PREFIX
    role_name: str = "IdcensusReadOnly"
    external_id: str | None = None
    account_queue_url: str | None = None
    finish_queue_url: str | None = None
    vendor_queue_url: str | None = None
    # Each published run is also an event on this bus (the account's default bus, in the template).
    event_bus_name: str | None = None
    principal_workers: int = Field(8, ge=1, le=32)
    # A run not closed this long after it opened is swept: missing accounts recorded failed, the run closed.
    run_timeout_minutes: int = Field(360, ge=5, le=10080)
    resource_regions: str = Field("us-east-1", description="comma-separated regions for Tier 3 resources")
    # Tier 4 activity (stream/): refresh requests, dedupe marker lifetime, backfill source.
    refresh_queue_url: str | None = None
    refresh_debounce_seconds: int = Field(30, ge=0, le=900, description="SQS DelaySeconds of a refresh request")
    event_ttl_days: int = Field(30, ge=1, le=3650, description="days an EVENT#<id> dedupe marker lives")
    # 0: each batch writes its own export parts. Else whole minutes, at most 780 (window + 120 s grace
    # must fit one SQS delay): batches stage their records and each window is exported once, after it
    # closed, by the refresh function (stream/activity_export.py). Needs refresh_queue_url.
    activity_window_seconds: int = Field(0, ge=0, le=780, multiple_of=60)
    trail_bucket: str | None = None
    trail_prefix: str = "AWSLogs"
    quarantine_prefix: str = QUARANTINE_PREFIX

    @model_validator(mode="after")
    def _window_needs_the_refresh_queue(self) -> Settings:
        if self.activity_window_seconds and not self.refresh_queue_url:
            raise ValueError("activity_window_seconds needs refresh_queue_url (it carries the window's export)")
        return self

    @property
    def regions(self) -> tuple[str, ...]:
        """The Tier 3 regions (CollectOptions.regions, `idcensus check`'s probe region)."""
        return tuple(r.strip() for r in self.resource_regions.split(",") if r.strip()) or DEFAULT_REGIONS

    @classmethod
    def from_env(cls) -> Settings:
        return cls(**{name: os.environ[name.upper()] for name in cls.model_fields if name.upper() in os.environ})
