"""Times and time-ordered IDs, in one form everywhere. No heavy imports: the stream Lambdas use it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def now_iso(timespec: str = "seconds") -> str:
    """Now, RFC 3339 UTC with a Z."""
    return datetime.now(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def new_id(suffix_bytes: int = 3) -> str:
    """Sorts by time; the random suffix keeps two IDs of one second apart."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(suffix_bytes)
