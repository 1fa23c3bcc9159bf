"""EC2 instances and the role behind each instance profile."""

from __future__ import annotations

from typing import Any

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, partition
from idcensus.model.records import Item
from idcensus.model.resources import Ec2Instance

# Terminated instances linger for an hour without a profile; they are gone, not resources.
LIVE = [{"Name": "instance-state-name", "Values": ["pending", "running", "shutting-down", "stopping", "stopped"]}]


def get_instances(ec2) -> list[dict[str, Any]]:
    reservations = paginate(ec2, "describe_instances", "Reservations", Filters=LIVE)
    return [i for r in reservations for i in r.get("Instances", [])]


def get_profile_roles(iam) -> dict[str, list[str]]:
    """Role ARNs by instance profile ARN: one paginated listing for the account, not a call per profile."""
    return {p["Arn"]: sorted(r["Arn"] for r in p.get("Roles", []))
            for p in paginate(iam, "list_instance_profiles", "InstanceProfiles")}


def get(ctx: Context, region: str | None) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    instances = get_instances(ctx.client("ec2", region))
    profiles: dict[str, list[str]] = {}
    if any(i.get("IamInstanceProfile") for i in instances):
        profiles = ctx.once("iam.instance_profiles", lambda: get_profile_roles(ctx.client("iam")))
    return instances, profiles


def transform(raw: tuple[list[dict[str, Any]], dict[str, list[str]]], scope: Scope) -> list[Item]:
    instances, profiles = raw
    return transform_instances(instances, scope.region, scope.account_id, profiles)


def transform_instances(instances, region: str | None, account_id: str,
                        profiles: dict[str, list[str]]) -> list[Item]:
    items: list[Item] = []
    for i in instances:
        iid = i["InstanceId"]
        arn = f"arn:{partition(region)}:ec2:{region}:{account_id}:instance/{iid}"
        profile = (i.get("IamInstanceProfile") or {}).get("Arn")
        name = next((t["Value"] for t in i.get("Tags", []) if t["Key"] == "Name"), iid)
        items.append(("resource.ec2.instance", arn, Ec2Instance(
            arn=arn, region=region, name=name, instance_id=iid, state=(i.get("State") or {}).get("Name"),
            instance_profile=profile, roles=profiles.get(profile, []) if profile else [],
        )))
    return items
