"""Bedrock knowledge-base data sources and where they read from: one knowledge-base listing, one
data-source listing per knowledge base, one GetDataSource per data source (the listing lacks the
configuration). A bucket owned by an account outside the organization is an outside principal."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each
from idcensus.collect.resources.bedrock_knowledge_bases import list_knowledge_bases
from idcensus.model.records import Item
from idcensus.model.resources import BedrockDataSource

Raw = list[tuple[dict, list[dict]]]  # (ListKnowledgeBases entry, GetDataSource's dataSource for each)


def get(ctx: Context, region: str | None) -> Raw:
    client = ctx.client("bedrock-agent", region)
    bases = list_knowledge_bases(ctx, client, region)  # shared with the knowledge-bases collector

    def sources(kb: dict) -> list[dict]:
        listed = paginate(client, "list_data_sources", "dataSourceSummaries", knowledgeBaseId=kb["knowledgeBaseId"])
        return [client.get_data_source(knowledgeBaseId=kb["knowledgeBaseId"], dataSourceId=s["dataSourceId"])["dataSource"]
                for s in listed]

    return list(zip(bases, each(sources, bases, ctx.workers), strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for kb, sources in raw:
        kb_arn = (f"arn:{scope.partition}:bedrock:{scope.region}:{scope.account_id}:knowledge-base/"
                  f"{kb['knowledgeBaseId']}")
        for s in sources:
            config = s.get("dataSourceConfiguration") or {}
            s3 = config.get("s3Configuration") or {}
            owner = s3.get("bucketOwnerAccountId")
            arn = f"{kb_arn}/data-source/{s['dataSourceId']}"
            items.append(("resource.bedrock.data_source", arn, BedrockDataSource(
                arn=arn, region=scope.region, name=s["name"], knowledge_base_id=kb["knowledgeBaseId"],
                data_source_id=s["dataSourceId"], status=s.get("status"), type=config.get("type"),
                bucket_arn=s3.get("bucketArn"), bucket_owner_account=owner,
                external_principals=[owner] if owner and not scope.org.internal_account(owner) else [])))
    return items
