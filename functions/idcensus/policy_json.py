"""The shape of IAM policy JSON, shared by the collectors (outside principals) and the findings
rules (what a principal may do). A leaf: pure, no imports from the package."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

ACCOUNT_ID = re.compile(r"^\d{12}$")


def as_list(value: Any) -> list:
    """A policy element that may be one value or a list of them (Action, Resource, Principal.AWS...)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A document's statements: `Statement` may be one object or a list."""
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def account_of(principal: str) -> str | None:
    """The 12-digit account of an account ID or an IAM/STS ARN; None for anything else."""
    if ACCOUNT_ID.match(principal):
        return principal
    parts = principal.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and ACCOUNT_ID.match(parts[4]):
        return parts[4]
    return None


@lru_cache(maxsize=8192)
def _pattern(glob: str) -> re.Pattern:
    return re.compile("^" + re.escape(glob.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$")


def matches(glob: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards (and nothing else, unlike fnmatch)."""
    return glob == "*" or bool(_pattern(glob).match(action.lower()))
