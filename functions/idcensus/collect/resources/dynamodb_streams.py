"""DynamoDB streams and their resource policies (a stream has its own, apart from its table's).

One ListStreams per region (no paginator in botocore: LastEvaluatedStreamArn by hand), then one
GetResourcePolicy per stream.
"""

from __future__ import annotations

from idcensus.collect.contract import Context, Refused, Scope, policies, readable
from idcensus.collect.resources.dynamodb import get_policy
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import DynamoDbStream

Raw = list[tuple[dict, dict | Refused | None]]  # (ListStreams entry, its resource policy)


def get_streams(streams) -> list[dict]:
    found: list[dict] = []
    params: dict = {}
    while True:
        page = streams.list_streams(**params)
        found += page.get("Streams", [])
        if not page.get("LastEvaluatedStreamArn"):
            return found
        params["ExclusiveStartStreamArn"] = page["LastEvaluatedStreamArn"]


def get(ctx: Context, region: str | None) -> Raw:
    streams = get_streams(ctx.client("dynamodbstreams", region))
    ddb = ctx.client("dynamodb", region)
    return list(zip(streams, policies(lambda s: get_policy(ddb, s["StreamArn"]), streams, ctx.workers), strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for s, result in raw:
        policy, refused = readable(result)
        items.append(("resource.dynamodb.stream", s["StreamArn"], DynamoDbStream(
            arn=s["StreamArn"], region=scope.region, name=f"{s['TableName']}/{s.get('StreamLabel', '')}",
            table_name=s["TableName"], label=s.get("StreamLabel"), policy=policy, policy_refused=refused,
            external_principals=external_principals(policy, scope.org),
        )))
    return items
