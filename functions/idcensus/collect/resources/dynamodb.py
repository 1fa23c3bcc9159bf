"""DynamoDB tables and their resource policies."""

from __future__ import annotations

from idcensus.collect.documents import policy_document
from idcensus.collect.resources.base import Context, paginate, partition, policies, readable, unless
from idcensus.model.records import Item
from idcensus.model.resources import DynamoDbTable

CAPABILITY = "resources.dynamodb.tables"
# No policy, or the table went away between the listing and the read.
NO_POLICY = frozenset({"PolicyNotFoundException", "ResourceNotFoundException"})


def get_tables(ddb) -> list[str]:
    return paginate(ddb, "list_tables", "TableNames")


def get_policy(ddb, arn: str) -> dict | None:
    found = unless(NO_POLICY, lambda: ddb.get_resource_policy(ResourceArn=arn))
    return policy_document(found["Policy"]) if found else None


def table_arn(region: str | None, account_id: str, table: str) -> str:
    return f"arn:{partition(region)}:dynamodb:{region}:{account_id}:table/{table}"


def collect(ctx: Context, region: str | None) -> list[Item]:
    ddb = ctx.clients.get("dynamodb", region)
    arns = [table_arn(region, ctx.account_id, t) for t in get_tables(ddb)]
    results = policies(lambda arn: get_policy(ddb, arn), arns, ctx.workers)
    return [
        ("resource.dynamodb.table", arn, DynamoDbTable(
            arn=arn, region=region, name=arn.rsplit("/", 1)[1], policy=policy, policy_refused=refused,
            external_principals=ctx.external(policy),
        ))
        for arn, (policy, refused) in zip(arns, map(readable, results), strict=True)
    ]
