"""Bedrock agents and their service roles."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each
from idcensus.model.records import Item
from idcensus.model.resources import BedrockAgent


def list_agents(ctx: Context, client, region: str | None) -> list[dict]:
    """The region's agents, listed once per run: the agent-alias collector needs them too."""
    return ctx.once(f"bedrock-agent.agents:{region}", lambda: paginate(client, "list_agents", "agentSummaries"))


def get(ctx: Context, region: str | None) -> list[dict]:
    """GetAgent's agent for every listed agent (the listing lacks the role)."""
    client = ctx.client("bedrock-agent", region)
    summaries = list_agents(ctx, client, region)
    return each(lambda a: client.get_agent(agentId=a["agentId"])["agent"], summaries, ctx.workers)


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    return [
        ("resource.bedrock.agent", a["agentArn"], BedrockAgent(
            arn=a["agentArn"], region=scope.region, name=a["agentName"], agent_id=a["agentId"],
            foundation_model=a.get("foundationModel"),
            roles=[a["agentResourceRoleArn"]] if a.get("agentResourceRoleArn") else [],
        ))
        for a in raw
    ]
