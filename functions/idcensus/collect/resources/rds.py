"""RDS instances: IAM database authentication and the roles RDS assumes for them (one bulk read)."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope
from idcensus.model.records import Item
from idcensus.model.resources import RdsInstance


def get(ctx: Context, region: str | None) -> list[dict]:
    return paginate(ctx.client("rds", region), "describe_db_instances", "DBInstances")


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    return transform_instances(raw, scope.region)


def transform_instances(instances, region: str | None) -> list[Item]:
    items: list[Item] = []
    for db in instances:
        features = {r["RoleArn"]: r.get("FeatureName") or "" for r in db.get("AssociatedRoles", [])}
        if db.get("MonitoringRoleArn"):
            features[db["MonitoringRoleArn"]] = "enhanced-monitoring"
        items.append(("resource.rds.instance", db["DBInstanceArn"], RdsInstance(
            arn=db["DBInstanceArn"], region=region, name=db["DBInstanceIdentifier"], engine=db.get("Engine"),
            iam_database_auth=bool(db.get("IAMDatabaseAuthenticationEnabled")),
            roles=sorted(features), role_features=dict(sorted(features.items())),
        )))
    return items
