"""Tier 1: the account's IAM identities and credentials, bulk reads first.

One collector for the seven `iam.*` capabilities, because a user record merges them: GAAD
(principals, policies), the credential report (passwords, key use, MFA flags, the root user), the
virtual MFA listing, service-specific credentials, role session limits and the account summary.
`get` records each capability's outcome separately and asks per user only what the bulk reads
leave open (key IDs of key holders, MFA devices the virtual listing does not explain);
`transform` is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from idcensus.collect import credentials as cred
from idcensus.collect import iam as iamc
from idcensus.collect import reuse
from idcensus.collect.contract import Context, Scope, account_arn, each_alive
from idcensus.collect.documents import latest, timestamp
from idcensus.errors import IdcensusError
from idcensus.model.records import (
    Account,
    Collection,
    Item,
    Mfa,
    Password,
    ServiceCredential,
    SigningCertificate,
    SshPublicKey,
    User,
)

# The account record's collection is the whole run's: the orchestrator stamps it on at the end.
PENDING = Collection(status="partial", capabilities={})


@dataclass(frozen=True)
class Answers:
    """What AWS said; None where a capability was denied or failed (unknown, never empty)."""

    details: iamc.AuthorizationDetails | None = None
    report: dict[str, dict[str, str]] | None = None  # credential report rows by ARN
    report_generated_at: Any = None  # when AWS generated the report (it serves one up to 4 hours old)
    unreported: frozenset[str] = frozenset()  # user ARNs the report cannot speak for (created after it)
    virtual: dict[str, Any] | None = None  # virtual MFA device by user ARN
    services: dict[str, list[dict]] | None = None  # service-specific credentials by user name
    summary: dict[str, Any] | None = None  # alias and counters
    listed_roles: dict[str, dict] | None = None  # ListRoles entries by role ARN (session limit, description)
    certificates: dict[str, list[dict]] | None = None  # signing certificates by user ARN (holders only)
    ssh_keys: dict[str, list[dict]] | None = None  # SSH public keys by user ARN (CodeCommit users only)
    descriptions: dict[str, dict] | None = None  # customer-managed policies' Description (and PolicyId) by ARN
    keys: dict[str, list[dict]] | None = None  # access keys by user ARN (key holders only)
    extra_mfa: dict[str, list] | None = None  # devices by user ARN, for MFA the virtual listing lacks
    mfa_listed: bool = False  # iam.mfa_devices ended ok
    gone: frozenset[str] = frozenset()  # users deleted while the run read them


def get(ctx: Context, region: str | None = None) -> Answers:
    iam = ctx.client("iam")
    details = ctx.run("iam.authorization_details", lambda: iamc.get_authorization_details(iam))
    report = ctx.run("iam.credential_report", lambda: cred.get_credential_report(iam))
    rows = cred.parse_credential_report(report.content) if report is not None else None
    generated_at = report.generated_at if report is not None else None
    virtual = ctx.run("iam.mfa_devices", lambda: cred.list_virtual_mfa_devices(iam))
    services = ctx.run("iam.service_credentials", lambda: cred.list_service_specific_credentials(iam))
    summary = ctx.run("iam.account_summary", lambda: get_summary(iam))
    listed_roles = ctx.run("iam.role_sessions", lambda: iamc.get_listed_roles(iam))

    keys = extra_mfa = certificates = ssh_keys = descriptions = None
    unreported: frozenset[str] = frozenset()
    if details is not None and rows is not None:
        unreported = frozenset(u["Arn"] for u in details.users if cred.unreported(u, rows, generated_at))
    if details is None:
        # Without the principal list there is nobody to ask about keys or devices.
        for name in ("iam.access_keys", "iam.signing_certificates", "iam.ssh_public_keys", "iam.policy_descriptions"):
            ctx.out.capabilities[name] = "skipped"
    else:
        keys = get_keys(ctx, iam, details.users, rows, unreported)
        extra_mfa = get_extra_mfa(ctx, iam, details.users, rows, virtual, unreported)
        certificates = get_certificates(ctx, iam, details.users, rows, unreported)
        ssh_keys = get_ssh_keys(ctx, iam, details)
        descriptions = get_descriptions(ctx, iam, details)
    return Answers(details=details, report=rows, report_generated_at=generated_at, unreported=unreported,
                   virtual=virtual, services=services, summary=summary, listed_roles=listed_roles, keys=keys,
                   extra_mfa=extra_mfa, certificates=certificates, ssh_keys=ssh_keys, descriptions=descriptions,
                   mfa_listed=ctx.out.capabilities.get("iam.mfa_devices") == "ok", gone=frozenset(ctx.out.skipped))


def get_summary(iam) -> dict[str, Any]:
    aliases = [a for page in iam.get_paginator("list_account_aliases").paginate() for a in page["AccountAliases"]]
    counters = iam.get_account_summary()["SummaryMap"]
    return {"alias": aliases[0] if aliases else None, "counters": dict(sorted(counters.items()))}


def per_user(ctx: Context, iam, users, what: str, fn) -> dict[str, Any]:
    """fn(iam, user_name) by user ARN, ctx.principal_workers at a time; a user deleted meanwhile is
    skipped and recorded; the first other error is raised."""
    found = each_alive(lambda u: fn(iam, u["UserName"]), users, ctx.out, what=what,
                       name=lambda u: u["UserName"], key=lambda u: u["Arn"], workers=ctx.principal_workers)
    return {u["Arn"]: value for u, value in found}


def get_keys(ctx: Context, iam, users, rows, unreported=frozenset()) -> dict[str, list[dict]] | None:
    # Only users the report shows holding a key, or cannot speak for; everyone when the report is missing.
    # A holder whose key slots match what the state holds is not asked again (collect/reuse.py).
    holders = [u for u in users if rows is None or u["Arn"] in unreported
               or cred.report_holds_keys(rows.get(u["Arn"], {}))]
    known = {}
    for u in holders:
        again = reuse.keys(reuse.previous_of(u, ctx.options.previous_users, unreported), (rows or {}).get(u["Arn"]))
        if again is not None:
            known[u["Arn"]] = again
    try:
        keys = per_user(ctx, iam, [u for u in holders if u["Arn"] not in known], "iam.access_keys",
                        cred.list_access_keys)
    except IdcensusError as err:
        ctx.out.fail("iam.access_keys", err)
        return None
    ctx.out.capabilities["iam.access_keys"] = "ok"
    return {**known, **keys}


def get_extra_mfa(ctx: Context, iam, users, rows, virtual, unreported=frozenset()) -> dict[str, list] | None:
    # Only MFA the virtual listing does not explain (hardware, U2F), and users the report cannot speak
    # for (no MFA flag: a hardware device would go unseen); everyone when neither bulk source answered.
    def needs(u):
        if rows is None:
            return virtual is None
        if u["Arn"] in unreported:
            return True
        return cred.flag(rows.get(u["Arn"], {}).get("mfa_active")) and u["Arn"] not in (virtual or {})

    asked, known = [], {}
    for u in (u for u in users if needs(u)):
        again = reuse.mfa_devices(reuse.previous_of(u, ctx.options.previous_users, unreported),
                                  (rows or {}).get(u["Arn"]), virtual)
        if again is None:
            asked.append(u)
        else:
            known[u["Arn"]] = again
    try:
        return {**known, **per_user(ctx, iam, asked, "iam.mfa_devices", cred.list_mfa_devices)}
    except IdcensusError as err:
        ctx.out.fail("iam.mfa_devices", err)  # the listing's outcome stands unless this failed
        return None


def get_certificates(ctx: Context, iam, users, rows, unreported) -> dict[str, list[dict]] | None:
    """ListSigningCertificates only for users whose report row shows a certificate slot (or who have
    no row to say), unless the state's answer still matches the slots."""
    holders = [u for u in users if rows is None or u["Arn"] in unreported
               or cred.report_certificates(rows.get(u["Arn"], {}))]
    known = {}
    for u in holders:
        again = reuse.certificates(reuse.previous_of(u, ctx.options.previous_users, unreported),
                                   (rows or {}).get(u["Arn"]))
        if again is not None:
            known[u["Arn"]] = again
    return ctx.run("iam.signing_certificates", lambda: {**known, **per_user(
        ctx, iam, [u for u in holders if u["Arn"] not in known], "iam.signing_certificates",
        cred.list_signing_certificates)})


def get_ssh_keys(ctx: Context, iam, details: iamc.AuthorizationDetails) -> dict[str, list[dict]] | None:
    """ListSSHPublicKeys has no bulk form and the report no column: ask only users who may use
    CodeCommit, the one service an SSH key opens (most accounts: nobody but the administrators)."""
    users = [u for u in details.users if iamc.may_use_codecommit(u, details)]
    return ctx.run("iam.ssh_public_keys",
                   lambda: per_user(ctx, iam, users, "iam.ssh_public_keys", cred.list_ssh_public_keys))


def get_descriptions(ctx: Context, iam, details: iamc.AuthorizationDetails) -> dict[str, dict] | None:
    """GetPolicy for customer-managed policies the state does not already describe (a description is
    set once, at creation: the same policy, by creation time and ID, keeps it). AWS-managed ones are
    AWS's and left out."""
    previous = ctx.options.previous_policies or {}
    known, asked = {}, []
    for p in details.policies:
        if iamc.is_aws_managed(p["Arn"]):
            continue
        old = reuse.policy_extras(previous.get(p["Arn"]), p)
        if old is not None:
            known[p["Arn"]] = old
        else:
            asked.append(p)

    def ask():
        found = each_alive(lambda p: iamc.get_policy_extras(iam, p["Arn"]), asked, ctx.out,
                           what="iam.policy_descriptions", name=lambda p: p["Arn"], workers=ctx.principal_workers)
        return {**known, **{p["Arn"]: d for p, d in found}}

    return ctx.run("iam.policy_descriptions", ask)


# ---- transform (pure) --------------------------------------------------------------------------

def transform(raw: Answers, scope: Scope) -> list[Item]:
    """The account (alias and counters; the orchestrator adds the rest), the root user, users,
    groups, roles and managed policies, in that order."""
    summary = raw.summary or {}
    account = Account(account_id=scope.account_id, alias=summary.get("alias"), summary=summary.get("counters", {}),
                      credential_report_generated_at=raw.report_generated_at, collection=PENDING)
    items: list[Item] = [("aws.account", account_arn(scope.account_id, scope.partition), account)]
    if raw.report is not None and (root := cred.root_row(raw.report)):
        data = cred.transform_root(root)
        items.append(("iam.root_user", data.arn, data))
    if raw.details is None:
        return items
    details = replace(raw.details, users=[u for u in raw.details.users if u["Arn"] not in raw.gone])
    arns = iamc.group_arns(details)
    items += [("iam.user", u.arn, u) for u in (transform_user(raw, u, arns) for u in details.users)]
    items += [("iam.group", g.arn, g) for g in iamc.transform_groups(details)]
    items += [("iam.role", r.arn, r) for r in iamc.transform_roles(details, raw.listed_roles, scope.org)]
    items += [("iam.policy", p.arn, p) for p in iamc.transform_policies(details, raw.descriptions)]
    return items


def transform_user(raw: Answers, u: dict, group_arns: dict[str, str]) -> User:
    arn = u["Arn"]
    # A user created after the report has no row of its own (a row under its ARN is a deleted namesake's).
    row = raw.report.get(arn) if raw.report is not None and arn not in raw.unreported else None
    password = None
    if row is not None:
        password = Password(
            enabled=bool(cred.flag(row.get("password_enabled"))),
            last_used_at=timestamp(row.get("password_last_used")),
            last_changed_at=timestamp(row.get("password_last_changed")),
            next_rotation_at=timestamp(row.get("password_next_rotation")),
        )
    mfa = None
    if raw.mfa_listed or row is not None:
        virtual = raw.virtual
        listed = ([virtual[arn]] if virtual and arn in virtual else []) + list((raw.extra_mfa or {}).get(arn, []))
        by_serial: dict[str, Any] = {}
        for d in listed:  # ListMFADevices repeats the virtual devices the listing already gave
            by_serial.setdefault(d.serial, d)
        devices = list(by_serial.values())
        enabled = bool(devices) or bool(row is not None and cred.flag(row.get("mfa_active")))
        mfa = Mfa(enabled=enabled, devices=devices)
    keys = raw.keys
    listed = (keys or {}).get(arn, []) if keys is not None else None
    access_keys = cred.merge_keys(listed, row) if (keys is not None or row is not None) else None
    service_creds = None
    if raw.services is not None:
        service_creds = [
            ServiceCredential(
                id=c["ServiceSpecificCredentialId"],
                service_name=c["ServiceName"],
                service_user_name=c.get("ServiceUserName"),
                status=c["Status"],
                created_at=timestamp(c.get("CreateDate")),
            )
            for c in raw.services.get(u["UserName"], [])
        ]
    certificates = None
    if raw.certificates is not None and (arn in raw.certificates or row is not None):
        certificates = [SigningCertificate(id=c["CertificateId"], status=c["Status"], uploaded_at=timestamp(c.get("UploadDate")))
                        for c in raw.certificates.get(arn, [])]
    ssh_keys = None
    if raw.ssh_keys is not None and arn in raw.ssh_keys:
        ssh_keys = [SshPublicKey(id=k["SSHPublicKeyId"], status=k["Status"], uploaded_at=timestamp(k.get("UploadDate")))
                    for k in raw.ssh_keys[arn]]
    last_activity = latest(
        password.last_used_at if password else None, *[k.last_used_at for k in access_keys or []]
    )
    return User(
        name=u["UserName"],
        arn=arn,
        user_id=u["UserId"],
        path=u.get("Path", "/"),
        created_at=timestamp(u.get("CreateDate")),
        tags=iamc.tags(u.get("Tags")),
        groups=sorted(group_arns.get(g, g) for g in u.get("GroupList", [])),
        attached_policies=iamc.attached(u.get("AttachedManagedPolicies")),
        inline_policies=iamc.inline_policies(u.get("UserPolicyList")),
        permissions_boundary=iamc.boundary(u),
        password=password,
        mfa=mfa,
        access_keys=access_keys,
        service_credentials=service_creds,
        last_activity_at=last_activity,
        signing_certificates=certificates,
        ssh_public_keys=ssh_keys,
    )
