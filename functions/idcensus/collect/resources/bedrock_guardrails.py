"""Bedrock guardrails (one paginated listing per region)."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope
from idcensus.model.records import Item
from idcensus.model.resources import BedrockGuardrail


def get(ctx: Context, region: str | None) -> list[dict]:
    return paginate(ctx.client("bedrock", region), "list_guardrails", "guardrails")


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    return [("resource.bedrock.guardrail", g["arn"], BedrockGuardrail(
        arn=g["arn"], region=scope.region, name=g["name"], guardrail_id=g["id"], status=g.get("status"),
        version=g.get("version"))) for g in raw]
