"""Collect one account: run each capability, record its outcome, assemble the records."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from idcensus.collect import credentials as cred
from idcensus.collect import iam as iamc
from idcensus.collect.documents import latest, timestamp
from idcensus.collect.resources import org_scope
from idcensus.errors import IdcensusError, PrincipalGone, translate
from idcensus.model.records import Account, Collection, Item, Mfa, Password, ServiceCredential, User

log = logging.getLogger("idcensus")
T = TypeVar("T")


@dataclass(frozen=True)
class AccountInfo:
    """What the organization says about an account (only account_id when it could not say)."""

    account_id: str
    name: str | None = None
    email: str | None = None
    status: str | None = None
    organization_id: str | None = None
    ou_path: str | None = None
    joined_at: Any = None
    management: bool = False  # the organization's management (payer) account: billing data lives here


@dataclass(frozen=True)
class CollectOptions:
    """What the customer enabled beyond Tier 1: regions for Tier 3 resources, and so on."""

    regions: tuple[str, ...] = ("us-east-1",)
    marketplace_days: int = 90
    # Incremental Marketplace sync: query from this date (YYYY-MM-DD) instead of the full window;
    # costs.incremental_start() derives it from the charges already in the state table.
    marketplace_since: str | None = None
    # Every account of the organization: Identity Center assignments are listed per account
    # (empty: only the account being collected). Filled by the census from the account list.
    org_accounts: tuple[str, ...] = ()
    identity_center_region: str | None = None  # the instance's home region; None: the factory's


@dataclass
class Outcomes:
    capabilities: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def run(self, name: str, fn: Callable[[], T]) -> T | None:
        """Run one capability; denied or failed is recorded, never mistaken for 'no data'."""
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
            self.fail(name, exc if isinstance(exc, IdcensusError) else translate(exc, name))
            return None
        self.capabilities[name] = "ok"
        return value

    def fail(self, name: str, err: IdcensusError) -> None:
        self.capabilities[name] = err.outcome  # denied, failed, or the error's own (Cost Explorer: not_enabled)
        self.errors[name] = str(err)
        log.warning("capability %s %s: %s", name, self.capabilities[name], err)

    def collection(self, error: str | None = None) -> Collection:
        values = set(self.capabilities.values()) - {"skipped", "not_enabled"}  # neither is a fault of ours
        if error or not values or values == {"failed"}:
            status = "failed"
        elif values == {"denied"}:
            status = "denied"
        elif values == {"ok"}:
            status = "ok"
        else:
            status = "partial"
        return Collection(
            status=status,
            capabilities=dict(sorted(self.capabilities.items())),
            error=error,
            errors=dict(sorted(self.errors.items())),
            skipped_principals=sorted(self.skipped),
        )


@dataclass
class AccountResult:
    account: Account
    groups: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    policies: list = field(default_factory=list)
    users: list = field(default_factory=list)
    root: Any = None
    extra: list[Item] = field(default_factory=list)  # records of the tiers beyond IAM

    def ok(self, capability: str) -> bool:
        return self.account.collection.capabilities.get(capability) == "ok"


def collect_account(factory, info: AccountInfo, *, max_workers: int = 8,
                    options: CollectOptions | None = None) -> AccountResult:
    iam = factory.client("iam")
    out = Outcomes()
    extra = collect_extra(factory, info, out, options or CollectOptions())
    details = out.run("iam.authorization_details", lambda: iamc.get_authorization_details(iam))
    report_csv = out.run("iam.credential_report", lambda: cred.get_credential_report(iam))
    rows = cred.parse_credential_report(report_csv) if report_csv is not None else None
    virtual = out.run("iam.mfa_devices", lambda: cred.list_virtual_mfa_devices(iam))
    services = out.run("iam.service_credentials", lambda: cred.list_service_specific_credentials(iam))
    summary = out.run("iam.account_summary", lambda: _summary(iam))
    durations = out.run("iam.role_sessions", lambda: iamc.get_role_session_durations(iam))

    users = details.users if details else []
    keys = extra_mfa = None
    if details is None:
        # Without the principal list there is nobody to ask about keys or devices.
        out.capabilities["iam.access_keys"] = "skipped"
    else:
        keys = _per_user_keys(iam, users, rows, out, max_workers)
        extra_mfa = _per_user_mfa(iam, users, rows, virtual, out, max_workers)

    account = Account(
        account_id=info.account_id,
        name=info.name,
        email=info.email,
        status=info.status,
        organization_id=info.organization_id,
        ou_path=info.ou_path,
        joined_at=timestamp(info.joined_at),
        alias=(summary or {}).get("alias"),
        summary=(summary or {}).get("counters", {}),
        collection=out.collection(),
    )
    result = AccountResult(account=account, extra=extra)
    if rows is not None and (root := cred.root_row(rows)):
        result.root = cred.transform_root(root)
    if details is None:
        return result
    skipped = set(out.skipped)
    details.users = [u for u in details.users if u["Arn"] not in skipped]
    result.groups = iamc.transform_groups(details)
    result.roles = iamc.transform_roles(details, durations, org_scope(info, options or CollectOptions()))
    result.policies = iamc.transform_policies(details)
    arns = iamc.group_arns(details)
    for u in details.users:
        result.users.append(
            _user(u, arns, rows, keys, virtual, extra_mfa, services, out.capabilities)
        )
    return result


def collect_extra(factory, info: AccountInfo, out: Outcomes, options: CollectOptions) -> list[Item]:
    """Tiers 2 and 3 and Marketplace charges: each collector records its own capability outcomes."""
    from idcensus.collect import costs, identity_center, resources

    items: list[Item] = []
    for collector in (identity_center.collect, resources.collect, costs.collect):
        items += collector(factory, info, out, options)
    return items


def _summary(iam) -> dict[str, Any]:
    aliases = [a for page in iam.get_paginator("list_account_aliases").paginate() for a in page["AccountAliases"]]
    counters = iam.get_account_summary()["SummaryMap"]
    return {"alias": aliases[0] if aliases else None, "counters": dict(sorted(counters.items()))}


def _per_user(iam, users, out: Outcomes, what: str, fn, max_workers: int) -> dict[str, Any] | IdcensusError:
    """fn(iam, user_name) for each user, `max_workers` at a time: results by ARN, or the first error.

    A user deleted mid-run is skipped and recorded, not an error.
    """

    def one(user):
        try:
            return user["Arn"], fn(iam, user["UserName"])
        except Exception as exc:  # noqa: BLE001 - translated, then sorted below
            return user["Arn"], translate(exc, f"{what} {user['UserName']}")

    results: dict[str, Any] = {}
    error: IdcensusError | None = None
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for arn, value in pool.map(one, users):
            if isinstance(value, PrincipalGone):
                out.skipped.append(arn)
            elif isinstance(value, IdcensusError):
                error = error or value
            else:
                results[arn] = value
    return error or results


def _per_user_keys(iam, users, rows, out: Outcomes, max_workers: int):
    # Only users the report shows holding a key; everyone when the report is missing.
    holders = [u for u in users if rows is None or cred.report_holds_keys(rows.get(u["Arn"], {}))]
    keys = _per_user(iam, holders, out, "iam.access_keys", cred.list_access_keys, max_workers)
    if isinstance(keys, IdcensusError):
        out.fail("iam.access_keys", keys)
        return None
    out.capabilities["iam.access_keys"] = "ok"
    return keys


def _per_user_mfa(iam, users, rows, virtual, out: Outcomes, max_workers: int):
    # Only MFA the virtual listing does not explain (hardware, U2F); everyone when neither bulk source answered.
    def needs(u):
        if rows is None:
            return virtual is None
        return cred.flag(rows.get(u["Arn"], {}).get("mfa_active")) and u["Arn"] not in (virtual or {})

    found = _per_user(iam, [u for u in users if needs(u)], out, "iam.mfa_devices", cred.list_mfa_devices,
                      max_workers)
    if isinstance(found, IdcensusError):
        out.fail("iam.mfa_devices", found)  # the listing's outcome stands unless this failed
        return None
    return found


def _user(u, group_arns, rows, keys, virtual, extra_mfa, services, capabilities) -> User:
    arn = u["Arn"]
    row = rows.get(arn) if rows is not None else None
    password = None
    if row is not None:
        password = Password(
            enabled=bool(cred.flag(row.get("password_enabled"))),
            last_used_at=timestamp(row.get("password_last_used")),
            last_changed_at=timestamp(row.get("password_last_changed")),
            next_rotation_at=timestamp(row.get("password_next_rotation")),
        )
    mfa = None
    if capabilities.get("iam.mfa_devices") == "ok" or row is not None:
        devices = ([virtual[arn]] if virtual and arn in virtual else []) + list((extra_mfa or {}).get(arn, []))
        enabled = bool(devices) or bool(row is not None and cred.flag(row.get("mfa_active")))
        mfa = Mfa(enabled=enabled, devices=devices)
    listed = (keys or {}).get(arn, []) if keys is not None else None
    access_keys = cred.merge_keys(listed, row) if (keys is not None or row is not None) else None
    service_creds = None
    if services is not None:
        service_creds = [
            ServiceCredential(
                id=c["ServiceSpecificCredentialId"],
                service_name=c["ServiceName"],
                service_user_name=c.get("ServiceUserName"),
                status=c["Status"],
                created_at=timestamp(c.get("CreateDate")),
            )
            for c in services.get(u["UserName"], [])
        ]
    last_activity = latest(
        password.last_used_at if password else None, *[k.last_used_at for k in access_keys or []]
    )
    return User(
        name=u["UserName"],
        arn=arn,
        user_id=u["UserId"],
        path=u.get("Path", "/"),
        created_at=timestamp(u.get("CreateDate")),
        tags=iamc.tags(u.get("Tags")),
        groups=sorted(group_arns.get(g, g) for g in u.get("GroupList", [])),
        attached_policies=iamc.attached(u.get("AttachedManagedPolicies")),
        inline_policies=iamc.inline_policies(u.get("UserPolicyList")),
        permissions_boundary=iamc.boundary(u),
        password=password,
        mfa=mfa,
        access_keys=access_keys,
        service_credentials=service_creds,
        last_activity_at=last_activity,
    )
