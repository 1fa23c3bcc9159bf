"""Bedrock Prompt Management prompts (one paginated listing per region)."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope
from idcensus.model.records import Item
from idcensus.model.resources import BedrockPrompt


def get(ctx: Context, region: str | None) -> list[dict]:
    return paginate(ctx.client("bedrock-agent", region), "list_prompts", "promptSummaries")


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    return [("resource.bedrock.prompt", p["arn"], BedrockPrompt(
        arn=p["arn"], region=scope.region, name=p["name"], prompt_id=p["id"], version=p.get("version"))) for p in raw]
