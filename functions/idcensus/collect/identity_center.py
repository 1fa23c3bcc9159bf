"""IAM Identity Center (Tier 2): instances, identity store users and groups, permission sets, account assignments.

Each instance is collected once, in the account that owns it (OwnerAccountId): the organization
instance in the management account, an account instance in its member account. A delegated
administrator also sees the organization instance, but it is left to the owner's run so that no
record appears under two accounts. A response without OwnerAccountId (older API shape) counts as
owned by the account that lists it: account instances are only visible to their owner.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from idcensus.aws import paginate
from idcensus.collect.documents import policy_document, tags, timestamp
from idcensus.errors import IdcensusError, PrincipalGone, error_code, translate
from idcensus.model.sso import (  # noqa: F401 - link_roles, role_matches re-exported for the export
    SSO_ROLE_PATH,
    SSO_ROLE_PREFIX,
    CustomerPolicyReference,
    PermissionsBoundary,
    SsoAccountAssignment,
    SsoEmail,
    SsoGroup,
    SsoInstance,
    SsoPermissionSet,
    SsoUser,
    link_roles,
    role_matches,
    role_path,
)

log = logging.getLogger("idcensus")

if TYPE_CHECKING:
    from idcensus.collect.account import AccountInfo, CollectOptions, Outcomes
    from idcensus.model.records import Item

WORKERS = 8
SUB_CAPABILITIES = ("sso.identity_store", "sso.permission_sets", "sso.account_assignments")
NOT_LATEST = "LATEST_PERMISSION_SET_NOT_PROVISIONED"


def collect(factory, info: AccountInfo, out: Outcomes, options: CollectOptions) -> list[Item]:
    region = options.identity_center_region or factory.region
    sso = factory.client("sso-admin", region=region)
    instances = out.run("sso.instances", lambda: owned_instances(sso, info.account_id, region))
    if instances is None:  # denied or failed: nothing below can be read, and nothing is "empty"
        out.capabilities.update(dict.fromkeys(SUB_CAPABILITIES, "skipped"))
        return []
    items: list[Item] = [("sso.instance", i.instance_arn, i) for i in instances]
    store = factory.client("identitystore", region=region)
    people = out.run("sso.identity_store", lambda: [r for i in instances for r in read_directory(store, i, out)])
    listed = functools.cache(functools.partial(permission_sets, sso))  # both capabilities need the listing
    sets = out.run("sso.permission_sets",
                   lambda: [s for i in instances for s in read_permission_sets(sso, i, out, listed)])
    names = {r.user_id: r.user_name for r in people or [] if isinstance(r, SsoUser)}
    names |= {r.group_id: r.display_name for r in people or [] if isinstance(r, SsoGroup)}
    ps_names = {s.arn: s.name for s in sets or []}
    assignments = out.run(
        "sso.account_assignments",
        lambda: read_assignments(factory, sso, instances, info.account_id, options.org_accounts, out,
                                 names, ps_names, region, listed),
    )
    items += [(_type(r), _id(r), r) for r in [*(people or []), *(sets or []), *(assignments or [])]]
    return items


def _type(r) -> str:
    return {SsoUser: "sso.user", SsoGroup: "sso.group", SsoPermissionSet: "sso.permission_set",
            SsoAccountAssignment: "sso.account_assignment"}[type(r)]


def _id(r) -> str:
    if isinstance(r, SsoAccountAssignment):
        return assignment_id(r)
    return r.arn


def assignment_id(a: SsoAccountAssignment) -> str:
    # The permission set ARN names the instance; the account is the assignment's only scope.
    return f"{a.permission_set_arn}/{a.account_id}/{a.principal_type}/{a.principal_id}"


# ---- get_ (paginate, raise) ------------------------------------------------------------------

def permission_sets(sso, instance_arn: str) -> list[str]:
    try:
        return paginate(sso, "list_permission_sets", "PermissionSets", InstanceArn=instance_arn)
    except ClientError as exc:
        # An account instance has no permission sets (and no account access): AWS answers
        # ValidationException. Nothing to read there, which is not a failure.
        if error_code(exc) == "ValidationException":
            return []
        raise


def owned_instances(sso, account_id: str, region: str) -> list[SsoInstance]:
    return [transform_instance(i, account_id, region) for i in paginate(sso, "list_instances", "Instances")
            if i.get("OwnerAccountId", account_id) == account_id]


def each(items: Iterable, fn: Callable[[Any], Any], out: Outcomes, what: str,
         name: Callable[[Any], str]) -> list[tuple[Any, Any]]:
    """(item, fn(item)) for each item, WORKERS at a time. An item deleted meanwhile
    (ResourceNotFoundException) is skipped and recorded by name; any other error fails the capability."""

    def one(item):
        try:
            return item, fn(item)
        except Exception as exc:  # noqa: BLE001 - translated, then sorted below
            return item, translate(exc, f"{what} {name(item)}")

    results: list[tuple[Any, Any]] = []
    error: IdcensusError | None = None
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for item, value in pool.map(one, list(items)):
            if isinstance(value, PrincipalGone):
                out.skipped.append(name(item))
            elif isinstance(value, IdcensusError):
                error = error or value
            else:
                results.append((item, value))
    if error:
        raise error
    return results


def read_directory(store, inst: SsoInstance, out: Outcomes) -> list[SsoUser | SsoGroup]:
    sid = inst.identity_store_id
    users = paginate(store, "list_users", "Users", IdentityStoreId=sid)
    groups = paginate(store, "list_groups", "Groups", IdentityStoreId=sid)
    # One listing per group, not per user: groups are far fewer than users (100 vs 1,000 calls).
    members = each(groups, lambda g: paginate(store, "list_group_memberships", "GroupMemberships",
                                           IdentityStoreId=sid, GroupId=g["GroupId"]),
                   out, "identitystore group", _group_arn)
    return transform_directory(inst, users, groups, {_group_arn(g): m for g, m in members})


def read_permission_sets(sso, inst: SsoInstance, out: Outcomes,
                         listed: Callable[[str], list[str]]) -> list[SsoPermissionSet]:
    arn = inst.instance_arn
    listed = listed(arn)

    found = each(listed, lambda ps: read_permission_set(sso, arn, ps), out, "permission set", str)
    return [transform_permission_set(arn, ps, raw) for ps, raw in found]


def read_permission_set(sso, instance_arn: str, ps: str) -> dict[str, Any]:
    """One set's six reads; ResourceNotFoundException from DescribePermissionSet means it is gone."""
    q = {"InstanceArn": instance_arn, "PermissionSetArn": ps}
    return {
        "set": sso.describe_permission_set(**q)["PermissionSet"],
        "managed": paginate(sso, "list_managed_policies_in_permission_set", "AttachedManagedPolicies", **q),
        "customer": paginate(sso, "list_customer_managed_policy_references_in_permission_set",
                          "CustomerManagedPolicyReferences", **q),
        "inline": sso.get_inline_policy_for_permission_set(**q).get("InlinePolicy"),
        "boundary": _boundary(sso, q),
        "tags": paginate(sso, "list_tags_for_resource", "Tags", InstanceArn=instance_arn, ResourceArn=ps),
    }


def _boundary(sso, q: dict) -> dict | None:
    try:
        return sso.get_permissions_boundary_for_permission_set(**q).get("PermissionsBoundary")
    except ClientError as exc:
        # No boundary attached answers ResourceNotFoundException; the permission set itself was
        # just described, so this is not a deletion.
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def read_assignments(factory, sso, instances, account_id: str, org_accounts: tuple[str, ...], out: Outcomes,
                     names: dict[str, str | None], ps_names: dict[str, str], region: str,
                     listed: Callable[[str], list[str]]) -> list[SsoAccountAssignment]:
    """Assignments per instance and per account. An account's provisioned permission sets (one
    listing per account) bound which (permission set, account) pairs can hold assignments: AWS
    provisions a set into an account with its first assignment there and removes it with the last."""
    accounts = sorted(set(org_accounts) | {account_id}) if org_accounts else [account_id]
    found: list[SsoAccountAssignment] = []
    for inst in instances:
        arn = inst.instance_arn
        in_instance = set(listed(arn))
        if not in_instance:
            continue

        def provisioned(acct: str, arn: str = arn) -> tuple[set[str], set[str]]:
            q = {"InstanceArn": arn, "AccountId": acct}
            everything = set(paginate(sso, "list_permission_sets_provisioned_to_account", "PermissionSets", **q))
            outdated = set(paginate(sso, "list_permission_sets_provisioned_to_account", "PermissionSets",
                                 ProvisioningStatus=NOT_LATEST, **q))
            return everything, outdated

        status = dict(each(accounts, provisioned, out, "account", str))
        pairs = [(acct, ps) for acct in sorted(status) for ps in sorted(status[acct][0] & in_instance)]
        raw = each(pairs, lambda p, arn=arn: paginate(sso, "list_account_assignments", "AccountAssignments",
                                                    InstanceArn=arn, AccountId=p[0], PermissionSetArn=p[1]),
                   out, "permission set", lambda p: p[1])
        for (acct, ps), rows in raw:
            state = "outdated" if ps in status[acct][1] else "provisioned"
            found += [transform_assignment(arn, r, acct, state, names, ps_names.get(ps), region)
                      for r in rows if r["AccountId"] == acct]
    if any(a.account_id == account_id for a in found):
        # The run reads this account's IAM too: the exact role is one paginated listing away.
        try:
            roles = paginate(factory.client("iam"), "list_roles", "Roles", PathPrefix=SSO_ROLE_PATH)
        except Exception as exc:  # noqa: BLE001 - the role is a convenience; link_roles joins it later
            log.warning("sso roles of %s not read: %s", account_id, translate(exc, "iam:ListRoles"))
            return found
        found = [_with_role(a, roles) if a.account_id == account_id else a for a in found]
    return found


# ---- transform_ (pure) -----------------------------------------------------------------------

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


def _group_arn(g: dict) -> str:
    return g.get("GroupArn") or f"arn:aws:identitystore:::group/{g['GroupId']}"


def transform_directory(inst: SsoInstance, users: list[dict], groups: list[dict],
                        members: dict[str, list[dict]]) -> list[SsoUser | SsoGroup]:
    by_group: dict[str, list[str]] = {}
    user_groups: dict[str, list[str]] = {}
    for g in groups:
        ids = sorted(m["MemberId"].get("UserId") or m["MemberId"].get("GroupId", "")
                     for m in members.get(_group_arn(g), []))
        by_group[g["GroupId"]] = [i for i in ids if i]
        for uid in by_group[g["GroupId"]]:
            user_groups.setdefault(uid, []).append(g["GroupId"])
    common = {"instance_arn": inst.instance_arn, "identity_store_id": inst.identity_store_id}
    records: list[SsoUser | SsoGroup] = [
        SsoUser(
            user_id=u["UserId"],
            arn=u.get("UserArn") or f"arn:aws:identitystore:::user/{u['UserId']}",
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
        SsoGroup(group_id=g["GroupId"], arn=_group_arn(g), display_name=g.get("DisplayName"),
                 description=g.get("Description") or None, members=by_group[g["GroupId"]], **common)
        for g in groups if _group_arn(g) in members
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


def _with_role(a: SsoAccountAssignment, roles: list[dict]) -> SsoAccountAssignment:
    arn = next((r["Arn"] for r in roles if role_matches(a.role_name_prefix, r["RoleName"], r["Path"])), None)
    return a.model_copy(update={"role_arn": arn})
