"""IAM Identity Center (Tier 2): instances, identity store users and groups, permission sets, account assignments.

Each instance is collected once, in the account that owns it (OwnerAccountId): the organization
instance in the management account, an account instance in its member account. A delegated
administrator also sees the organization instance, but it is left to the owner's run so that no
record appears under two accounts. A response without OwnerAccountId (older API shape) counts as
owned by the account that lists it: account instances are only visible to their owner.

One collector for the four `sso.*` capabilities: `get` records each one's outcome (a denied
instance listing skips the rest), `transform` is pure.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Outcomes, Scope, each_alive
from idcensus.collect.sso_records import (  # noqa: F401 - assignment_id, transform_assignment re-exported
    assignment_id,
    group_arn,
    transform_assignment,
    transform_directory,
    transform_instance,
    transform_permission_set,
    with_role,
)
from idcensus.errors import error_code, translate
from idcensus.model.records import Item
from idcensus.model.sso import (  # noqa: F401 - link_roles, role_matches re-exported for the export
    SSO_ROLE_PATH,
    SsoAccountAssignment,
    SsoGroup,
    SsoPermissionSet,
    SsoUser,
    link_roles,
    role_matches,
)

log = logging.getLogger("idcensus")

SUB_CAPABILITIES = ("sso.identity_store", "sso.permission_sets", "sso.account_assignments")
NOT_LATEST = "LATEST_PERMISSION_SET_NOT_PROVISIONED"


@dataclass(frozen=True)
class Directory:
    users: list[dict]  # ListUsers
    groups: list[dict]  # ListGroups
    members: dict[str, list[dict]]  # ListGroupMemberships by GroupId; a group deleted meanwhile is absent


@dataclass(frozen=True)
class AssignmentRows:
    """ListAccountAssignments rows of one (instance, account, permission set)."""

    instance_arn: str
    account_id: str
    permission_set_arn: str
    state: str  # provisioned | outdated
    rows: list[dict]


@dataclass(frozen=True)
class Answers:
    """What AWS said; None where a capability was denied, failed or skipped."""

    region: str
    instances: list[dict] = field(default_factory=list)  # ListInstances entries this account owns
    directories: list[Directory] | None = None  # one per instance
    permission_sets: list[list[tuple[str, dict]]] | None = None  # per instance: (ARN, the set's reads)
    assignments: list[AssignmentRows] | None = None
    roles: list[dict] | None = None  # this account's AWSReservedSSO_ roles (ListRoles), to link assignments


def get(ctx: Context, region: str | None = None) -> Answers:
    region = ctx.options.identity_center_region or ctx.home_region
    sso = ctx.client("sso-admin", region)
    instances = ctx.run("sso.instances", lambda: owned_instances(ctx, sso))
    if instances is None:  # denied or failed: nothing below can be read, and nothing is "empty"
        ctx.out.capabilities.update(dict.fromkeys(SUB_CAPABILITIES, "skipped"))
        return Answers(region=region)
    store = ctx.client("identitystore", region)
    directories = ctx.run("sso.identity_store",
                          lambda: [get_directory(store, i["IdentityStoreId"], ctx.out, ctx.workers) for i in instances])
    listed = functools.cache(functools.partial(permission_sets, sso))  # both capabilities need the listing
    sets = ctx.run("sso.permission_sets",
                   lambda: [get_permission_sets(sso, i["InstanceArn"], ctx.out, listed, ctx.workers)
                            for i in instances])
    assignments = ctx.run("sso.account_assignments", lambda: get_assignments(ctx, sso, instances, listed))
    roles = None
    if any(a.account_id == ctx.account_id and any(r["AccountId"] == a.account_id for r in a.rows)
           for a in assignments or []):
        # The run reads this account's IAM too: the exact role is one paginated listing away.
        try:
            roles = paginate(ctx.client("iam"), "list_roles", "Roles", PathPrefix=SSO_ROLE_PATH)
        except Exception as exc:  # noqa: BLE001 - the role is a convenience; link_roles joins it later
            log.warning("sso roles of %s not read: %s", ctx.account_id, translate(exc, "iam:ListRoles"))
    return Answers(region=region, instances=instances, directories=directories, permission_sets=sets,
                   assignments=assignments, roles=roles)


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


def owned_instances(ctx: Context, sso) -> list[dict]:
    """The instances this account owns, listed once per run: the applications collector needs them too."""
    return ctx.once("sso.instances", lambda: get_instances(sso, ctx.account_id))


def get_instances(sso, account_id: str) -> list[dict]:
    return [i for i in paginate(sso, "list_instances", "Instances") if i.get("OwnerAccountId", account_id) == account_id]


def get_directory(store, sid: str, out: Outcomes, workers: int = 8) -> Directory:
    users = paginate(store, "list_users", "Users", IdentityStoreId=sid)
    groups = paginate(store, "list_groups", "Groups", IdentityStoreId=sid)
    # One listing per group, not per user: groups are far fewer than users (100 vs 1,000 calls).
    members = each_alive(lambda g: paginate(store, "list_group_memberships", "GroupMemberships",
                                            IdentityStoreId=sid, GroupId=g["GroupId"]),
                         groups, out, what="identitystore group", name=group_arn, workers=workers)
    return Directory(users, groups, {g["GroupId"]: m for g, m in members})  # keyed as transform_directory reads


def get_permission_sets(sso, instance_arn: str, out: Outcomes, listed: Callable[[str], list[str]],
                        workers: int = 8) -> list[tuple[str, dict]]:
    return each_alive(lambda ps: get_permission_set(sso, instance_arn, ps), listed(instance_arn), out,
                      what="permission set", name=str, workers=workers)


def get_permission_set(sso, instance_arn: str, ps: str) -> dict[str, Any]:
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


def get_assignments(ctx: Context, sso, instances: list[dict],
                    listed: Callable[[str], list[str]]) -> list[AssignmentRows]:
    """Assignments per instance and per account. An account's provisioned permission sets (one
    listing per account) bound which (permission set, account) pairs can hold assignments: AWS
    provisions a set into an account with its first assignment there and removes it with the last."""
    org_accounts = ctx.options.org_accounts
    accounts = sorted(set(org_accounts) | {ctx.account_id}) if org_accounts else [ctx.account_id]
    found: list[AssignmentRows] = []
    for inst in instances:
        arn = inst["InstanceArn"]
        in_instance = set(listed(arn))
        if not in_instance:
            continue

        def provisioned(acct: str, arn: str = arn) -> tuple[set[str], set[str]]:
            q = {"InstanceArn": arn, "AccountId": acct}
            everything = set(paginate(sso, "list_permission_sets_provisioned_to_account", "PermissionSets", **q))
            outdated = set(paginate(sso, "list_permission_sets_provisioned_to_account", "PermissionSets",
                                 ProvisioningStatus=NOT_LATEST, **q))
            return everything, outdated

        status = dict(each_alive(provisioned, accounts, ctx.out, what="account", name=str, workers=ctx.workers))
        pairs = [(acct, ps) for acct in sorted(status) for ps in sorted(status[acct][0] & in_instance)]
        raw = each_alive(lambda p, arn=arn: paginate(sso, "list_account_assignments", "AccountAssignments",
                                                    InstanceArn=arn, AccountId=p[0], PermissionSetArn=p[1]),
                         pairs, ctx.out, what="permission set", name=lambda p: p[1], workers=ctx.workers)
        found += [AssignmentRows(arn, acct, ps, "outdated" if ps in status[acct][1] else "provisioned", rows)
                  for (acct, ps), rows in raw]
    return found


# ---- transform (pure) --------------------------------------------------------------------------

def transform(raw: Answers, scope: Scope) -> list[Item]:
    instances = [transform_instance(i, scope.account_id, raw.region) for i in raw.instances]
    people: list[SsoUser | SsoGroup] = [
        r for inst, d in zip(instances, raw.directories or [], strict=False)
        for r in transform_directory(inst, d.users, d.groups, d.members)]
    sets = [transform_permission_set(inst.instance_arn, ps, reads)
            for inst, found in zip(instances, raw.permission_sets or [], strict=False) for ps, reads in found]
    names = {r.user_id: r.user_name for r in people if isinstance(r, SsoUser)}
    names |= {r.group_id: r.display_name for r in people if isinstance(r, SsoGroup)}
    ps_names = {s.arn: s.name for s in sets}
    assignments = [transform_assignment(a.instance_arn, r, a.account_id, a.state, names,
                                        ps_names.get(a.permission_set_arn), raw.region)
                   for a in raw.assignments or [] for r in a.rows if r["AccountId"] == a.account_id]
    if raw.roles is not None:
        assignments = [with_role(a, raw.roles) if a.account_id == scope.account_id else a for a in assignments]
    items: list[Item] = [("sso.instance", i.instance_arn, i) for i in instances]
    return items + [(_type(r), _id(r), r) for r in [*people, *sets, *assignments]]


def _type(r) -> str:
    return {SsoUser: "sso.user", SsoGroup: "sso.group", SsoPermissionSet: "sso.permission_set",
            SsoAccountAssignment: "sso.account_assignment"}[type(r)]


def _id(r) -> str:
    if isinstance(r, SsoAccountAssignment):
        return assignment_id(r)
    return r.arn
