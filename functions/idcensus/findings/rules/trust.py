"""Who can assume a role: outside accounts, anyone, services on anyone's behalf; roles nobody uses."""

from __future__ import annotations

from idcensus.findings.policy import as_list, has_condition_key, matches, statements
from idcensus.findings.registry import Hit, rule
from idcensus.policy_json import account_of

UNUSED_ROLE_DAYS = 90
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths")
# Services that assume a role only for the customer's own compute in the same account; a confused
# deputy (the service acting for another customer) does not arise, and they send no source keys.
OWN_COMPUTE_SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com",
                        "eks.amazonaws.com", "edgelambda.amazonaws.com", "eks-pods.amazonaws.com")


def assume_statements(role: dict):
    for st in statements(role["trust_policy"]):
        actions = as_list(st.get("Action"))
        if st.get("Effect") == "Allow" and any(matches(a, "sts:AssumeRole") or matches(a, "sts:AssumeRoleWith*")
                                                or a.lower().startswith("sts:assumerole") for a in actions):
            yield st


def principals(st: dict, kind: str) -> list[str]:
    p = st.get("Principal")
    if p == "*":
        return ["*"]
    return [str(x) for x in as_list(p.get(kind))] if isinstance(p, dict) else []


@rule(id="role.trusts_outside_account_without_external_id",
      title="Role trusts an account outside the organization without ExternalId", severity="high",
      reads=("iam.role",),
      remediation="Add a Condition on sts:ExternalId (the value the third party gave you) to the trust "
                  "statement, or remove the outside account.")
def outside_without_external_id(inv):
    for r in inv.of("iam.role"):
        d = r["data"]
        outside = {a for p in d.get("external_principals") or [] if (a := account_of(p))}
        for st in assume_statements(d):
            if has_condition_key(st, "sts:ExternalId", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths"):
                continue
            for p in principals(st, "AWS"):
                if (a := account_of(p)) in outside and a != r["account_id"]:
                    yield Hit(r["account_id"], d["arn"], "iam.role",
                              f"{d['name']} can be assumed by {p}, outside the organization, without an ExternalId",
                              {"principal": p, "statement": st}, key=p)


@rule(id="role.trusts_anyone", title="Role trusts any principal (*) without conditions", severity="critical",
      reads=("iam.role",),
      remediation="Name the accounts or principals that may assume the role, or add conditions "
                  "(aws:PrincipalOrgID, sts:ExternalId) to the statement.")
def trusts_anyone(inv):
    for r in inv.of("iam.role"):
        d = r["data"]
        for st in assume_statements(d):
            if not st.get("Condition") and "*" in principals(st, "AWS"):
                yield Hit(r["account_id"], d["arn"], "iam.role", f"anyone can assume {d['name']}", {"statement": st})


@rule(id="role.service_trust_without_source", title="Service trust without source conditions (confused deputy)",
      severity="low", reads=("iam.role",), prowler=("iam_role_cross_service_confused_deputy_prevention",),
      remediation="Add aws:SourceAccount or aws:SourceArn conditions to the statement trusting the service.")
def service_without_source(inv):
    for r in inv.of("iam.role"):
        d = r["data"]
        if d["service_linked"]:
            continue
        for st in assume_statements(d):
            services = [s for s in principals(st, "Service") if s not in OWN_COMPUTE_SERVICES]
            if services and not has_condition_key(st, *SOURCE_KEYS):
                yield Hit(r["account_id"], d["arn"], "iam.role",
                          f"{d['name']} trusts {', '.join(services)} for any source account",
                          {"services": services, "statement": st}, key=",".join(sorted(services)))


@rule(id="role.unused", title=f"Role unused for {UNUSED_ROLE_DAYS} days", severity="low", reads=("iam.role",),
      remediation="Confirm nothing needs the role any more, then delete it (remove its instance profiles first).")
def unused_role(inv):
    for r in inv.of("iam.role"):
        d = r["data"]
        if d["service_linked"]:
            continue
        age = inv.days_since(d.get("last_used_at") or d.get("created_at"))
        if age is not None and age >= UNUSED_ROLE_DAYS:
            yield Hit(r["account_id"], d["arn"], "iam.role",
                      f"{d['name']} " + (f"last used {d['last_used_at']}" if d.get("last_used_at") else "never used"),
                      {"last_used_at": d.get("last_used_at"), "created_at": d.get("created_at")})
