"""CloudTrail event parsing and normalization into activity.event records. Pure, no boto3."""

from idcensus.stream.normalize import (
    MAX_EVENT_BYTES,
    Rejected,
    is_management_event,
    normalize,
    normalize_raw,
    parse,
)
from idcensus.stream.targets import IDENTITY_CHANGING, RefreshTarget, refresh_targets

__all__ = [
    "IDENTITY_CHANGING",
    "MAX_EVENT_BYTES",
    "RefreshTarget",
    "Rejected",
    "is_management_event",
    "normalize",
    "normalize_raw",
    "parse",
    "refresh_targets",
]
