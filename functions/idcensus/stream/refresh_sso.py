"""Targeted refresh of Identity Center records: one permission set, or one set's assignments in one
account, read with the census's own calls (collect/identity_center_one.py) in the account the
event came from (the instance's owner or its delegated administrator), and written under the
instance owner's account, where the census keeps them. StateTable semantics as the IAM refresh:
content hash; change created / updated / deleted.

Target names: sso.permission_set -> the set's ARN; sso.account_assignment -> "<set ARN>/<account>";
sso.group -> the group's identity-store ID; sso.user -> "<identity store ID>/<user ID>" (identitystore
events name the store, not the instance: ListInstances finds it by IdentityStoreId; a bare user ID
means the account's only instance). A user is re-read with DescribeUser + ListGroupMembershipsForMember
(user create, update, delete); a membership change reaches its `groups` through the group's refresh.
"""

from __future__ import annotations

import logging
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

from idcensus.arns import identity_store_arn
from idcensus.aws import paginate
from idcensus.collect.identity_center_one import (
    collect_assignments,
    collect_group,
    collect_permission_set,
    collect_user,
    find_instance,
    instance_arn_of,
    link_roles_in,
)
from idcensus.collect.sso_records import transform_instance
from idcensus.errors import PrincipalGone, translate
from idcensus.model.records import content_hash, make_record
from idcensus.model.sso import SsoUser
from idcensus.store.state import StateTable, pk

log = logging.getLogger("idcensus")

SSO_KINDS = frozenset({"sso.permission_set", "sso.account_assignment", "sso.group", "sso.user"})
# What only another read knows: kept from the stored record when this refresh cannot see it.
_KEPT = ("principal_name", "role_arn")


def assignment_target(ps_arn: str, account_id: str) -> str:
    return f"{ps_arn}/{account_id}"


def split_assignment_target(name: str) -> tuple[str, str]:
    ps_arn, _, account_id = name.rpartition("/")
    return ps_arn, account_id


class StoredNames:
    """An assignment's principal_name from the stored sso.user / sso.group record: the directory is
    not read for one assignment."""

    def __init__(self, state: StateTable, owner: str, part: str = "aws"):
        self.state, self.owner, self.part = state, owner, part

    def get(self, principal_id: str, default: str | None = None) -> str | None:
        for type_, field in (("sso.user", "user_name"), ("sso.group", "display_name")):
            kind = type_.split(".")[1]
            found = self.state.get(self.owner, type_, identity_store_arn(kind, principal_id, self.part))
            if found and not found.get("deleted"):
                return found["data"].get(field)
        return default


def refresh_sso(member, state: StateTable, account_id: str, kind: str, name: str, *, run_id: str,
                now: str) -> list[dict[str, Any]]:
    """Re-collect one sso target through `member` (a factory for `account_id`); the changed records.
    An AWS error raises as an IdcensusError (the caller counts it and moves on), as the IAM refresh does."""
    try:
        return _refresh(member, state, account_id, kind, name, run_id=run_id, now=now)
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, f"{kind} {name}") from exc


def _refresh(member, state: StateTable, account_id: str, kind: str, name: str, *, run_id: str,
             now: str) -> list[dict[str, Any]]:
    if kind == "sso.group":
        return refresh_group(member, state, account_id, name, run_id=run_id, now=now)
    if kind == "sso.user":
        return refresh_user(member, state, account_id, name, run_id=run_id, now=now)
    if kind == "sso.permission_set":
        ps_arn, accounts = name, ()
    else:
        ps_arn, assigned = split_assignment_target(name)
        accounts = (assigned,)
    instance = find_instance(member, instance_arn_of(ps_arn), account_id)
    if instance is None:
        log.info("refresh of %s %s in %s skipped: its instance is not visible there", kind, name, account_id)
        return []
    owner = instance.owner_account_id
    try:
        if kind == "sso.permission_set":
            items = collect_permission_set(member, instance, ps_arn, names=StoredNames(state, owner, member.partition))
        else:
            items = collect_assignments(member, instance, ps_arn, accounts, StoredNames(state, owner, member.partition))
    except Exception as exc:  # noqa: BLE001 - translated; only "gone" is handled here
        err = translate(exc, f"{kind} {name}")
        if not isinstance(err, PrincipalGone):
            raise err from exc
        items = []  # the set is gone: so are its record and its assignments in scope
    stored = _stored(state, owner, kind, ps_arn, accounts)
    if owner == account_id and any(t == "sso.account_assignment" and d.account_id == owner and i not in stored
                                   for t, i, d in items):
        items = link_roles_in(member, items, owner)  # a new assignment in the account the census reads
    return write_changes(state, owner, items, stored, run_id=run_id, now=now)


def write_changes(state: StateTable, owner: str, items, stored: dict[str, dict[str, Any]], *, run_id: str,
                  now: str) -> list[dict[str, Any]]:
    """Write what changed; what is in `stored` (the refresh's scope) but not in `items` is deleted."""
    changes = []
    for type_, id_, data in items:
        previous = stored.pop(id_, None) or state.get(owner, type_, id_)
        record = make_record(type_, id_, owner, data, run_id=run_id, collected_at=now)
        if previous is not None and not previous.get("deleted"):
            record["data"] |= {k: previous["data"].get(k) for k in _KEPT
                               if k in record["data"] and record["data"][k] is None}
            if content_hash(previous) == content_hash(record):
                continue
        state.put_record(record)
        changes.append({**record, "change": "created" if previous is None or previous.get("deleted") else "updated"})
    for previous in stored.values():  # in scope, stored, and no longer there
        gone = {**previous, "deleted": True, "deleted_at": now}
        state.put_record(gone)
        changes.append({**gone, "change": "deleted"})
    return changes


def refresh_group(member, state: StateTable, account_id: str, group_id: str, *, run_id: str,
                  now: str) -> list[dict[str, Any]]:
    """A group's members re-read (one ListGroupMemberships), and the `groups` of the users who
    joined or left it. Name and description are the census's: a group it never saw is skipped
    (reading one needs identitystore:DescribeGroup, which the read role lacks)."""
    arn = identity_store_arn("group", group_id, member.partition)
    sso = member.client("sso-admin", region=member.region)
    instances = [transform_instance(i, account_id, member.region) for i in paginate(sso, "list_instances", "Instances")]
    known = next(((i, r) for i in instances if (r := state.get(i.owner_account_id, "sso.group", arn))
                  and not r.get("deleted")), None)
    if known is None:
        log.info("refresh of sso.group %s in %s skipped: a group the census has not seen", group_id, account_id)
        return []
    instance, previous = known
    owner, old = instance.owner_account_id, previous["data"]
    shape = {"GroupId": group_id, "GroupArn": old["arn"], "DisplayName": old.get("display_name"),
             "Description": old.get("description")}
    try:
        items = collect_group(member, instance, shape)
    except Exception as exc:  # noqa: BLE001 - translated; only "gone" is handled here
        err = translate(exc, f"sso.group {group_id}")
        if not isinstance(err, PrincipalGone):
            raise err from exc
        items = []  # deleted: so are its memberships
    now_in = set(items[0][2].members) if items else set()
    was_in = set(old.get("members") or ())
    items += _member_groups(state, owner, group_id, joined=now_in - was_in, left=was_in - now_in,
                            part=member.partition)
    return write_changes(state, owner, items, {previous["id"]: previous}, run_id=run_id, now=now)


def refresh_user(member, state: StateTable, account_id: str, name: str, *, run_id: str,
                 now: str) -> list[dict[str, Any]]:
    """One user re-read (DescribeUser + its memberships), written under the instance owner; gone ->
    its stored record marked deleted. Group records' `members` are the group refresh's."""
    store_id, _, user_id = name.rpartition("/")
    if store_id:
        instance = find_instance(member, None, account_id, identity_store_id=store_id)
    else:  # no store ID in the event: only an unambiguous instance will do
        listed = paginate(member.client("sso-admin", region=member.region), "list_instances", "Instances")
        instance = transform_instance(listed[0], account_id, member.region) if len(listed) == 1 else None
    if instance is None:
        log.info("refresh of sso.user %s in %s skipped: its instance is not visible there", name, account_id)
        return []
    owner, arn = instance.owner_account_id, identity_store_arn("user", user_id, member.partition)
    try:
        items = collect_user(member, instance, user_id)
    except Exception as exc:  # noqa: BLE001 - translated; only "gone" is handled here
        err = translate(exc, f"sso.user {user_id}")
        if not isinstance(err, PrincipalGone):
            raise err from exc
        items = []
    found = state.get(owner, "sso.user", arn)
    stored = {arn: found} if found and not found.get("deleted") else {}
    if stored and (seen := found["data"].get("last_activity_at")):  # the stream's, which DescribeUser lacks
        items = [(t, i, d.model_copy(update={"last_activity_at": d.last_activity_at or seen}))
                 if t == "sso.user" else (t, i, d) for t, i, d in items]
    return write_changes(state, owner, items, stored, run_id=run_id, now=now)


def _member_groups(state: StateTable, owner: str, group_id: str, *, joined: set[str], left: set[str],
                   part: str = "aws") -> list:
    """The stored users whose `groups` gain or lose this group (as the census derives them)."""
    out = []
    for uid in sorted(joined | left):
        user = state.get(owner, "sso.user", identity_store_arn("user", uid, part))
        if not user or user.get("deleted") or user["data"].get("groups") is None:
            continue
        groups = set(user["data"]["groups"])
        groups = groups | {group_id} if uid in joined else groups - {group_id}
        data = SsoUser.model_validate(user["data"]).model_copy(update={"groups": sorted(groups)})
        out.append(("sso.user", user["id"], data))
    return out


def _stored(state: StateTable, owner: str, kind: str, ps_arn: str, accounts) -> dict[str, dict[str, Any]]:
    """The live (not deleted) stored records this refresh is authoritative for, by id."""
    if kind == "sso.permission_set":
        found = state.get(owner, kind, ps_arn)
        return {ps_arn: found} if found and not found.get("deleted") else {}
    out: dict[str, dict[str, Any]] = {}
    for acct in accounts:
        params: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk(owner)) & Key("sk").begins_with(
            f"sso.account_assignment#{assignment_target(ps_arn, acct)}/")}
        while True:
            page = state.table.query(**params)
            for item in page["Items"]:
                if not item.get("deleted"):
                    out[item["id"]] = state.decode(item)
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return out
