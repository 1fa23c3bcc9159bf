"""What principals may do: full-admin policies, administrators by any path, escalation paths,
CloudShell, the support role."""

from __future__ import annotations

from idcensus.arns import account_arn
from idcensus.findings import escalation
from idcensus.findings.admins import admin_assignments, administrators, human_role
from idcensus.findings.inventory import aws_managed_name
from idcensus.findings.policy import admin_statements
from idcensus.findings.registry import Hit, rule

SUPPORT_POLICY = "AWSSupportAccess"
CLOUDSHELL_POLICY = "AWSCloudShellFullAccess"


@rule(id="policy.full_admin", title="Policy allows every action on every resource (*:*)", severity="high",
      reads=("iam.policy", "iam.user", "iam.group", "iam.role"), cis_v4=("1.16",), cis_v5=("1.15",),
      prowler=("iam_aws_attached_policy_no_administrative_privileges",
               "iam_customer_attached_policy_no_administrative_privileges",
               "iam_customer_unattached_policy_no_administrative_privileges",
               "iam_inline_policy_no_administrative_privileges"),
      remediation="Replace the policy with one that grants only the actions the holders need; keep full "
                  "administrator for a few break-glass roles.")
def full_admin_policy(inv):
    for r in inv.of("iam.policy"):
        d = r["data"]
        attached = d.get("attachment_count") or 0
        admin = admin_statements(d.get("document")) or (aws_managed_name(d["arn"]) == "AdministratorAccess"
                                                        and d.get("document") is None)
        # AWS-managed AdministratorAccess exists in every account: it counts where it is attached.
        if admin and (not d["aws_managed"] or attached):
            yield Hit(r["account_id"], d["arn"], "iam.policy",
                      f"policy {d['name']} allows *:* ({'attached ' + str(attached) + ' times' if attached else 'not attached'})",
                      {"statements": admin_statements(d.get("document")), "attachment_count": attached})
    for type_ in ("iam.user", "iam.group", "iam.role"):
        for r in inv.of(type_):
            d = r["data"]
            for p in d.get("inline_policies") or []:
                if admin_statements(p["document"]):
                    yield Hit(r["account_id"], d["arn"], type_, f"inline policy {p['name']} of {d['name']} allows *:*",
                              {"policy": p["name"], "statements": admin_statements(p["document"])}, key=p["name"])


@rule(id="principal.administrator", title="Effective full administrator", severity="medium", scope="organization",
      reads=("iam.user", "iam.group", "iam.role", "iam.policy", "sso.user", "sso.group", "sso.permission_set",
             "sso.account_assignment"),
      remediation="Keep administrators few and named; give everyone else a permission set or role scoped to "
                  "their job.")
def effective_administrator(inv):
    for arn, a in sorted(administrators(inv).items()):
        vias = sorted({p["via"] for p in a["paths"]})
        yield Hit(a["account_id"], arn, a["type"], f"{a['name']} is a full administrator via {', '.join(vias)}",
                  {"paths": a["paths"]})


@rule(id="principal.admin_without_mfa", title="Administrator without MFA", severity="critical",
      scope="organization", reads=("iam.user", "iam.group", "iam.role", "iam.policy"),
      prowler=("iam_administrator_access_with_mfa",),
      remediation="Enable MFA for the user now, or take its administrator access away.")
def admin_without_mfa(inv):
    users = {r["data"]["arn"]: r["data"] for r in inv.of("iam.user")}
    for arn, a in sorted(administrators(inv).items()):
        d = users.get(arn)
        if d is not None and d.get("mfa") is not None and not d["mfa"]["enabled"]:
            yield Hit(a["account_id"], arn, "iam.user", f"{a['name']} is an administrator without MFA",
                      {"paths": a["paths"]})


@rule(id="principal.privilege_escalation", title="Principal can escalate its privileges", severity="high",
      reads=("iam.user", "iam.group", "iam.role", "iam.policy"),
      prowler=("iam_policy_allows_privilege_escalation", "iam_inline_policy_allows_privilege_escalation"),
      remediation="Remove the actions that make the path, or scope them to resources the principal may "
                  "change (a permissions boundary on what it creates).")
def privilege_escalation(inv):
    admins = administrators(inv)
    for type_ in ("iam.user", "iam.role"):
        for r in inv.of(type_):
            d = r["data"]
            if d["arn"] in admins or (type_ == "iam.role" and not human_role(d)):
                continue  # administrators have nothing to escalate to
            found = escalation.paths(inv.grants(r["account_id"], d))
            if found:
                how = "; ".join(f"{t}: {', '.join(a)}" for t, a in found.items())
                yield Hit(r["account_id"], d["arn"], type_, f"{d['name']} can escalate: {how}", {"paths": found})


@rule(id="principal.cloudshell_full_access", title="AWSCloudShellFullAccess attached", severity="medium",
      reads=("iam.user", "iam.group", "iam.role"), cis_v4=("1.22",), cis_v5=("1.21",),
      prowler=("iam_policy_cloudshell_admin_not_attached",),
      remediation="Detach AWSCloudShellFullAccess; grant CloudShell without its file upload and download "
                  "where people need it.")
def cloudshell_full_access(inv):
    for type_ in ("iam.user", "iam.group", "iam.role"):
        for r in inv.of(type_):
            d = r["data"]
            if any(aws_managed_name(a) == CLOUDSHELL_POLICY for a in d.get("attached_policies") or []):
                yield Hit(r["account_id"], d["arn"], type_, f"{d['name']} holds {CLOUDSHELL_POLICY}")


@rule(id="account.no_support_role", title="No principal holds AWSSupportAccess", severity="low",
      reads=("iam.user", "iam.group", "iam.role"), cis_v4=("1.17",), cis_v5=("1.16",),
      prowler=("iam_support_role_created",),
      remediation="Create a role for incident handling with the AWS-managed AWSSupportAccess policy, "
                  "assumable by your support team.")
def no_support_role(inv):
    holders = {r["account_id"] for t in ("iam.user", "iam.group", "iam.role") for r in inv.of(t)
               if any(aws_managed_name(a) == SUPPORT_POLICY for a in r["data"].get("attached_policies") or [])}
    for account_id in sorted(inv.iam_accounts - holders):
        yield Hit(account_id, account_arn(account_id, _partition(inv, account_id)), "aws.account",
                  f"no user, group or role of {account_id} holds {SUPPORT_POLICY}")


def _partition(inv, account_id: str) -> str:
    role = next((r for r in inv.of("iam.role") if r["account_id"] == account_id), None)
    return role["data"]["arn"].split(":")[1] if role else "aws"


@rule(id="sso.admin_assignment", title="Administrator permission set assigned", severity="informational",
      scope="organization", reads=("sso.permission_set", "sso.account_assignment", "iam.policy"),
      remediation="Review who holds administrator permission sets in which accounts; prefer a scoped set.")
def admin_assignment(inv):
    for a, ps, account_id in admin_assignments(inv):
        who = a.get("principal_name") or a["principal_id"]
        yield Hit(account_id, ps["arn"], "sso.permission_set",
                  f"{a['principal_type'].lower()} {who} holds administrator set {ps['name']} in {account_id}",
                  {"principal_type": a["principal_type"], "principal_id": a["principal_id"],
                   "permission_set": ps["name"]}, key=f"{account_id}/{a['principal_type']}/{a['principal_id']}")
