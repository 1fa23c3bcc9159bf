"""THE one list of findings rules. Each rule is a function over an Inventory yielding Hits, declared
with @rule(...): its id, title, severity, the record types it reads, its CIS AWS Foundations
Benchmark 4.0/5.0 control ids and Prowler check id where one exists, the remediation, its scope.
The README table, the OCSF projection, the docs and the tests all read this registry.

CIS ids: 4.0 keeps 1.3 "security questions" (root access key is 1.4); 5.0 drops it, so every later
1.x control moves up by one (root access key is 1.3). Checked against Prowler's cis_4.0/cis_5.0 maps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

SEVERITIES = ("critical", "high", "medium", "low", "informational")


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: about `resource_arn` (a record of `resource_type`) in `account_id`.
    `key` tells apart several hits on one resource (an access key ID, a policy name)."""

    account_id: str
    resource_arn: str
    resource_type: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    key: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Literal["critical", "high", "medium", "low", "informational"]
    reads: tuple[str, ...]
    remediation: str
    scope: Literal["account", "organization"] = "account"
    cis_v4: tuple[str, ...] = ()
    cis_v5: tuple[str, ...] = ()
    prowler: tuple[str, ...] = ()
    check: Callable[[Any], Iterable[Hit]] | None = None

    @property
    def controls(self) -> list[str]:
        return ([f"CIS AWS 4.0 {c}" for c in self.cis_v4] + [f"CIS AWS 5.0 {c}" for c in self.cis_v5]
                + [f"prowler:{p}" for p in self.prowler])


RULES: list[Rule] = []


def rule(**declared) -> Callable:
    """Declare the decorated function a rule; the one place its metadata lives."""

    def register(check: Callable[[Any], Iterable[Hit]]) -> Callable:
        r = Rule(check=check, **declared)
        if r.severity not in SEVERITIES:
            raise ValueError(f"rule {r.id}: unknown severity {r.severity}")
        if any(x.id == r.id for x in RULES):
            raise ValueError(f"rule {r.id} declared twice")
        RULES.append(r)
        return check

    return register


def all_rules() -> list[Rule]:
    from idcensus.findings import rules  # noqa: F401 - importing the rule modules declares them

    return list(RULES)


def by_id() -> dict[str, Rule]:
    return {r.id: r for r in all_rules()}
