"""API Gateway REST APIs and their resource policies: one paginated GetRestApis per region
carries every API's policy, so there is no call per API."""

from __future__ import annotations

import json

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope
from idcensus.collect.documents import policy_document, timestamp
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import ApiGatewayRestApi


def get(ctx: Context, region: str | None) -> list[dict]:
    return paginate(ctx.client("apigateway", region), "get_rest_apis", "items")


def rest_api_policy(text: str | None) -> dict | None:
    """The `policy` field: JSON, which AWS returns with its quotes backslash-escaped."""
    if not text:
        return None
    try:
        return policy_document(text)
    except (ValueError, json.JSONDecodeError):
        return policy_document(text.replace('\\"', '"').replace("\\\\", "\\"))


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    items: list[Item] = []
    for api in raw:
        arn = f"arn:{scope.partition}:apigateway:{scope.region}::/restapis/{api['id']}"
        policy = rest_api_policy(api.get("policy"))
        items.append(("resource.apigateway.rest_api", arn, ApiGatewayRestApi(
            arn=arn, region=scope.region, name=api["name"], api_id=api["id"],
            endpoint_types=sorted((api.get("endpointConfiguration") or {}).get("types") or []),
            created_at=timestamp(api.get("createdDate")), policy=policy,
            external_principals=external_principals(policy, scope.org),
        )))
    return items
