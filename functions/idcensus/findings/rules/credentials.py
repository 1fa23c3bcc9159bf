"""IAM users' credentials and activity: MFA, unused and unrotated keys, inactive and orphaned users."""

from __future__ import annotations

from idcensus.findings.registry import Hit, rule

UNUSED_DAYS = 45  # CIS: credentials unused for 45 days or more are disabled
ROTATE_DAYS = 90
INACTIVE_DAYS = 90
# Tag keys (case-insensitive, '-', '_' and spaces ignored) that name who answers for a user.
OWNER_TAG_KEYS = ("owner", "owneremail", "createdby", "contact", "team", "email", "manager")


def owner_tags(tags: dict[str, str]) -> dict[str, str]:
    norm = {k: "".join(c for c in k.lower() if c.isalnum()) for k in tags}
    return {k: tags[k] for k, n in norm.items() if n in OWNER_TAG_KEYS and tags[k].strip()}


def users(inv):
    for r in inv.of("iam.user"):
        yield r, r["data"]


def console(d) -> bool:
    return bool(d.get("password") and d["password"]["enabled"])


def mfa(d) -> bool:
    return bool(d.get("mfa") and d["mfa"]["enabled"])


@rule(id="user.console_without_mfa", title="Console user without MFA", severity="high", reads=("iam.user",),
      cis_v4=("1.10",), cis_v5=("1.9",), prowler=("iam_user_mfa_enabled_console_access",),
      remediation="Enable an MFA device for the user, or remove the console password if the user signs in "
                  "only with access keys.")
def console_without_mfa(inv):
    for r, d in users(inv):
        if console(d) and d.get("mfa") is not None and not mfa(d):
            yield Hit(r["account_id"], d["arn"], "iam.user", f"{d['name']} signs in to the console without MFA",
                      {"password_last_used_at": d["password"].get("last_used_at")})


@rule(id="user.credential_unused", title=f"Credential unused for {UNUSED_DAYS} days or never used",
      severity="medium", reads=("iam.user",), cis_v4=("1.12",), cis_v5=("1.11",),
      prowler=("iam_user_accesskey_unused", "iam_user_console_access_unused"),
      remediation="Deactivate and then delete access keys and console passwords nobody uses; recreate them "
                  "when someone needs them.")
def credential_unused(inv):
    for r, d in users(inv):
        if console(d):
            age = inv.days_since(d["password"].get("last_used_at") or d.get("created_at"))
            if age is not None and age >= UNUSED_DAYS:
                yield Hit(r["account_id"], d["arn"], "iam.user",
                          f"{d['name']}'s console password " + _unused(d["password"].get("last_used_at")),
                          {"credential": "password", "last_used_at": d["password"].get("last_used_at"),
                           "created_at": d.get("created_at")}, key="password")
        for k in d.get("access_keys") or []:
            if k["status"] != "Active" or not k.get("id"):
                continue
            age = inv.days_since(k.get("last_used_at") or k.get("created_at"))
            if age is not None and age >= UNUSED_DAYS:
                yield Hit(r["account_id"], d["arn"], "iam.user",
                          f"{d['name']}'s access key {k['id']} " + _unused(k.get("last_used_at")),
                          {"credential": "access_key", "access_key_id": k["id"], "last_used_at": k.get("last_used_at"),
                           "created_at": k.get("created_at")}, key=k["id"])


def _unused(last_used: str | None) -> str:
    return f"last used {last_used}" if last_used else "never used"


@rule(id="user.two_active_keys", title="User with two active access keys", severity="low", reads=("iam.user",),
      cis_v4=("1.13",), cis_v5=("1.12",), prowler=("iam_user_two_active_access_key",),
      remediation="Keep one active access key per user; deactivate the other once nothing uses it.")
def two_active_keys(inv):
    for r, d in users(inv):
        active = [k["id"] for k in d.get("access_keys") or [] if k["status"] == "Active"]
        if len(active) > 1:
            yield Hit(r["account_id"], d["arn"], "iam.user", f"{d['name']} has {len(active)} active access keys",
                      {"access_key_ids": active})


@rule(id="user.key_not_rotated", title=f"Access key not rotated for {ROTATE_DAYS} days", severity="medium",
      reads=("iam.user",), cis_v4=("1.14",), cis_v5=("1.13",), prowler=("iam_rotate_access_key_90_days",),
      remediation="Create a new access key, move its users to it, then deactivate and delete the old one.")
def key_not_rotated(inv):
    for r, d in users(inv):
        for k in d.get("access_keys") or []:
            age = inv.days_since(k.get("created_at"))
            if k["status"] == "Active" and k.get("id") and age is not None and age >= ROTATE_DAYS:
                yield Hit(r["account_id"], d["arn"], "iam.user",
                          f"{d['name']}'s access key {k['id']} was created {k['created_at']}",
                          {"access_key_id": k["id"], "created_at": k["created_at"]}, key=k["id"])


@rule(id="user.direct_policies", title="Policies attached directly to a user", severity="low",
      reads=("iam.user",), cis_v4=("1.15",), cis_v5=("1.14",), prowler=("iam_policy_attached_only_to_group_or_roles",),
      remediation="Grant permissions through groups (or roles); move the user's own policies to a group.")
def direct_policies(inv):
    for r, d in users(inv):
        names = [*(d.get("attached_policies") or []), *(f"inline:{p['name']}" for p in d.get("inline_policies") or [])]
        if names:
            yield Hit(r["account_id"], d["arn"], "iam.user", f"{d['name']} holds policies directly: {', '.join(names)}",
                      {"policies": names})


@rule(id="user.inactive", title=f"User inactive for {INACTIVE_DAYS} days", severity="low", reads=("iam.user",),
      remediation="Confirm with the user's owner whether it is still needed; disable its credentials, then "
                  "delete it.")
def inactive_user(inv):
    for r, d in users(inv):
        last = d.get("last_activity_at")
        age = inv.days_since(last)
        if last and age >= INACTIVE_DAYS:
            yield Hit(r["account_id"], d["arn"], "iam.user", f"{d['name']} last active {last}",
                      {"last_activity_at": last})


@rule(id="user.orphaned", title="Orphaned user: never active and no owner tag", severity="medium",
      reads=("iam.user",),
      remediation="Tag the user with its owner (owner, owner-email, created-by, contact, team, email or "
                  "manager) or delete it.")
def orphaned_user(inv):
    for r, d in users(inv):
        ever = d.get("last_activity_at") or (d.get("password") or {}).get("last_used_at") or any(
            k.get("last_used_at") for k in d.get("access_keys") or [])
        if d.get("password") is not None and not ever and not owner_tags(d.get("tags") or {}):
            yield Hit(r["account_id"], d["arn"], "iam.user", f"{d['name']} was never used and names no owner",
                      {"created_at": d.get("created_at"), "tags": d.get("tags") or {}})
