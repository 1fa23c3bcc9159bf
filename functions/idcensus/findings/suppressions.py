"""Suppressions: the customer's accepted findings, a JSON file they own (in the bucket beside the
exports, <prefix>suppressions.json, or a local file for the CLI):

    {"suppressions": [{"rule": "user.two_active_keys", "principal": "arn:aws:iam::*:user/ci-*",
                       "reason": "CI rotates keys itself", "expires": "2027-06-30"}]}

`rule` and `principal` are shell-style patterns (`*` any text); `account` (optional) narrows to one
account; `expires` (a date or time, optional) ends the suppression. Suppressed findings stay in the
export, marked suppressed, with the reason. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from idcensus.errors import IdcensusError


class BadSuppressions(IdcensusError):
    """The suppressions file cannot be read as the documented JSON."""


@dataclass(frozen=True)
class Suppression:
    rule: str
    principal: str
    reason: str
    account: str | None = None
    expires: datetime | None = None

    def applies(self, rule_id: str, resource_arn: str, account_id: str, now: datetime) -> bool:
        return (fnmatchcase(rule_id, self.rule) and fnmatchcase(resource_arn, self.principal)
                and self.account in (None, account_id) and (self.expires is None or now < self.expires))


def parse(document: dict[str, Any] | None) -> list[Suppression]:
    if not document:
        return []
    out = []
    for n, item in enumerate(document.get("suppressions") or []):
        try:
            expires = item.get("expires")
            when = datetime.fromisoformat(str(expires).replace("Z", "+00:00")) if expires else None
            if when and when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            out.append(Suppression(rule=item["rule"], principal=item.get("principal", "*"), reason=item["reason"],
                                   account=item.get("account"), expires=when))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadSuppressions(f"suppression #{n + 1} is invalid ({exc!r}): each needs rule, reason and "
                                  "optionally principal, account, expires (YYYY-MM-DD)") from exc
    return out


def first_match(suppressions: list[Suppression], rule_id: str, resource_arn: str, account_id: str,
                now: datetime) -> Suppression | None:
    return next((s for s in suppressions if s.applies(rule_id, resource_arn, account_id, now)), None)
