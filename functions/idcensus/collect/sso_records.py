"""Identity Center records from what AWS answered: instances, users and groups, permission sets,
account assignments. Pure; identity_center.py (the census) and identity_center_one.py (one target,
for the activity stream's refresh) both build their records here, so the two cannot differ."""

from __future__ import annotations

from typing import Any

from idcensus.arns import identity_store_arn, partition_of_arn
from idcensus.collect.documents import policy_document, tags, timestamp
from idcensus.model.sso import (
    SSO_ROLE_PREFIX,
    CustomerPolicyReference,
    PermissionsBoundary,
    SsoAccountAssignment,
    SsoEmail,
    SsoGroup,
    SsoInstance,
    SsoPermissionSet,
    SsoUser,
    role_matches,
    role_path,
)


def transform_instance(i: dict, account_id: str, region: str) -> SsoInstance:
    return SsoInstance(
        instance_arn=i["InstanceArn"],
        identity_store_id=i["IdentityStoreId"],
        owner_account_id=i.get("OwnerAccountId") or account_id,
        name=i.get("Name") or None,
        status=i.get("Status"),
        created_at=timestamp(i.get("CreatedDate")),
        region=region,
    )


def group_arn(g: dict, part: str = "aws") -> str:
    return g.get("GroupArn") or identity_store_arn("group", g["GroupId"], part)


def transform_directory(inst: SsoInstance, users: list[dict], groups: list[dict],
                        members: dict[str, list[dict]]) -> list[SsoUser | SsoGroup]:
    by_group: dict[str, list[str]] = {}
    user_groups: dict[str, list[str]] = {}
    for g in groups:
        ids = sorted(m["MemberId"].get("UserId") or m["MemberId"].get("GroupId", "")
                     for m in members.get(g["GroupId"], []))
        by_group[g["GroupId"]] = [i for i in ids if i]
        for uid in by_group[g["GroupId"]]:
            user_groups.setdefault(uid, []).append(g["GroupId"])
    common = {"instance_arn": inst.instance_arn, "identity_store_id": inst.identity_store_id}
    part = partition_of_arn(inst.instance_arn)  # the ids AWS does not give, in the instance's partition
    records: list[SsoUser | SsoGroup] = [
        SsoUser(
            user_id=u["UserId"],
            arn=u.get("UserArn") or identity_store_arn("user", u["UserId"], part),
            user_name=u["UserName"],
            display_name=u.get("DisplayName") or None,
            emails=[SsoEmail(value=e["Value"], type=e.get("Type"), primary=e.get("Primary"))
                    for e in u.get("Emails") or [] if e.get("Value")],
            status=u.get("UserStatus"),
            groups=sorted(user_groups.get(u["UserId"], [])),
            **common,
        )
        for u in users
    ]
    records += [
        SsoGroup(group_id=g["GroupId"], arn=group_arn(g, part), display_name=g.get("DisplayName"),
                 description=g.get("Description") or None, members=by_group[g["GroupId"]], **common)
        for g in groups if g["GroupId"] in members
    ]
    return records


def transform_permission_set(instance_arn: str, arn: str, raw: dict[str, Any]) -> SsoPermissionSet:
    ps, boundary = raw["set"], raw["boundary"]
    cmp = (boundary or {}).get("CustomerManagedPolicyReference")
    return SsoPermissionSet(
        arn=arn,
        instance_arn=instance_arn,
        name=ps["Name"],
        description=ps.get("Description") or None,
        created_at=timestamp(ps.get("CreatedDate")),
        session_duration=ps.get("SessionDuration") or None,
        relay_state=ps.get("RelayState") or None,
        managed_policies=sorted(p["Arn"] for p in raw["managed"]),
        customer_managed_policies=[CustomerPolicyReference(name=r["Name"], path=r.get("Path") or "/")
                                   for r in raw["customer"]],
        inline_policy=policy_document(raw["inline"]) if raw["inline"] else None,
        permissions_boundary=PermissionsBoundary(
            managed_policy_arn=boundary.get("ManagedPolicyArn"),
            customer_managed_policy=CustomerPolicyReference(name=cmp["Name"], path=cmp.get("Path") or "/")
            if cmp else None,
        ) if boundary else None,
        tags=tags(raw["tags"]),
    )


def transform_assignment(instance_arn: str, row: dict, account_id: str, state: str, names: dict,
                         ps_name: str | None, region: str) -> SsoAccountAssignment:
    return SsoAccountAssignment(
        instance_arn=instance_arn,
        permission_set_arn=row["PermissionSetArn"],
        permission_set_name=ps_name,
        account_id=account_id,
        principal_type=row["PrincipalType"],
        principal_id=row["PrincipalId"],
        principal_name=names.get(row["PrincipalId"]),
        provisioning_status=state,
        role_name_prefix=f"{SSO_ROLE_PREFIX}{ps_name}_" if ps_name else None,
        role_path=role_path(region),
    )


def with_role(a: SsoAccountAssignment, roles: list[dict]) -> SsoAccountAssignment:
    arn = next((r["Arn"] for r in roles if role_matches(a.role_name_prefix, r["RoleName"], r["Path"])), None)
    return a.model_copy(update={"role_arn": arn})


def assignment_id(a: SsoAccountAssignment) -> str:
    # The permission set ARN names the instance; the account is the assignment's only scope.
    return f"{a.permission_set_arn}/{a.account_id}/{a.principal_type}/{a.principal_id}"
