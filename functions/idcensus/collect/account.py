"""Collect one account: run every registered collector through one loop, record each capability's
outcome, assemble the records.

The registry (collect/registry.py) says which collector module runs each capability; a module is
imported only when one of its capabilities runs. Every collector is called the same way (see
collect/contract.py): once per account, or once per enabled region for a regional capability,
(collector, region) pairs `TASK_WORKERS` at a time. A collector that owns several capabilities
records their outcomes itself; any capability left unrecorded gets its collector's outcome, the
worst over its regions (denied before failed) with the regions named. What the other regions
returned is still kept: the outcome not being `ok` already stops absences from counting as deletions.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from idcensus.arns import partition
from idcensus.collect.contract import (
    PRINCIPAL_WORKERS,
    AccountInfo,
    CollectOptions,
    Context,
    Outcomes,
    collect,
)
from idcensus.collect.documents import timestamp
from idcensus.collect.registry import COLLECTED, Capability
from idcensus.errors import CapabilityDenied, CollectionFailed, IdcensusError, translate
from idcensus.model.records import Account, Collection, Item

TASK_WORKERS = 4  # (collector, region) pairs at a time; each fans out to 8 per-resource calls
ACCOUNT_TYPE = "aws.account"


@dataclass
class AccountResult:
    account: Account
    items: list[Item] = field(default_factory=list)  # every record but the account's, in registry order
    partition: str = "aws"  # of the account's ARNs, its aws.account record id among them

    def of_type(self, type_: str) -> list:
        return [data for t, _, data in self.items if t == type_]

    @property
    def users(self) -> list:
        return self.of_type("iam.user")

    @property
    def groups(self) -> list:
        return self.of_type("iam.group")

    @property
    def roles(self) -> list:
        return self.of_type("iam.role")

    @property
    def policies(self) -> list:
        return self.of_type("iam.policy")

    @property
    def root(self):
        return next(iter(self.of_type("iam.root_user")), None)

    @property
    def extra(self) -> list[Item]:
        """The records of the tiers beyond IAM."""
        return [i for i in self.items if not i[0].startswith("iam.")]

    def ok(self, capability: str) -> bool:
        return self.account.collection.capabilities.get(capability) == "ok"


def collect_account(factory, info: AccountInfo, *, max_workers: int = PRINCIPAL_WORKERS,
                    options: CollectOptions | None = None) -> AccountResult:
    out = Outcomes()
    items = collect_items(factory, info, out, options, max_workers=max_workers)
    found = [data for t, _, data in items if t == ACCOUNT_TYPE]
    account = account_record(info, out.collection(), found[0] if found else None)
    return AccountResult(account=account, items=[i for i in items if i[0] != ACCOUNT_TYPE],
                         partition=getattr(factory, "partition", "aws"))


def account_record(info: AccountInfo, collection: Collection, found: Account | None = None) -> Account:
    """The aws.account record: what the organization says, what IAM said (alias, counters), the run's collection."""
    base = found or Account(account_id=info.account_id, collection=collection)
    return base.model_copy(update={
        "name": info.name, "email": info.email, "status": info.status, "organization_id": info.organization_id,
        "ou_path": info.ou_path, "joined_at": timestamp(info.joined_at), "collection": collection,
    })


def collect_items(factory, info: AccountInfo, out: Outcomes, options: CollectOptions | None = None, *,
                  tiers: Iterable[str] | None = None, max_workers: int = PRINCIPAL_WORKERS) -> list[Item]:
    """The one loop: every registered collector (of `tiers`, default all) for this account, its
    capabilities' outcomes recorded in `out`; the items in registry order."""
    ctx = Context(factory=factory, info=info, options=options or CollectOptions(), out=out,
                  principal_workers=max_workers)
    wanted = set(tiers) if tiers is not None else None
    plan = collectors([c for c in COLLECTED if wanted is None or c.tier in wanted], info)
    tasks = [(module, caps, region) for module, caps in plan.items()
             for region in regions_of(caps[0], ctx.regions, factory.session, ctx.home_region)]
    with ThreadPoolExecutor(max_workers=TASK_WORKERS) as pool:
        futures = [(module, pool.submit(_run, module, caps, ctx, region)) for module, caps, region in tasks]
        results = [(module, f.result()) for module, f in futures]

    items: list[Item] = []
    failures: dict[str, list[IdcensusError]] = {}
    for module, value in results:
        failed = failures.setdefault(module, [])
        if isinstance(value, IdcensusError):
            failed.append(value)
        else:
            items += value
    for module, failed in failures.items():
        for cap in plan[module]:
            if cap.name in out.capabilities:  # the collector recorded it itself
                continue
            if failed:
                out.fail(cap.name, worst(failed))
            else:
                out.capabilities[cap.name] = "ok"
    return items


def collectors(capabilities: list[Capability], info: AccountInfo) -> dict[str, list[Capability]]:
    """Capabilities by collector module, in registry order; management-only ones only in the payer."""
    plan: dict[str, list[Capability]] = {}
    for c in capabilities:
        if c.management_only and not info.management:
            continue  # member accounts see only their own spend: nothing to ask, no outcome
        plan.setdefault(c.collector, []).append(c)
    return plan


def regions_of(c: Capability, regions: tuple[str, ...], session, home: str | None = None) -> tuple[str | None, ...]:
    """Where a capability runs: once for a global one; for a regional one, the enabled regions
    the service is offered in, in the session's partition (Bedrock is not everywhere: asking
    elsewhere only times out; GovCloud and China list their own regions)."""
    if not c.regional:
        return (None,)
    offered = set(session.get_available_regions(c.service, partition_name=partition(home or regions[0])))
    return tuple(r for r in regions if not offered or r in offered)


def _run(module: str, caps: list[Capability], ctx: Context, region: str | None) -> list[Item] | IdcensusError:
    try:
        return collect(importlib.import_module(module), ctx, region)
    except Exception as exc:  # noqa: BLE001 - becomes the outcome of the capabilities it left unrecorded
        name = caps[0].name if len(caps) == 1 else module
        where = f"{name} in {region}" if region else name
        return exc if isinstance(exc, IdcensusError) else translate(exc, where)


def worst(failed: list[IdcensusError]) -> IdcensusError:
    """One error for a capability over its regions: denied anywhere makes it denied; a single
    error stands as it is (Cost Explorer's not_enabled stays not_enabled)."""
    if len(failed) == 1:
        return failed[0]
    denied = [e for e in failed if isinstance(e, CapabilityDenied)]
    message = "; ".join(str(e) for e in denied or failed)
    return CapabilityDenied(message) if denied else CollectionFailed(message)
