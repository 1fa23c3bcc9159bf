"""Tier 3: resources with their roles and resource policies, one module per service.

Each service (or service and kind) is its own capability, granted separately. A regional
capability runs in every region of `options.regions`; its outcome is the worst of its regions
(denied before failed), with the regions named in the error. What the other regions returned
is still kept: the outcome not being `ok` already stops absences from counting as deletions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from idcensus.collect.resources import bedrock, dynamodb, ec2, eks, kms, lambda_, rds, s3, secrets
from idcensus.collect.resources.base import Clients, Collector, Context
from idcensus.collect.resources.policies import Org
from idcensus.errors import CapabilityDenied, CollectionFailed, IdcensusError, translate

if TYPE_CHECKING:
    from idcensus.collect.account import AccountInfo, CollectOptions, Outcomes
    from idcensus.model.records import Item

COLLECTORS: tuple[Collector, ...] = (
    Collector(ec2.CAPABILITY, ec2.collect, "ec2"),
    Collector(lambda_.CAPABILITY, lambda_.collect, "lambda"),
    Collector(s3.CAPABILITY, s3.collect, "s3", regional=False),
    Collector(kms.CAPABILITY, kms.collect, "kms"),
    Collector(secrets.CAPABILITY, secrets.collect, "secretsmanager"),
    Collector(rds.CAPABILITY, rds.collect, "rds"),
    Collector(eks.CAPABILITY, eks.collect, "eks"),
    Collector(dynamodb.CAPABILITY, dynamodb.collect, "dynamodb"),
    Collector(bedrock.AGENTS, bedrock.collect_agents, "bedrock-agent"),
    Collector(bedrock.KNOWLEDGE_BASES, bedrock.collect_knowledge_bases, "bedrock-agent"),
    Collector(bedrock.CUSTOM_MODELS, bedrock.collect_custom_models, "bedrock"),
)
TASK_WORKERS = 4  # (capability, region) pairs at a time; each fans out to 8 per-resource calls


def org_scope(info: AccountInfo, options: CollectOptions) -> Org:
    """Who counts as inside: the account, the organization's accounts (from the census) and its ID."""
    return Org(account_id=info.account_id, accounts=frozenset(options.org_accounts),
               organization_id=info.organization_id)


def collect(factory, info: AccountInfo, out: Outcomes, options: CollectOptions) -> list[Item]:
    ctx = Context(clients=Clients(factory), org=org_scope(info, options), regions=tuple(options.regions))
    tasks = [(c, region) for c in COLLECTORS for region in regions_of(c, ctx.regions, factory.session)]
    with ThreadPoolExecutor(max_workers=TASK_WORKERS) as pool:
        futures = [(c, region, pool.submit(_run, c, ctx, region)) for c, region in tasks]
        results = [(c, region, f.result()) for c, region, f in futures]

    items: list[Item] = []
    errors: dict[str, list[tuple[str | None, IdcensusError]]] = {}
    for c, region, value in results:
        errors.setdefault(c.name, [])
        if isinstance(value, IdcensusError):
            errors[c.name].append((region, value))
        else:
            items += value
    for name, failed in errors.items():
        if failed:
            out.fail(name, worst(failed))
        else:
            out.capabilities[name] = "ok"
    return items


def regions_of(c: Collector, regions: tuple[str, ...], session) -> tuple[str | None, ...]:
    """Where a capability runs: once for a global one; for a regional one, the enabled regions
    the service is offered in (Bedrock is not everywhere: asking elsewhere only times out)."""
    if not c.regional:
        return (None,)
    offered = set(session.get_available_regions(c.service))
    return tuple(r for r in regions if not offered or r in offered)


def _run(c: Collector, ctx: Context, region: str | None) -> list[Item] | IdcensusError:
    try:
        return c.fn(ctx, region)
    except Exception as exc:  # noqa: BLE001 - becomes this capability's outcome in this region
        where = f"{c.name} in {region}" if region else c.name
        return exc if isinstance(exc, IdcensusError) else translate(exc, where)


def worst(failed: list[tuple[str | None, IdcensusError]]) -> IdcensusError:
    """One error for a capability over its regions: denied anywhere makes it denied."""
    denied = [e for _, e in failed if isinstance(e, CapabilityDenied)]
    chosen = denied or [e for _, e in failed]
    message = "; ".join(str(e) for e in chosen)
    return CapabilityDenied(message) if denied else CollectionFailed(message)
