"""RDS instances: IAM database authentication and the roles RDS assumes for them (one bulk read)."""

from __future__ import annotations

from idcensus.collect.resources.base import Context, paginate
from idcensus.model.records import Item
from idcensus.model.resources import RdsInstance

CAPABILITY = "resources.rds.instances"


def get_instances(rds) -> list[dict]:
    return paginate(rds, "describe_db_instances", "DBInstances")


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


def collect(ctx: Context, region: str | None) -> list[Item]:
    return transform_instances(get_instances(ctx.clients.get("rds", region)), region)
