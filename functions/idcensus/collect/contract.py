"""The contract every collector shares, and nothing else: a leaf the orchestrator and all
collectors import, so no collector reaches back into the orchestrator.

A collector is a module with two functions, called the same way for every tier:

    get(ctx, region) -> raw          AWS calls only: paginate, raise (or record outcomes, see below)
    transform(raw, scope) -> items   pure: the records, as (record type, id, data)

`region` is None for a capability collected once per account. A collector that owns several
capabilities (Tier 1, Identity Center) records each one's outcome itself with `ctx.run`; the
orchestrator records the outcome of every capability a collector left unrecorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from idcensus.arns import account_arn, partition  # noqa: F401 - the collectors take them from here
from idcensus.errors import DENIED_CODES, IdcensusError, PrincipalGone, error_code, translate
from idcensus.model.records import Collection, Item

log = logging.getLogger("idcensus")
T = TypeVar("T")
R = TypeVar("R")
PER_RESOURCE_WORKERS = 8  # per-resource reads (policies, describes) at a time
PRINCIPAL_WORKERS = 8  # per-user IAM reads at a time (Settings.principal_workers)


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
    # The account's iam.user records' data as the state table holds them, by ARN (None: not read).
    # Per-user answers they hold (key IDs, MFA devices...) are reused where the credential report
    # shows nothing changed, so an unchanged re-run asks almost nothing per user (collect/reuse.py).
    previous_users: Mapping[str, dict[str, Any]] | None = None
    previous_policies: Mapping[str, dict[str, Any]] | None = None  # iam.policy records' data: descriptions


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


@dataclass(frozen=True)
class Org:
    """The account a policy lives in and the organization it belongs to."""

    account_id: str
    accounts: frozenset[str] = field(default_factory=frozenset)
    organization_id: str | None = None

    def internal_account(self, account: str) -> bool:
        return account == self.account_id or account in self.accounts


def org_scope(info: AccountInfo, options: CollectOptions) -> Org:
    """Who counts as inside: the account, the organization's accounts (from the census) and its ID."""
    return Org(account_id=info.account_id, accounts=frozenset(options.org_accounts),
               organization_id=info.organization_id)


@dataclass(frozen=True)
class Scope:
    """All a pure transform knows besides the answers: whose account, who is inside, which region."""

    org: Org
    region: str | None = None
    home: str | None = None  # the session's region: a global collection's ARNs take its partition

    @property
    def account_id(self) -> str:
        return self.org.account_id

    @property
    def partition(self) -> str:
        return partition(self.region or self.home)


class Clients:
    """One client per (service, region), made under a lock: boto3 sessions are not thread-safe."""

    def __init__(self, factory):
        self.factory = factory
        self._lock = threading.Lock()
        self._made: dict[tuple[str, str | None], Any] = {}

    def get(self, service: str, region: str | None = None):
        with self._lock:
            key = (service, region)
            if key not in self._made:
                self._made[key] = self.factory.client(service, region=region)
            return self._made[key]


@dataclass
class Context:
    """One account's run, as every collector sees it: clients, who is inside, options, outcomes."""

    factory: Any
    info: AccountInfo
    options: CollectOptions = field(default_factory=CollectOptions)
    out: Outcomes = field(default_factory=Outcomes)
    workers: int = PER_RESOURCE_WORKERS
    principal_workers: int = PRINCIPAL_WORKERS
    clients: Any = None  # Clients(factory); a test may hand in a stand-in with the same get()
    org: Org = field(init=False)
    _once: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _once_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.clients = self.clients if self.clients is not None else Clients(self.factory)
        self.org = org_scope(self.info, self.options)

    @property
    def account_id(self) -> str:
        return self.info.account_id

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(self.options.regions)

    @property
    def home_region(self) -> str | None:
        return getattr(self.factory, "region", None)

    def client(self, service: str, region: str | None = None):
        return self.clients.get(service, region)

    def run(self, capability: str, fn: Callable[[], T]) -> T | None:
        """For collectors owning several capabilities: fn()'s value, or None with the outcome recorded."""
        return self.out.run(capability, fn)

    def scope(self, region: str | None = None) -> Scope:
        return Scope(org=self.org, region=region, home=self.home_region)

    def once(self, key: str, fn: Callable[[], T]) -> T:
        """fn() computed once per account run (an account-wide listing several regions need)."""
        with self._once_lock:
            if key not in self._once:
                try:
                    self._once[key] = (True, fn())
                except Exception as exc:  # noqa: BLE001 - remembered, re-raised to every caller
                    self._once[key] = (False, exc)
            ok, value = self._once[key]
        if not ok:
            raise value
        return value


class Collector(Protocol):
    """What a collector module provides (see the module docstring)."""

    def get(self, ctx: Context, region: str | None) -> Any: ...

    def transform(self, raw: Any, scope: Scope) -> list[Item]: ...


def collect(collector: Collector, ctx: Context, region: str | None = None) -> list[Item]:
    """One collector in one region (None: once per account): get, then transform."""
    return collector.transform(collector.get(ctx, region), ctx.scope(region))


# ---- bounded fan-out ---------------------------------------------------------------------------

def each(fn: Callable[[T], R], items: Iterable[T], workers: int = PER_RESOURCE_WORKERS) -> list[R]:
    """fn over items, `workers` at a time, in order; the first error propagates."""
    items = list(items)
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def each_alive(fn: Callable[[T], R], items: Iterable[T], out: Outcomes, *, what: str, name: Callable[[T], str],
               key: Callable[[T], str] | None = None, workers: int = PRINCIPAL_WORKERS) -> list[tuple[T, R]]:
    """(item, fn(item)) for each item, `workers` at a time, in order. An item deleted meanwhile
    (NoSuchEntity, ResourceNotFoundException) is skipped and recorded in out.skipped as key(item)
    (default name(item)); the first other error, named "<what> <name>", is raised after all ran."""

    def one(item: T):
        try:
            return item, fn(item)
        except Exception as exc:  # noqa: BLE001 - translated, then sorted below
            return item, translate(exc, f"{what} {name(item)}")

    results: list[tuple[T, R]] = []
    error: IdcensusError | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for item, value in pool.map(one, list(items)):
            if isinstance(value, PrincipalGone):
                out.skipped.append((key or name)(item))
            elif isinstance(value, IdcensusError):
                error = error or value
            else:
                results.append((item, value))
    if error:
        raise error
    return results


class Refused:
    """One resource's policy read refused (AccessDenied) while the others' were not."""

    def __init__(self, exc: Exception):
        self.exc = exc


def policies(fn: Callable[[T], R], items: Iterable[T], workers: int = PER_RESOURCE_WORKERS) -> list[R | Refused]:
    """Read each resource's policy. A resource whose own policy locks the read role out (a KMS key
    without the IAM delegation statement, say) is marked Refused; when every read is refused, the
    role lacks the permission itself and the capability is denied."""

    def one(item: T) -> R | Refused:
        try:
            return fn(item)
        except Exception as exc:
            if error_code(exc) in DENIED_CODES:
                return Refused(exc)
            raise

    results = each(one, items, workers)
    refused = [r for r in results if isinstance(r, Refused)]
    if refused and len(refused) == len(results):
        raise refused[0].exc
    return results


def readable(result: R | Refused | None) -> tuple[R | None, bool]:
    """(policy, refused) for a record."""
    return (None, True) if isinstance(result, Refused) else (result, False)


def unless(codes: frozenset[str] | set[str], call: Callable[[], T]) -> T | None:
    """call(), or None when AWS answers with one of `codes` (e.g. NoSuchBucketPolicy: no policy)."""
    try:
        return call()
    except Exception as exc:
        if error_code(exc) in codes:
            return None
        raise


