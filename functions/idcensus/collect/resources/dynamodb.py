"""DynamoDB tables, their resource policies and tags. The tags of every table of a region come from
one Resource Groups Tagging listing, not a ListTagsOfResource per table."""

from __future__ import annotations

import logging

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, partition, policies, readable, unless
from idcensus.collect.documents import policy_document, tags
from idcensus.collect.resources.policies import external_principals
from idcensus.errors import translate
from idcensus.model.records import Item
from idcensus.model.resources import DynamoDbTable

log = logging.getLogger("idcensus")

# No policy, or the table went away between the listing and the read.
NO_POLICY = frozenset({"PolicyNotFoundException", "ResourceNotFoundException"})
Raw = tuple[list[tuple[str, dict | Refused | None]], dict[str, dict[str, str]] | None]  # (table ARN, policy), tags


def get_tables(ddb) -> list[str]:
    return paginate(ddb, "list_tables", "TableNames")


def get_policy(ddb, arn: str) -> dict | None:
    found = unless(NO_POLICY, lambda: ddb.get_resource_policy(ResourceArn=arn))
    return policy_document(found["Policy"]) if found else None


def table_arn(region: str | None, account_id: str, table: str) -> str:
    return f"arn:{partition(region)}:dynamodb:{region}:{account_id}:table/{table}"


def get_tags(tagging) -> dict[str, dict[str, str]]:
    """Tags by table ARN: tables without tags are absent (their tags are {})."""
    found = paginate(tagging, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["dynamodb:table"])
    return {r["ResourceARN"]: tags(r.get("Tags")) for r in found}


def get(ctx: Context, region: str | None) -> Raw:
    ddb = ctx.client("dynamodb", region)
    arns = [table_arn(region, ctx.account_id, t) for t in get_tables(ddb)]
    found = list(zip(arns, policies(lambda arn: get_policy(ddb, arn), arns, ctx.workers), strict=True))
    table_tags = None
    if arns:
        try:
            table_tags = get_tags(ctx.client("resourcegroupstaggingapi", region))
        except Exception as exc:  # noqa: BLE001 - tags are one field: unknown, the tables still stand
            log.warning("dynamodb table tags in %s not read: %s", region, translate(exc, "tag:GetResources"))
    return found, table_tags


def transform(raw: Raw, scope: Scope) -> list[Item]:
    found, table_tags = raw
    items: list[Item] = []
    for arn, result in found:
        policy, refused = readable(result)
        items.append(("resource.dynamodb.table", arn, DynamoDbTable(
            arn=arn, region=scope.region, name=arn.rsplit("/", 1)[1], policy=policy, policy_refused=refused,
            external_principals=external_principals(policy, scope.org),
            tags=None if table_tags is None else table_tags.get(arn, {}),
        )))
    return items
