"""Records for findings tests, built through the real models (make_record validates every field)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from idcensus.model import make_record
from idcensus.model.governance import OrganizationalUnit, OrganizationPolicy, OrgTarget
from idcensus.model.records import (
    AccessKey,
    Group,
    InlinePolicy,
    ManagedPolicy,
    Mfa,
    MfaDevice,
    Password,
    Role,
    RootKey,
    RootUser,
    User,
)
from idcensus.model.sso import SsoAccountAssignment, SsoEmail, SsoGroup, SsoInstance, SsoPermissionSet, SsoUser

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
A, B, OUTSIDE = "111111111111", "222222222222", "999988887777"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


DAY_AGO, LONG_AGO, TEN_DAYS_AGO = ago(1), ago(400), ago(10)


def rec(type_, id_, account, data):
    return make_record(type_, id_, account, data, run_id="r1", collected_at=NOW.isoformat())


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def user(name, account=A, *, console=False, mfa=None, hardware=False, keys=(), groups=(), attached=(), inline=None,
         tags=None, created=LONG_AGO, last_activity=None, password_used=None, boundary=None):
    serial = f"arn:aws:iam::{account}:u2f/{name}"
    devices = [MfaDevice(serial=serial, type="hardware" if hardware else "virtual")]
    return rec("iam.user", f"arn:aws:iam::{account}:user/{name}", account, User(
        name=name, arn=f"arn:aws:iam::{account}:user/{name}", user_id=f"AIDA{name.upper()}", path="/",
        created_at=created, tags=tags or {}, groups=[f"arn:aws:iam::{account}:group/{g}" for g in groups],
        attached_policies=list(attached),
        inline_policies=[InlinePolicy(name=n, document=d) for n, d in (inline or {}).items()],
        permissions_boundary=boundary, password=Password(enabled=console, last_used_at=password_used),
        mfa=Mfa(enabled=bool(mfa or hardware), devices=devices if (mfa or hardware) else []),
        access_keys=[AccessKey(**k) for k in keys], last_activity_at=last_activity))


def key(id_, *, created=TEN_DAYS_AGO, used=DAY_AGO, status="Active"):
    return {"id": id_, "status": status, "created_at": created, "last_used_at": used}


def group(name, account=A, *, members=(), attached=(), inline=None):
    return rec("iam.group", f"arn:aws:iam::{account}:group/{name}", account, Group(
        name=name, arn=f"arn:aws:iam::{account}:group/{name}", group_id=f"AGPA{name.upper()}", path="/",
        created_at=ago(400), attached_policies=list(attached),
        members=[f"arn:aws:iam::{account}:user/{m}" for m in members],
        inline_policies=[InlinePolicy(name=n, document=d) for n, d in (inline or {}).items()]))


def role(name, account=A, *, trust, attached=(), inline=None, external=(), last_used=DAY_AGO, created=LONG_AGO,
         service_linked=False, path="/", boundary=None):
    arn = f"arn:aws:iam::{account}:role{path}{name}"
    return rec("iam.role", arn, account, Role(
        name=name, arn=arn, role_id=f"AROA{name.upper()}", path=path, created_at=created, tags={},
        trust_policy=trust, attached_policies=list(attached), permissions_boundary=boundary, instance_profiles=[],
        inline_policies=[InlinePolicy(name=n, document=d) for n, d in (inline or {}).items()],
        max_session_duration=3600, last_used_at=last_used, last_used_region=None, service_linked=service_linked,
        external_principals=list(external)))


def trust(principal, condition=None, action="sts:AssumeRole"):
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return doc(st)


def policy(name, account=A, *, document, aws_managed=False, attached=1):
    arn = f"arn:aws:iam::aws:policy/{name}" if aws_managed else f"arn:aws:iam::{account}:policy/{name}"
    return rec("iam.policy", arn, account, ManagedPolicy(
        arn=arn, name=name, aws_managed=aws_managed, default_version_id="v1", document=document,
        attachment_count=attached, created_at=ago(400), updated_at=ago(400)))


def root(account=A, *, mfa=True, password=True, keys=(), password_used=None):
    return rec("iam.root_user", f"arn:aws:iam::{account}:root", account, RootUser(
        arn=f"arn:aws:iam::{account}:root", mfa_enabled=mfa, password_enabled=password,
        password_last_used_at=password_used, access_keys=[RootKey(**k) for k in keys]))


def sso_instance(account=A):
    return rec("sso.instance", INSTANCE, account, SsoInstance(
        instance_arn=INSTANCE, identity_store_id="d-1", owner_account_id=account, region="us-east-1"))


def sso_user(uid, name, *, emails=(), groups=None, account=A):
    arn = f"arn:aws:identitystore::{account}:identitystore/d-1/user/{uid}"
    return rec("sso.user", arn, account, SsoUser(
        user_id=uid, arn=arn, instance_arn=INSTANCE, identity_store_id="d-1", user_name=name, display_name=name.title(),
        emails=[SsoEmail(value=e, primary=True) for e in emails], groups=groups))


def sso_group(gid, name, *, members=(), account=A):
    arn = f"arn:aws:identitystore::{account}:identitystore/d-1/group/{gid}"
    return rec("sso.group", arn, account, SsoGroup(
        group_id=gid, arn=arn, instance_arn=INSTANCE, identity_store_id="d-1", display_name=name, members=list(members)))


def permission_set(name, *, managed=(), inline=None, customer=(), account=A, boundary=None):
    arn = f"{INSTANCE.replace('instance/', 'permissionSet/ssoins-1111111111111111/')}ps-{name.lower()}"
    return rec("sso.permission_set", arn, account, SsoPermissionSet(
        arn=arn, instance_arn=INSTANCE, name=name, managed_policies=list(managed), inline_policy=inline,
        customer_managed_policies=[{"name": c} for c in customer], permissions_boundary=boundary))


ORG_ROOT = "r-ab12"


def org_node(id_, name, *, accounts=(), parent=ORG_ROOT, path=None, scps_enabled=True, management=A):
    """An organization root (id r-...) or OU, as the management account's run records it."""
    root = id_.startswith("r-")
    return rec("org.organizational_unit", id_, management, OrganizationalUnit(
        id=id_, arn=f"arn:aws:organizations::{management}:{'root' if root else 'ou'}/o-abc123/{id_}", name=name,
        type="ROOT" if root else "ORGANIZATIONAL_UNIT", parent_id=None if root else parent,
        path=path or ("Root" if root else f"Root/{name}"), accounts=list(accounts),
        policy_types=(["SERVICE_CONTROL_POLICY"] if scps_enabled else []) if root else []))


def scp(name, document, *targets, management=A):
    """A service control policy attached to `targets` (root, OU or account IDs); document None: unread."""
    arn = f"arn:aws:organizations::{management}:policy/o-abc123/service_control_policy/p-{name.lower()}"
    return rec("org.policy", arn, management, OrganizationPolicy(
        id=f"p-{name.lower()}", arn=arn, name=name, type="SERVICE_CONTROL_POLICY", aws_managed=False,
        document=document, targets=[OrgTarget(target_id=t, type="ROOT" if t.startswith("r-") else
                                              "ORGANIZATIONAL_UNIT" if t.startswith("ou-") else "ACCOUNT")
                                    for t in targets]))


def assignment(ps_record, target, principal_type, principal_id, account=A):
    ps = ps_record["data"]
    return rec("sso.account_assignment", f"{target}/{ps['arn']}/{principal_type}/{principal_id}", account,
               SsoAccountAssignment(instance_arn=INSTANCE, permission_set_arn=ps["arn"], permission_set_name=ps["name"],
                                    account_id=target, principal_type=principal_type, principal_id=principal_id,
                                    role_path="/aws-reserved/sso.amazonaws.com/"))
