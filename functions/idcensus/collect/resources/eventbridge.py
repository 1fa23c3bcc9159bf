"""EventBridge event buses and their resource policies: ListEventBuses carries each bus's policy,
so there is no call per bus. Every region has a `default` bus; a policy on it (or on a custom bus)
is how another account gets to put events into this one."""

from __future__ import annotations

from idcensus.collect.contract import Context, Scope
from idcensus.collect.documents import policy_document, timestamp
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import EventBus


def get(ctx: Context, region: str | None) -> list[dict]:
    # botocore has no paginator for ListEventBuses: follow NextToken by hand.
    events = ctx.client("events", region)
    buses: list[dict] = []
    params: dict = {}
    while True:
        page = events.list_event_buses(**params)
        buses.extend(page.get("EventBuses", []))
        if not page.get("NextToken"):
            return buses
        params["NextToken"] = page["NextToken"]


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    items: list[Item] = []
    for bus in raw:
        policy = policy_document(bus["Policy"]) if bus.get("Policy") else None
        items.append(("resource.events.event_bus", bus["Arn"], EventBus(
            arn=bus["Arn"], region=scope.region, name=bus["Name"], description=bus.get("Description") or None,
            created_at=timestamp(bus.get("CreationTime")), modified_at=timestamp(bus.get("LastModifiedTime")),
            policy=policy, external_principals=external_principals(policy, scope.org),
        )))
    return items
