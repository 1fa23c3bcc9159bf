"""Bedrock agents and knowledge bases with their service roles, and custom models with the
role their customization job ran as."""

from __future__ import annotations

from idcensus.collect.resources.base import Context, each, paginate, unless
from idcensus.model.records import Item
from idcensus.model.resources import BedrockAgent, BedrockCustomModel, BedrockKnowledgeBase

AGENTS = "resources.bedrock.agents"
KNOWLEDGE_BASES = "resources.bedrock.knowledge_bases"
CUSTOM_MODELS = "resources.bedrock.custom_models"
# The job was deleted, or lives where this account cannot see it.
NO_JOB = frozenset({"ResourceNotFoundException"})


def collect_agents(ctx: Context, region: str | None) -> list[Item]:
    client = ctx.clients.get("bedrock-agent", region)
    summaries = paginate(client, "list_agents", "agentSummaries")
    agents = each(lambda a: client.get_agent(agentId=a["agentId"])["agent"], summaries, ctx.workers)
    return [
        ("resource.bedrock.agent", a["agentArn"], BedrockAgent(
            arn=a["agentArn"], region=region, name=a["agentName"], agent_id=a["agentId"],
            foundation_model=a.get("foundationModel"),
            roles=[a["agentResourceRoleArn"]] if a.get("agentResourceRoleArn") else [],
        ))
        for a in agents
    ]


def collect_knowledge_bases(ctx: Context, region: str | None) -> list[Item]:
    client = ctx.clients.get("bedrock-agent", region)
    summaries = paginate(client, "list_knowledge_bases", "knowledgeBaseSummaries")
    bases = each(lambda k: client.get_knowledge_base(knowledgeBaseId=k["knowledgeBaseId"])["knowledgeBase"],
                 summaries, ctx.workers)
    return [
        ("resource.bedrock.knowledge_base", k["knowledgeBaseArn"], BedrockKnowledgeBase(
            arn=k["knowledgeBaseArn"], region=region, name=k["name"], knowledge_base_id=k["knowledgeBaseId"],
            roles=[k["roleArn"]] if k.get("roleArn") else [],
        ))
        for k in bases
    ]


def get_custom_model(client, arn: str, account_id: str) -> tuple[dict, str | None]:
    model = client.get_custom_model(modelIdentifier=arn)
    job_arn = model.get("jobArn") or ""
    # A model copied from another account names a job there, which this account cannot read.
    if not model.get("jobName") or job_arn.split(":")[4:5] != [account_id]:
        return model, None
    # The job's name, not its ARN: equivalent to AWS, and moto does not decode an ARN in the path.
    job = unless(NO_JOB, lambda: client.get_model_customization_job(jobIdentifier=model["jobName"]))
    return model, (job or {}).get("roleArn")


def collect_custom_models(ctx: Context, region: str | None) -> list[Item]:
    client = ctx.clients.get("bedrock", region)
    summaries = paginate(client, "list_custom_models", "modelSummaries")
    models = each(lambda m: get_custom_model(client, m["modelArn"], ctx.account_id), summaries, ctx.workers)
    return [
        ("resource.bedrock.custom_model", m["modelArn"], BedrockCustomModel(
            arn=m["modelArn"], region=region, name=m["modelName"], base_model_arn=m.get("baseModelArn"),
            job_arn=m.get("jobArn"), roles=[role] if role else [],
        ))
        for m, role in models
    ]
