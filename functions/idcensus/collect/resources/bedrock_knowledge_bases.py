"""Bedrock knowledge bases and their service roles."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each
from idcensus.model.records import Item
from idcensus.model.resources import BedrockKnowledgeBase


def list_knowledge_bases(ctx: Context, client, region: str | None) -> list[dict]:
    """The region's knowledge bases, listed once per run: the data-source collector needs them too."""
    return ctx.once(f"bedrock-agent.knowledge_bases:{region}",
                    lambda: paginate(client, "list_knowledge_bases", "knowledgeBaseSummaries"))


def get(ctx: Context, region: str | None) -> list[dict]:
    """GetKnowledgeBase's knowledgeBase for every listed one (the listing lacks the role)."""
    client = ctx.client("bedrock-agent", region)
    summaries = list_knowledge_bases(ctx, client, region)
    return each(lambda k: client.get_knowledge_base(knowledgeBaseId=k["knowledgeBaseId"])["knowledgeBase"],
                summaries, ctx.workers)


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    return [
        ("resource.bedrock.knowledge_base", k["knowledgeBaseArn"], BedrockKnowledgeBase(
            arn=k["knowledgeBaseArn"], region=scope.region, name=k["name"], knowledge_base_id=k["knowledgeBaseId"],
            roles=[k["roleArn"]] if k.get("roleArn") else [],
        ))
        for k in raw
    ]
