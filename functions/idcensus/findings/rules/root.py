"""The root user: access keys, MFA, recent use."""

from __future__ import annotations

from idcensus.findings.registry import Hit, rule

ROOT_RECENT_DAYS = 30


@rule(id="root.access_key", title="Root user has an active access key", severity="critical",
      reads=("iam.root_user",), cis_v4=("1.4",), cis_v5=("1.3",), prowler=("iam_no_root_access_key",),
      remediation="Delete the root user's access keys (sign in as root, Security credentials); use IAM roles "
                  "for programmatic access.")
def root_access_key(inv):
    for r in inv.of("iam.root_user"):
        active = [k for k in r["data"]["access_keys"] if k["active"]]
        if active:
            yield Hit(r["account_id"], r["data"]["arn"], "iam.root_user",
                      f"root user of {r['account_id']} has {len(active)} active access key(s)",
                      {"access_keys": active})


@rule(id="root.no_mfa", title="Root user without MFA", severity="critical", reads=("iam.root_user",),
      cis_v4=("1.5",), cis_v5=("1.4",), prowler=("iam_root_mfa_enabled",),
      remediation="Enable MFA on the root user (a hardware key for CIS level 2), or remove the root "
                  "password with the organization's centralized root access.")
def root_no_mfa(inv):
    for r in inv.of("iam.root_user"):
        d = r["data"]
        if not d["mfa_enabled"] and d.get("password_enabled") is not False:  # no password: nothing to protect
            yield Hit(r["account_id"], d["arn"], "iam.root_user", f"root user of {r['account_id']} has no MFA",
                      {"mfa_enabled": False, "password_enabled": d.get("password_enabled")})


@rule(id="root.recent_use", title=f"Root user used in the last {ROOT_RECENT_DAYS} days", severity="high",
      reads=("iam.root_user",), cis_v4=("1.7",), cis_v5=("1.6",), prowler=("iam_avoid_root_usage",),
      remediation="Use the root user only for the tasks that need it; give people roles or Identity Center "
                  "access and find out who signed in as root.")
def root_recent_use(inv):
    for r in inv.of("iam.root_user"):
        d = r["data"]
        uses = {"password": d.get("password_last_used_at")}
        uses.update({f"access_key_{n + 1}": k.get("last_used_at") for n, k in enumerate(d["access_keys"])})
        recent = {k: v for k, v in uses.items() if v and inv.days_since(v) <= ROOT_RECENT_DAYS}
        if recent:
            yield Hit(r["account_id"], d["arn"], "iam.root_user",
                      f"root user of {r['account_id']} used at {max(recent.values())}", {"last_used": recent})
