"""AWS Marketplace charges from Cost Explorer, read in the payer (management) account only.

One GetCostAndUsage query, paginated: MONTHLY, filtered to BILLING_ENTITY "AWS Marketplace" (how
Cost Explorer tells Marketplace charges from AWS's own), grouped by SERVICE (the product) and
LEGAL_ENTITY_NAME (the seller). The first sync reads whole months back to `marketplace_days`; later
syncs start at the previous month, the oldest figure AWS may still revise. Records are keyed by
month, vendor and product, so a rerun updates them and older months stay as they were.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from idcensus.collect.contract import AccountInfo, CollectOptions, Context, Scope
from idcensus.errors import CollectionFailed, error_code
from idcensus.model.billing import MarketplaceCharge
from idcensus.model.records import Item

CAPABILITY = "billing.marketplace"  # its registry entry (management_only: the orchestrator skips members)
RECORD_TYPE = "billing.marketplace_charge"
# Cost Explorer has one endpoint per partition (ce.us-east-1 for aws, cn-northwest-1 for aws-cn...):
# a client in any region of the partition reaches it, so the factory's own region is used.
METRIC = "UnblendedCost"
MARKETPLACE_FILTER = {"Dimensions": {"Key": "BILLING_ENTITY", "Values": ["AWS Marketplace"]}}
GROUP_BY = [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "LEGAL_ENTITY_NAME"}]
ENABLE_HINT = ("Cost Explorer is not enabled for this organization: in the management account open "
               "Billing and Cost Management -> Cost Explorer -> Enable; data appears after about a day")


class CostExplorerNotEnabled(CollectionFailed):
    """Cost Explorer answers nothing until the payer enables it: not a permission problem."""

    outcome = "not_enabled"


def get(ctx: Context, region: str | None) -> list[dict[str, Any]]:
    """The payer's charges (member accounts see only their own spend: the registry runs this in the
    management account only)."""
    start, end = query_window(today(), ctx.options.marketplace_days, ctx.options.marketplace_since)
    return get_marketplace_costs(ctx.client("ce"), start, end)


def transform(raw: list[dict[str, Any]], scope: Scope) -> list[Item]:
    return transform_charges(raw)


def today() -> date:
    return datetime.now(UTC).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month_start(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def query_window(day: date, days: int, since: str | None = None) -> tuple[date, date]:
    """[start, end): whole months back to `days` ago (or from `since`), through today."""
    start = month_start(date.fromisoformat(since) if since else day - timedelta(days=days))
    return start, day + timedelta(days=1)  # End is exclusive; today's figures are estimates


def probe_params() -> dict[str, Any]:
    """`idcensus check`'s one cheap read: this month so far, Marketplace only, no grouping."""
    start, end = query_window(today(), 0)
    return {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "MONTHLY",
            "Metrics": [METRIC], "Filter": MARKETPLACE_FILTER}


def get_marketplace_costs(ce, start: date, end: date) -> list[dict[str, Any]]:
    """Every ResultsByTime entry of the query (botocore has no paginator for it: NextPageToken by hand)."""
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "MONTHLY",
        "Metrics": [METRIC],
        "Filter": MARKETPLACE_FILTER,
        "GroupBy": GROUP_BY,
    }
    results: list[dict[str, Any]] = []
    while True:
        try:
            page = ce.get_cost_and_usage(**params)
        except ClientError as exc:
            if not_enabled(exc):
                raise CostExplorerNotEnabled(f"{CAPABILITY}: {ENABLE_HINT} ({error_code(exc)})") from exc
            raise
        results += page.get("ResultsByTime", [])
        if not page.get("NextPageToken"):
            return results
        params["NextPageToken"] = page["NextPageToken"]


def not_enabled(exc: ClientError) -> bool:
    """Cost Explorer's 'not enabled' answers. AWS gives the not-enabled case the same code as a missing
    permission (AccessDeniedException), so only its message tells them apart."""
    code = error_code(exc)
    message = exc.response.get("Error", {}).get("Message", "").lower()
    return code == "DataUnavailableException" or (
        code == "AccessDeniedException" and "not enabled for cost explorer" in message
    )


def transform_charges(results: list[dict[str, Any]]) -> list[Item]:
    """One record per month, vendor and product; pages of one month add up."""
    charges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for period in results:
        start, end = period["TimePeriod"]["Start"], period["TimePeriod"]["End"]
        for group in period.get("Groups", []):
            product, vendor = (list(group["Keys"]) + ["", ""])[:2]
            metric = group["Metrics"][METRIC]
            key = (start[:7], vendor or "unknown", product or "unknown")
            entry = charges.setdefault(key, {"cost": Decimal(0), "currency": metric.get("Unit") or "USD",
                                             "estimated": False, "start": start, "end": end})
            entry["cost"] += Decimal(metric["Amount"])
            entry["estimated"] = entry["estimated"] or bool(period.get("Estimated"))
            entry["start"], entry["end"] = min(entry["start"], start), max(entry["end"], end)
    items: list[Item] = []
    for (month, vendor, product), e in sorted(charges.items()):
        data = MarketplaceCharge(vendor=vendor, product=product, month=month, cost=_decimal(e["cost"]),
                                 currency=e["currency"], estimated=e["estimated"], period_start=e["start"],
                                 period_end=e["end"])
        items.append((RECORD_TYPE, charge_id(month, vendor, product), data))
    return items


def charge_id(month: str, vendor: str, product: str) -> str:
    """`marketplace/<month>/<vendor>/<product>`, '%' and '/' in each part percent-escaped, so
    ("a", "b/c") and ("a/b", "c") differ and a plain name keeps the id it always had."""
    return "/".join(["marketplace", *(_escape(part) for part in (month, vendor, product))])


def _escape(part: str) -> str:
    return part.replace("%", "%25").replace("/", "%2F")


def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def incremental_start(state_table, account_id: str, day: date | None = None) -> str | None:
    """Where the next sync starts: the previous month once any charge is stored, else None (full window).

    `state_table` is the boto3 DynamoDB Table of the state (pk ACCOUNT#id, sk type#id); one Query, one item.
    """
    from boto3.dynamodb.conditions import Key

    page = state_table.query(
        KeyConditionExpression=Key("pk").eq(f"ACCOUNT#{account_id}") & Key("sk").begins_with(f"{RECORD_TYPE}#"),
        ProjectionExpression="sk",
        Limit=1,
    )
    if not page.get("Items"):
        return None
    return previous_month_start(day or today()).isoformat()


def with_incremental_start(options: CollectOptions, info: AccountInfo, state_table) -> CollectOptions:
    """The options for one account's run: the payer's Marketplace query starts where stored data is final."""
    from dataclasses import replace

    if not info.management or options.marketplace_since:
        return options
    return replace(options, marketplace_since=incremental_start(state_table, info.account_id))
