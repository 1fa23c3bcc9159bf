"""Single-target Identity Center reads for the activity stream's targeted refresh: one permission
set, one set's assignments in a few accounts, one group's members or one user. Same get_ calls
(one user: DescribeUser + ListGroupMembershipsForMember) and transforms (sso_records) as the census,
so a refreshed record is identical to a census's. Never lists the directory (users, groups) or
every permission set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from idcensus.aws import paginate
from idcensus.collect.identity_center import NOT_LATEST, get_permission_set
from idcensus.collect.sso_records import (
    assignment_id,
    transform_assignment,
    transform_directory,
    transform_instance,
    transform_permission_set,
    with_role,
)
from idcensus.model.sso import SSO_ROLE_PATH, SsoAccountAssignment, SsoInstance, SsoUser

if TYPE_CHECKING:
    from idcensus.model.records import Item


def instance_arn_of(ps_arn: str) -> str:
    """arn:aws:sso:::permissionSet/ssoins-1/ps-2 -> arn:aws:sso:::instance/ssoins-1 (the set's ARN names it).
    moto 5.2 spells a set arn:aws:sso:::instance/ssoins-1/ps-2; the same instance comes out."""
    head, _, resource = ps_arn.rpartition(":")
    ssoins = next((p for p in resource.split("/") if p.startswith("ssoins-")), "")
    return f"{head}:instance/{ssoins}"


def find_instance(factory, instance_arn: str | None, account_id: str, region: str | None = None, *,
                  identity_store_id: str | None = None) -> SsoInstance | None:
    """The instance as the calling account sees it (owner or delegated administrator), by its ARN
    or (identitystore events name only the store) its identity store ID; one ListInstances."""
    region = region or factory.region
    listed = paginate(factory.client("sso-admin", region=region), "list_instances", "Instances")
    return next((transform_instance(i, account_id, region) for i in listed
                 if i["InstanceArn"] == instance_arn or (identity_store_id and i["IdentityStoreId"] == identity_store_id)),
                None)


def collect_permission_set(factory, instance: SsoInstance, ps_arn: str, accounts: Iterable[str] = (),
                           names: Mapping[str, str | None] | None = None) -> list[Item]:
    """The set's record and its assignments in `accounts`. Raises ResourceNotFoundException (a
    ClientError) when the set is gone."""
    sso = factory.client("sso-admin", region=instance.region)
    ps = transform_permission_set(instance.instance_arn, ps_arn, get_permission_set(sso, instance.instance_arn, ps_arn))
    return [("sso.permission_set", ps_arn, ps),
            *assignment_items(sso, instance, ps_arn, ps.name, accounts, names or {})]


def collect_assignments(factory, instance: SsoInstance, ps_arn: str, accounts: Iterable[str],
                        names: Mapping[str, str | None] | None = None) -> list[Item]:
    """Only the set's assignments in `accounts`: one DescribePermissionSet (its name makes the
    role prefix), then per account the not-latest listing and the assignments."""
    sso = factory.client("sso-admin", region=instance.region)
    described = sso.describe_permission_set(InstanceArn=instance.instance_arn, PermissionSetArn=ps_arn)
    return assignment_items(sso, instance, ps_arn, described["PermissionSet"]["Name"], accounts, names or {})


def assignment_items(sso, instance: SsoInstance, ps_arn: str, ps_name: str, accounts: Iterable[str],
                     names: Mapping[str, str | None]) -> list[Item]:
    arn, found = instance.instance_arn, []
    for acct in sorted(set(accounts)):
        outdated = paginate(sso, "list_permission_sets_provisioned_to_account", "PermissionSets", InstanceArn=arn,
                         AccountId=acct, ProvisioningStatus=NOT_LATEST)
        rows = paginate(sso, "list_account_assignments", "AccountAssignments", InstanceArn=arn, AccountId=acct,
                     PermissionSetArn=ps_arn)
        state = "outdated" if ps_arn in outdated else "provisioned"
        found += [transform_assignment(arn, r, acct, state, names, ps_name, instance.region)
                  for r in rows if r["AccountId"] == acct]
    return [("sso.account_assignment", assignment_id(a), a) for a in found]


def link_roles_in(factory, items: list[Item], account_id: str) -> list[Item]:
    """The census links an assignment in the account it reads to its AWSReservedSSO_ role; so does
    this, with the same one iam:ListRoles, when `factory` reads that account."""
    roles = paginate(factory.client("iam"), "list_roles", "Roles", PathPrefix=SSO_ROLE_PATH)
    return [(t, i, with_role(d, roles)) if isinstance(d, SsoAccountAssignment) and d.account_id == account_id
            else (t, i, d) for t, i, d in items]


def collect_group(factory, instance: SsoInstance, group: dict) -> list[Item]:
    """One group's record with its members: one ListGroupMemberships listing. `group` has the
    ListGroups shape (GroupId, DisplayName, Description). Raises ResourceNotFoundException when gone."""
    store = factory.client("identitystore", region=instance.region)
    rows = paginate(store, "list_group_memberships", "GroupMemberships", IdentityStoreId=instance.identity_store_id,
                 GroupId=group["GroupId"])
    (record,) = transform_directory(instance, [], [group], {group["GroupId"]: rows})
    return [("sso.group", record.arn, record)]


def collect_user(factory, instance: SsoInstance, user_id: str) -> list[Item]:
    """One user's record with its `groups`: one DescribeUser (the ListUsers shape) and the user's
    memberships (ListGroupMembershipsForMember, paginated). Raises ResourceNotFoundException when gone."""
    store = factory.client("identitystore", region=instance.region)
    sid = instance.identity_store_id
    user = store.describe_user(IdentityStoreId=sid, UserId=user_id)
    rows = paginate(store, "list_group_memberships_for_member", "GroupMemberships", IdentityStoreId=sid,
                 MemberId={"UserId": user_id})
    # The census derives `groups` from each group's members; here each group holds this user only.
    groups = [{"GroupId": r["GroupId"]} for r in rows]
    members = {g["GroupId"]: [r] for g, r in zip(groups, rows, strict=True)}
    records = transform_directory(instance, [user], groups, members)
    return [("sso.user", r.arn, r) for r in records if isinstance(r, SsoUser)]
