"""Who outside the organization a resource or trust policy lets in. Pure.

A principal is external when its account is neither the policy's own account nor one of the
organization's accounts. Only Allow statements grant access, so Deny statements are ignored.
`*` (and Allow with NotPrincipal) is external unless a condition pins the caller to the
organization (aws:PrincipalOrgID / aws:SourceOrgID, or the org-path keys) or to accounts inside
it (aws:PrincipalAccount / aws:SourceAccount / aws:SourceOwner / aws:SourceArn); when such a
condition names something outside instead, that outside thing is listed rather than `*`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from idcensus.collect.contract import Org
from idcensus.policy_json import ACCOUNT_ID, account_of, statements  # noqa: F401 - re-exported to collectors

# Condition keys that pin who can use the grant, by what they name.
ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner"})
ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn"})
# Operators that restrict to the listed values (with ForAnyValue:/ForAllValues: prefixes);
# negated and ...IfExists operators do not pin anything down.
PINNING = frozenset({"stringequals", "stringlike", "arnequals", "arnlike", "stringequalsignorecase"})


def external_principals(policy: dict[str, Any] | None, org: Org) -> list[str]:
    """Sorted principals (account IDs, ARNs, `*`, org IDs, web identity providers) outside `org`."""
    found: set[str] = set()
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        pinned = _pinned(statement.get("Condition") or {}, org)
        if "NotPrincipal" in statement:
            found |= _wildcard(pinned)  # everyone except a few: as open as `*`
            continue
        for kind, value in _principals(statement.get("Principal")):
            found |= _external(kind, value, pinned, org)
    return sorted(found)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _principals(principal: Any) -> Iterable[tuple[str, str]]:
    if isinstance(principal, str):  # "*"; moto also writes a bare account ID here
        yield "AWS", principal
        return
    if not isinstance(principal, dict):
        return
    for kind, values in principal.items():
        for value in _as_list(values):
            yield kind, value


@dataclass
class _Pinned:
    """What the conditions restrict callers to: None when they do not restrict, else the outsiders."""

    outside: set[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        self.outside = (self.outside or set()) | set(values)


def _pinned(condition: dict[str, Any], org: Org) -> _Pinned:
    pinned = _Pinned()
    if not isinstance(condition, dict):
        return pinned
    for operator, pairs in condition.items():
        op = operator.lower().split(":")[-1]
        if op not in PINNING or not isinstance(pairs, dict):
            continue
        for key, values in pairs.items():
            key = key.lower()
            values = _as_list(values)
            if key in ORG_KEYS:
                pinned.add(v for v in values if v != org.organization_id)
            elif key in ORG_PATH_KEYS:
                pinned.add(v for v in values if not org.organization_id or not v.startswith(org.organization_id + "/"))
            elif key in ACCOUNT_KEYS:
                pinned.add(v for v in values if not org.internal_account(v))
            elif key in ARN_KEYS:
                pinned.add(v for v in values if not _internal_arn(v, org))
    return pinned


def _internal_arn(arn: str, org: Org) -> bool:
    parts = arn.split(":")
    # A source ARN without an account (an S3 bucket, say) pins nothing we can check: count it outside.
    return len(parts) >= 6 and org.internal_account(parts[4])


def _wildcard(pinned: _Pinned) -> set[str]:
    return {"*"} if pinned.outside is None else set(pinned.outside)


def _external(kind: str, value: str, pinned: _Pinned, org: Org) -> set[str]:
    if kind == "AWS":
        if value == "*":
            return _wildcard(pinned)
        account = account_of(value)
        # No account (a unique ID such as AROA... left behind by a deleted principal) grants nobody.
        if account is None or org.internal_account(account):
            return set()
        return {value}
    if kind == "Service":
        # A service acts for whoever the conditions name; without them, for its caller in this account.
        return set(pinned.outside or ())
    if kind == "Federated":
        account = account_of(value)
        if account is not None:
            return set() if org.internal_account(account) else {value}
        # Web identity providers (accounts.google.com, ...) are outsiders; Cognito is an AWS service.
        return set() if value.endswith(".amazonaws.com") else {value}
    return set()  # CanonicalUser: cannot be mapped to an account
