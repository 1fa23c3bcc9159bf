"""DynamoDB tables and their resource policies."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, partition, policies, readable, unless
from idcensus.collect.documents import policy_document
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import DynamoDbTable

# No policy, or the table went away between the listing and the read.
NO_POLICY = frozenset({"PolicyNotFoundException", "ResourceNotFoundException"})
Raw = list[tuple[str, dict | Refused | None]]  # (table ARN, its resource policy)


def get_tables(ddb) -> list[str]:
    return paginate(ddb, "list_tables", "TableNames")


def get_policy(ddb, arn: str) -> dict | None:
    found = unless(NO_POLICY, lambda: ddb.get_resource_policy(ResourceArn=arn))
    return policy_document(found["Policy"]) if found else None


def table_arn(region: str | None, account_id: str, table: str) -> str:
    return f"arn:{partition(region)}:dynamodb:{region}:{account_id}:table/{table}"


def get(ctx: Context, region: str | None) -> Raw:
    ddb = ctx.client("dynamodb", region)
    arns = [table_arn(region, ctx.account_id, t) for t in get_tables(ddb)]
    return list(zip(arns, policies(lambda arn: get_policy(ddb, arn), arns, ctx.workers), strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for arn, result in raw:
        policy, refused = readable(result)
        items.append(("resource.dynamodb.table", arn, DynamoDbTable(
            arn=arn, region=scope.region, name=arn.rsplit("/", 1)[1], policy=policy, policy_refused=refused,
            external_principals=external_principals(policy, scope.org),
        )))
    return items
