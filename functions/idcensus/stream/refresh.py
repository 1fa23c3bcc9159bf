"""Targeted re-collection: one principal or policy, with its own IAM reads (never the whole account).

Each kind reads the principal into the shape GetAccountAuthorizationDetails gives, so the census's
transforms in collect/iam.py make the record; what only the credential report knows (password and
key use, service credentials) is kept from the previous record. The record is written with
StateTable semantics (content hash; change created / updated / deleted).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from idcensus.aws import paginate
from idcensus.collect import credentials as cred
from idcensus.collect import iam as iamc
from idcensus.collect.contract import Org
from idcensus.collect.documents import latest, timestamp
from idcensus.errors import PrincipalGone, error_code, translate
from idcensus.model.records import AccessKey, Mfa, MfaDevice, Password, User, content_hash, make_record
from idcensus.store.state import StateTable, pk
from idcensus.stream.refresh_sso import SSO_KINDS, refresh_sso

log = logging.getLogger("idcensus")


def _inline(iam, list_op: str, get_op: str, **who) -> list[dict[str, Any]]:
    names = paginate(iam, list_op, "PolicyNames", **who)
    return [{"PolicyName": n, "PolicyDocument": getattr(iam, get_op)(PolicyName=n, **who)["PolicyDocument"]}
            for n in names]


def get_user(iam, name: str) -> dict[str, Any]:
    user = iam.get_user(UserName=name)["User"]
    groups = paginate(iam, "list_groups_for_user", "Groups", UserName=name)
    try:
        iam.get_login_profile(UserName=name)
        login = True
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        login = False
    return {**user, "GroupList": [g["GroupName"] for g in groups], "_group_arns": {g["GroupName"]: g["Arn"] for g in groups},
            "AttachedManagedPolicies": paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name),
            "UserPolicyList": _inline(iam, "list_user_policies", "get_user_policy", UserName=name),
            "_keys": cred.list_access_keys(iam, name), "_mfa": cred.list_mfa_devices(iam, name), "_login": login}


def transform_user(u: dict[str, Any], previous: dict[str, Any] | None) -> User:
    prev = previous or {}
    prev_keys = {k["id"]: k for k in prev.get("access_keys") or [] if k.get("id")}
    keys = []
    for item in sorted(u["_keys"], key=lambda k: k.get("CreateDate") or 0):
        old = prev_keys.get(item["AccessKeyId"], {})
        keys.append(AccessKey(id=item["AccessKeyId"], status=item["Status"], created_at=timestamp(item.get("CreateDate")),
                              last_used_at=old.get("last_used_at"), last_used_service=old.get("last_used_service"),
                              last_used_region=old.get("last_used_region")))
    old_pw = prev.get("password") or {}
    password = Password(enabled=u["_login"], last_used_at=old_pw.get("last_used_at"),
                        last_changed_at=old_pw.get("last_changed_at"), next_rotation_at=old_pw.get("next_rotation_at"))
    return User(
        name=u["UserName"], arn=u["Arn"], user_id=u["UserId"], path=u.get("Path", "/"),
        created_at=timestamp(u.get("CreateDate")), tags=iamc.tags(u.get("Tags")),
        groups=sorted(u["_group_arns"].values()), attached_policies=iamc.attached(u["AttachedManagedPolicies"]),
        inline_policies=iamc.inline_policies(u["UserPolicyList"]), permissions_boundary=iamc.boundary(u),
        password=password, mfa=Mfa(enabled=bool(u["_mfa"]), devices=_same_devices(u["_mfa"], prev)), access_keys=keys,
        service_credentials=prev.get("service_credentials"),
        signing_certificates=prev.get("signing_certificates"), ssh_public_keys=prev.get("ssh_public_keys"),
        last_activity_at=latest(password.last_used_at, *[k.last_used_at for k in keys]),
    )


def _same_devices(devices: list[MfaDevice], prev: dict[str, Any]) -> list[MfaDevice]:
    """Keep the census's enable date of a device it saw: ListVirtualMFADevices and ListMFADevices may
    round it differently, which is no change."""
    known = {d["serial"]: timestamp(d.get("enabled_at")) for d in (prev.get("mfa") or {}).get("devices", [])}
    out = []
    for d in devices:
        old = known.get(d.serial)
        if old and d.enabled_at and abs((old - d.enabled_at).total_seconds()) < 1:
            d = d.model_copy(update={"enabled_at": old})
        out.append(d)
    return out


def get_role(iam, name: str) -> dict[str, Any]:
    role = iam.get_role(RoleName=name)["Role"]
    return {**role, "AttachedManagedPolicies": paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name),
            "RolePolicyList": _inline(iam, "list_role_policies", "get_role_policy", RoleName=name),
            "InstanceProfileList": paginate(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=name)}


def transform_role(r: dict[str, Any], previous: dict[str, Any] | None, org: Org | None = None):
    # `org` (the organization the last census saw) tells sister accounts from outsiders in the trust policy.
    return iamc.transform_roles(iamc.AuthorizationDetails(roles=[r]), {r["Arn"]: r}, org=org)[0]  # GetRole: ListRoles' shape


def get_group(iam, name: str) -> dict[str, Any]:
    pages = list(iam.get_paginator("get_group").paginate(GroupName=name))
    return {**pages[0]["Group"], "_members": [u for p in pages for u in p["Users"]],
            "AttachedManagedPolicies": paginate(iam, "list_attached_group_policies", "AttachedPolicies", GroupName=name),
            "GroupPolicyList": _inline(iam, "list_group_policies", "get_group_policy", GroupName=name)}


def transform_group(g: dict[str, Any], previous: dict[str, Any] | None):
    users = [{"Arn": u["Arn"], "GroupList": [g["GroupName"]]} for u in g["_members"]]
    return iamc.transform_groups(iamc.AuthorizationDetails(groups=[g], users=users))[0]


def get_policy(iam, arn: str) -> dict[str, Any]:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    return {**policy, "PolicyVersionList": [{**version, "IsDefaultVersion": True}]}


def transform_policy(p: dict[str, Any], previous: dict[str, Any] | None):
    # An AWS-managed policy nothing is attached to is not inventoried: absent, like in the census.
    found = iamc.transform_policies(iamc.AuthorizationDetails(policies=[p]))
    return found[0] if found else None


KINDS = {
    "iam.user": (get_user, transform_user),
    "iam.role": (get_role, transform_role),
    "iam.group": (get_group, transform_group),
    "iam.policy": (get_policy, transform_policy),
}


def find_by_name(state: StateTable, account_id: str, kind: str, name: str) -> dict[str, Any] | None:
    """The stored record of a principal known only by name (its ARN's path is unknown once it is gone)."""
    if kind == "iam.policy":
        return state.get(account_id, kind, name)
    resource = kind.split(".", 1)[1]
    params: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk(account_id)) & Key("sk").begins_with(f"{kind}#arn:"),
                              "ProjectionExpression": "sk"}
    while True:
        page = state.table.query(**params)
        for item in page["Items"]:
            arn = item["sk"].split("#", 1)[1]
            if f":{account_id}:{resource}/" in arn and arn.rsplit("/", 1)[-1] == name:
                return state.get(account_id, kind, arn)
        if "LastEvaluatedKey" not in page:
            return None
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def refresh_one(iam, state: StateTable, account_id: str, kind: str, name: str, *, run_id: str,
                now: str) -> dict[str, Any] | None:
    """Re-collect one principal; returns the changed record plus `change`, or None when unchanged."""
    get, transform = KINDS[kind]
    try:
        raw = get(iam, name)
    except Exception as exc:  # noqa: BLE001 - translated; only "gone" is handled here
        err = translate(exc, f"{kind} {name}")
        if not isinstance(err, PrincipalGone):
            raise err from exc
        return _mark_deleted(state, find_by_name(state, account_id, kind, name), now)
    arn = raw["Arn"]
    previous = state.get(account_id, kind, arn)
    extra = {"org": organization_scope(state, account_id)} if kind == "iam.role" else {}
    data = transform(raw, previous["data"] if previous else None, **extra)
    if data is None:
        return _mark_deleted(state, previous, now)
    record = make_record(kind, arn, account_id, data, run_id=run_id, collected_at=now)
    if previous is not None and content_hash(previous) == content_hash(record):
        return None
    state.put_record(record)
    return {**record, "change": "created" if previous is None or previous.get("deleted") else "updated"}


def organization_scope(state: StateTable, account_id: str) -> Org:
    """Who is inside, as the last census run recorded it; the account alone when no run has yet."""
    ids, organization_id = state.organization()
    return Org(account_id=account_id, accounts=frozenset(ids), organization_id=organization_id)


def _mark_deleted(state: StateTable, previous: dict[str, Any] | None, now: str) -> dict[str, Any] | None:
    if previous is None or previous.get("deleted"):
        return None
    gone = {**previous, "deleted": True, "deleted_at": now}
    state.put_record(gone)
    return {**gone, "change": "deleted"}


class Refresher:
    """Refreshes targets account by account, assuming each member read role once."""

    def __init__(self, factory, state: StateTable, role_name: str, external_id: str | None):
        self.factory, self.state = factory, state
        self.role_name, self.external_id = role_name, external_id
        self._iam: dict[str, Any] = {}
        self._members: dict[str, Any] = {}

    def member(self, account_id: str):
        if account_id not in self._members:
            self._members[account_id] = self.factory.assume(self.factory.role_arn(account_id, self.role_name),
                                                            self.external_id, "idcensus-refresh")
        return self._members[account_id]

    def iam(self, account_id: str):
        if account_id not in self._iam:
            self._iam[account_id] = self.member(account_id).client("iam")
        return self._iam[account_id]

    def refresh_all(self, account_id: str, kind: str, name: str, *, run_id: str, now: str) -> list[dict[str, Any]]:
        """Every changed record: one for an IAM principal, several for a set's assignments."""
        if kind in SSO_KINDS:
            return refresh_sso(self.member(account_id), self.state, account_id, kind, name, run_id=run_id, now=now)
        change = self.refresh(account_id, kind, name, run_id=run_id, now=now)
        return [change] if change is not None else []

    def refresh(self, account_id: str, kind: str, name: str, *, run_id: str, now: str) -> dict[str, Any] | None:
        if kind not in KINDS:
            # A kind no single-target collector handles: logged, not lost silently.
            log.info("refresh of %s %s in %s skipped: no single-target collector for this kind", kind, name, account_id)
            return None
        return refresh_one(self.iam(account_id), self.state, account_id, kind, name, run_id=run_id, now=now)


def request_body(account_id: str, kind: str, name: str, event_id: str | None, requested_at: str) -> str:
    return json.dumps({"account_id": account_id, "kind": kind, "name": name, "event_id": event_id,
                       "requested_at": requested_at}, sort_keys=True)
