"""Policy documents and timestamps as AWS returns them, turned into plain values. Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

# Credential-report cells that mean "no value" (N/A, no_information, not_supported).
NO_VALUE = frozenset({"", "N/A", "no_information", "not_supported"})


def policy_document(value: Any) -> dict[str, Any]:
    """A policy document as a JSON object, whether botocore decoded it or not (URL-encoded)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ValueError(f"policy document of type {type(value).__name__}")
    text = value.strip()
    if not text.startswith("{"):
        text = unquote(text)
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise ValueError("policy document is not a JSON object")
    return doc


def timestamp(value: Any) -> datetime | None:
    """A UTC datetime from a botocore datetime or an ISO string; None for report sentinels."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        if text in NO_VALUE:
            return None
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def flag(value: str | None) -> bool | None:
    if value is None or value in NO_VALUE:
        return None
    return value.strip().lower() == "true"


def text(value: str | None) -> str | None:
    return None if value is None or value in NO_VALUE else value


def tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None
