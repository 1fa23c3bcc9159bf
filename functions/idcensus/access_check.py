"""The access check behind `idcensus check` and the check function: assume the read role in each
account and prove every capability with one cheap read.

Driven by the registry: each Capability's `probe` is called once per account (regional ones in the
first region only: IAM permissions are global, so one region proves them), management-only ones only
in the payer account. Outcomes: ok / denied (with the missing action) / not_enabled / failed /
skipped (not applicable to this account), each with the fix an admin can apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from idcensus.collect import costs
from idcensus.collect.contract import AccountInfo
from idcensus.collect.registry import CAPABILITIES, TIERS, Capability
from idcensus.errors import DENIED_CODES, GONE_CODES, error_code, translate
from idcensus.model.records import AccountCheck

REQUIRED_TIER = "identity"
MEMBER_TEMPLATE = "stacksets/member.yaml"
# Member template parameter that switches each optional tier on.
TIER_PARAMETER = {"identity_center": "EnableIdentityCenterTier", "resources": "EnableResourcesTier",
                  "activity": "EnableActivityTier", "billing": "EnableBillingTier"}
# With the permission, a probe aimed at a placeholder (user, store, instance) gets "not found" or a
# validation error: AWS authorizes before it looks, so these answers prove the permission.
AUTHORIZED_CODES = GONE_CODES | {"ValidationException", "ValidationError", "InvalidParameterException"}
_MISSING_ACTION = re.compile(r"perform: ([a-z0-9-]+:[A-Za-z0-9]+)")
@dataclass
class ProbeResult:
    capability: str
    tier: str
    outcome: str  # ok | denied | not_enabled | failed | skipped
    action: str | None = None  # the missing action, when denied
    detail: str | None = None
    fix: str | None = None
    remedy: str | None = None  # the fix without the action, shared by a tier's denials (for grouping)


@dataclass
class AccountCheckResult:
    account_id: str
    name: str | None = None
    management: bool = False
    reachable: bool = True
    error: str | None = None  # why the role could not be assumed, in plain words
    results: list[ProbeResult] = field(default_factory=list)

    @property
    def tier1_ok(self) -> bool:
        # skipped: a management-only capability (the organization's policies) in a member account
        return self.reachable and all(r.outcome in ("ok", "skipped") for r in self.results if r.tier == REQUIRED_TIER)

    def outcomes(self) -> dict[str, str]:
        return {r.capability: r.outcome for r in self.results}


@dataclass
class CheckReport:
    checked_at: str
    role_name: str
    accounts: list[AccountCheckResult]

    @property
    def ok(self) -> bool:
        """Tier 1 works everywhere; other tiers denied are warnings only."""
        return all(a.tier1_ok for a in self.accounts)

    def problems(self) -> dict[str, list[str]]:
        """fix -> what it repairs ('account capability (missing action)'), so one fix is printed once."""
        out: dict[str, list[str]] = {}
        for a in self.accounts:
            if not a.reachable:
                out.setdefault(a.error or "cannot assume the role", []).append(f"{a.account_id} assume_role")
            for r in a.results:
                if r.fix:
                    what = f"{a.account_id} {r.capability}" + (f" ({r.action})" if r.action else "")
                    out.setdefault(r.remedy or r.fix, []).append(what)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at, "role_name": self.role_name, "ok": self.ok,
            "accounts": [
                {"account_id": a.account_id, "name": a.name, "management": a.management, "reachable": a.reachable,
                 "error": a.error, "tier1_ok": a.tier1_ok,
                 "capabilities": {r.capability: {"tier": r.tier, "outcome": r.outcome, "missing_action": r.action,
                                                 "detail": r.detail, "fix": r.fix} for r in a.results}}
                for a in self.accounts
            ],
        }


def run_check(factory, accounts: list[AccountInfo], *, role_name: str, external_id: str | None,
              regions: tuple[str, ...] = ("us-east-1",), workers: int = 4,
              capabilities: tuple[Capability, ...] | None = None,
              on_account: Callable[[AccountCheckResult], None] | None = None) -> CheckReport:
    """Every account checked, `workers` at once; `on_account` is called as each one is done."""
    caps = tuple(c for c in (capabilities or CAPABILITIES) if c.probe)

    def one(info: AccountInfo) -> AccountCheckResult:
        result = check_account(factory, info, role_name=role_name, external_id=external_id, regions=regions,
                               capabilities=caps)
        if on_account:
            on_account(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, accounts))
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return CheckReport(checked_at=now, role_name=role_name, accounts=sorted(results, key=lambda a: a.account_id))


def check_account(factory, info: AccountInfo, *, role_name: str, external_id: str | None,
                  regions: tuple[str, ...], capabilities: tuple[Capability, ...]) -> AccountCheckResult:
    result = AccountCheckResult(account_id=info.account_id, name=info.name, management=info.management)
    role_arn = factory.role_arn(info.account_id, role_name)
    try:
        member = factory.assume(role_arn, external_id, "idcensus-check")
    except Exception as exc:  # noqa: BLE001 - AccountUnreachable, explained below
        result.reachable = False
        result.error = explain_assume(role_arn, exc, external_id)
        return result
    for cap in capabilities:
        if cap.management_only and not info.management:
            result.results.append(ProbeResult(cap.name, cap.tier, "skipped", detail="management account only"))
            continue
        result.results.append(probe(member, cap, regions))
    return result


def probe(member, cap: Capability, regions: tuple[str, ...]) -> ProbeResult:
    """One call; the answer (or the error) says whether the capability works."""
    service, operation, params = cap.probe
    region = regions[0] if cap.regional and regions else None  # Cost Explorer: botocore finds its one endpoint
    try:
        getattr(member.client(service, region=region), operation)(**(params(member.partition) if callable(params)
                                                                      else params))
    except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
        return classify(cap, exc)
    return ProbeResult(cap.name, cap.tier, "ok")


def classify(cap: Capability, exc: Exception) -> ProbeResult:
    code = error_code(exc)
    message = str(translate(exc, cap.name))
    if isinstance(exc, ClientError) and costs.not_enabled(exc):
        return ProbeResult(cap.name, cap.tier, "not_enabled", detail=message, fix=costs.ENABLE_HINT)
    if code in DENIED_CODES:
        action = missing_action(cap, message)
        return ProbeResult(cap.name, cap.tier, "denied", action=action, detail=message, fix=fix_for(cap, action),
                           remedy=remedy_for(cap))
    if code in AUTHORIZED_CODES:
        return ProbeResult(cap.name, cap.tier, "ok", detail=f"authorized ({code} for the probe's placeholder)")
    return ProbeResult(cap.name, cap.tier, "failed", detail=message,
                       fix=f"{cap.name} failed ({code or type(exc).__name__}); rerun the check, and if it "
                           "persists see README 'Troubleshooting'")


def missing_action(cap: Capability, message: str) -> str:
    """The action AWS names in its denial; else the capability's action for the probed operation."""
    if found := _MISSING_ACTION.search(message):
        return found.group(1)
    operation = cap.probe[1].replace("_", "").lower() if cap.probe else ""
    return next((a for a in cap.actions if a.split(":")[1].lower() == operation), cap.actions[0])


def fix_for(cap: Capability, action: str) -> str:
    return f"grant {action}: {remedy_for(cap)}"


def remedy_for(cap: Capability) -> str:
    if cap.tier == REQUIRED_TIER:
        return (f"Tier 1 is required: redeploy {MEMBER_TEMPLATE} (IdentityTierPolicy) or give the read role "
                "the policy printed by `idcensus policy --tier identity`")
    where = "in the management account (as a plain stack)" if cap.management_only else "(the member StackSet)"
    parameter = TIER_PARAMETER.get(cap.tier, "the tier's parameter")
    return (f"{TIERS.get(cap.tier, cap.tier)}: deploy {MEMBER_TEMPLATE} {where} with {parameter}=true, "
            f"or add `idcensus policy --tier {cap.tier}` to the read role")


def explain_assume(role_arn: str, exc: Exception, external_id: str | None) -> str:
    cause = exc.__cause__ or exc
    code = error_code(cause) or type(cause).__name__
    account = role_arn.split(":")[4]
    if code not in DENIED_CODES:
        return f"cannot assume {role_arn} ({code}: {cause}); check the network, region and credentials"
    ext = f"the ExternalId you passed ({external_id!r})" if external_id else "no --external-id (the role requires one)"
    return (
        f"cannot assume {role_arn} (AccessDenied). Likely causes, most common first: "
        f"(1) the role is missing in {account}: deploy {MEMBER_TEMPLATE} there (the StackSet skips the management "
        "account: deploy it there as a plain stack); "
        "(2) its trust policy does not name the identity you run as: the CentralCollectorRoleArn, CentralAccountId "
        "and OrganizationId parameters must be the central account's; "
        f"(3) {ext} differs from the stack's ExternalId parameter; "
        "(4) your identity lacks sts:AssumeRole on the role. Fix the one that applies and run `idcensus check` again."
    )


def account_check(result: AccountCheckResult, checked_at: str) -> AccountCheck:
    """The result as recorded on the aws.account record (coverage)."""
    problems = {r.capability: r.fix for r in result.results if r.fix}
    if not result.reachable:
        problems["assume_role"] = result.error or "cannot assume the role"
    return AccountCheck(checked_at=checked_at, reachable=result.reachable, capabilities=result.outcomes(),
                        problems=problems)


# ---------------------------------------------------------------- recorded results (the check Lambda)
# In the account's partition under sk `check#latest`: the census's one Query per account reads it with
# the records (a `check` type is never authoritative, so the diff leaves it alone) and copies it into
# the aws.account record (attach_check).
CHECK_SK = "check#latest"


def check_key(account_id: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{account_id}", "sk": CHECK_SK}


def save_checks(table, report: CheckReport) -> int:
    """One PutItem per account into the state table; returns the items written."""
    for a in report.accounts:
        check = account_check(a, report.checked_at)
        table.put_item(Item={**check_key(a.account_id), "checked_at": report.checked_at,
                             "tier1_ok": a.tier1_ok, "check": check.model_dump_json()})
    return len(report.accounts)


def load_check(table, account_id: str) -> AccountCheck | None:
    item = table.get_item(Key=check_key(account_id)).get("Item")
    return AccountCheck.model_validate_json(item["check"]) if item else None


def attach_check(account, items: dict[str, dict[str, Any]]):
    """The aws.account data with the latest recorded check found among the account's state items."""
    item = items.get(CHECK_SK)
    if not item or not item.get("check"):
        return account
    return account.model_copy(update={"check": AccountCheck.model_validate_json(item["check"])})


def summary(report: CheckReport) -> dict[str, Any]:
    """What the check Lambda logs and returns."""
    counts: dict[str, int] = {}
    for a in report.accounts:
        for r in a.results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {"checked_at": report.checked_at, "accounts": len(report.accounts), "ok": report.ok,
            "unreachable": [a.account_id for a in report.accounts if not a.reachable],
            "tier1_failed": [a.account_id for a in report.accounts if not a.tier1_ok],
            "outcomes": dict(sorted(counts.items())),
            "denied": sorted({f"{a.account_id} {r.capability}" for a in report.accounts for r in a.results
                              if r.outcome == "denied"})}


def run_deployed_check(settings, factory) -> dict[str, Any]:
    """The post-deployment check over every ACTIVE account, recorded in the state table."""
    from idcensus.collect.org import list_active_accounts

    accounts = list_active_accounts(factory.client("organizations"))
    report = run_check(factory, accounts, role_name=settings.role_name, external_id=settings.external_id,
                       regions=settings.regions)
    save_checks(factory.resource("dynamodb").Table(settings.table_name), report)
    return summary(report)
