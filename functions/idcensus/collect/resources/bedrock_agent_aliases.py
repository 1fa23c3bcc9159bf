"""Bedrock agent aliases (what callers invoke) and the agent versions they route to: one agent
listing, then one alias listing per agent."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each
from idcensus.collect.resources.bedrock_agents import list_agents
from idcensus.model.records import Item
from idcensus.model.resources import BedrockAgentAlias

Raw = list[tuple[dict, list[dict]]]  # (ListAgents entry, its aliases)


def get(ctx: Context, region: str | None) -> Raw:
    client = ctx.client("bedrock-agent", region)
    agents = list_agents(ctx, client, region)  # shared with the agents collector
    aliases = each(lambda a: paginate(client, "list_agent_aliases", "agentAliasSummaries", agentId=a["agentId"]),
                   agents, ctx.workers)
    return list(zip(agents, aliases, strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for agent, aliases in raw:
        for a in aliases:
            arn = (f"arn:{scope.partition}:bedrock:{scope.region}:{scope.account_id}:agent-alias/"
                   f"{agent['agentId']}/{a['agentAliasId']}")
            items.append(("resource.bedrock.agent_alias", arn, BedrockAgentAlias(
                arn=arn, region=scope.region, name=a["agentAliasName"], agent_id=agent["agentId"],
                alias_id=a["agentAliasId"], status=a.get("agentAliasStatus"),
                agent_versions=sorted(r["agentVersion"] for r in a.get("routingConfiguration", [])
                                      if r.get("agentVersion")))))
    return items
