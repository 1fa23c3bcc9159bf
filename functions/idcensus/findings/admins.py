"""Who is a full administrator, by which path: own policies, a group's, an admin role they can
assume, an Identity Center permission set. Computed once per Inventory (inv.memo). Pure."""

from __future__ import annotations

from collections import defaultdict

from idcensus.findings.inventory import ADMIN_POLICY_NAME, Inventory, aws_managed_name
from idcensus.findings.policy import Grants, admin_statements, as_list, grants_of, keeps_admin, matches, statements
from idcensus.model.sso import SSO_ROLE_PATH

MAX_PATHS = 10  # paths kept per administrator: enough to act on, bounded for accounts of many admin roles


def admin_sources(inv: Inventory, account_id: str, data: dict) -> list[str]:
    """The policies (attached, inline, through a group) that allow *:* to this user, group or role;
    none when its permissions boundary or an SCP above its account allows only some services."""
    if not keeps_admin(inv.caps(account_id, data)):
        return []
    found = []
    for where, document in inv.policy_documents(account_id, data):
        if admin_statements(document):
            found.append(where)
    return found


def permission_set_admin(inv: Inventory, ps: dict, account_id: str) -> list[str]:
    """Why a permission set is admin in `account_id`: AdministratorAccess, an inline *:*, or a customer
    policy of that name and path in the account allowing *:*. Nothing where the account's SCPs (or the
    set's boundary) allow only some services."""
    boundary = permission_set_boundary(inv, ps, account_id)
    if not keeps_admin((*((boundary,) if boundary else ()), *inv.scp_caps(account_id))):
        return []
    found = [a for a in ps.get("managed_policies") or [] if aws_managed_name(a) == ADMIN_POLICY_NAME]
    if admin_statements(ps.get("inline_policy")):
        found.append("inline")
    for ref in ps.get("customer_managed_policies") or []:
        found += [p["arn"] for p in customer_policies(inv, account_id, ref) if admin_statements(p["document"])]
    return found


def customer_policies(inv: Inventory, account_id: str, ref: dict) -> list[dict]:
    """The customer policies a permission set names ({name, path}) in `account_id`: that name and path."""
    resource = f"policy{ref.get('path') or '/'}{ref['name']}"  # the ARN's last part holds the path
    return [p for p in inv.policies_by_name.get((account_id, ref["name"]), [])
            if not p["aws_managed"] and p["arn"].split(":", 5)[-1] == resource]


def permission_set_boundary(inv: Inventory, ps: dict, account_id: str) -> Grants | None:
    """The grants of a permission set's boundary in `account_id` (an AWS-managed policy, or the
    customer policy of that name there); None when it has none or its document was not read."""
    boundary = ps.get("permissions_boundary") or {}
    if boundary.get("managed_policy_arn"):
        return inv.managed_grants(account_id, boundary["managed_policy_arn"])
    ref = boundary.get("customer_managed_policy")
    docs = [p["document"] for p in customer_policies(inv, account_id, ref) if p["document"]] if ref else []
    return grants_of(docs) if docs else None


def human_role(role: dict) -> bool:
    """Roles people or workloads assume; service-linked ones and Identity Center's are judged elsewhere."""
    return not role["service_linked"] and not role["path"].startswith(SSO_ROLE_PATH)


def trusted_aws_principals(role: dict) -> list[str]:
    out = []
    for st in statements(role["trust_policy"]):
        actions = as_list(st.get("Action"))
        if st.get("Effect") == "Allow" and any(matches(a, "sts:AssumeRole") for a in actions):
            principal = st.get("Principal")
            if isinstance(principal, dict):
                out += [str(p) for p in as_list(principal.get("AWS"))]
            elif principal == "*":
                out.append("*")
    return out


def administrators(inv: Inventory) -> dict[str, dict]:
    """{principal ARN: {account_id, type, name, paths}} for IAM users, roles and Identity Center users."""
    if "admins" in inv.memo:
        return inv.memo["admins"]
    admins: dict[str, dict] = {}

    def add(arn, account_id, type_, name, path):
        entry = admins.setdefault(arn, {"account_id": account_id, "type": type_, "name": name, "paths": []})
        entry["paths"].append(path)

    admin_roles = []
    for r in inv.of("iam.role"):
        d = r["data"]
        if human_role(d):
            for where in admin_sources(inv, r["account_id"], d):
                add(d["arn"], r["account_id"], "iam.role", d["name"], {"via": "role_policy", "policy": where})
            if d["arn"] in admins:
                admin_roles.append(d)
    users_by_account = defaultdict(list)
    for r in inv.of("iam.user"):
        d = r["data"]
        users_by_account[r["account_id"]].append(d)
        for where in admin_sources(inv, r["account_id"], d):
            via = "group" if where.startswith("group:") else "inline" if where.startswith("inline:") else "direct"
            add(d["arn"], r["account_id"], "iam.user", d["name"], {"via": via, "policy": where})
    assumers: dict[str, list[dict]] = {}  # account -> its users allowed sts:AssumeRole, found once

    def can_assume(account: str) -> list[dict]:
        if account not in assumers:
            assumers[account] = [d for d in users_by_account.get(account, [])
                                 if inv.grants(account, d).allows("sts:AssumeRole")]
        return assumers[account]

    for role in admin_roles:  # users who can assume an admin role: named in its trust, or their account is
        for p in trusted_aws_principals(role):
            account = p if p.isdigit() else p.split(":")[4] if p.startswith("arn:") and p.count(":") >= 5 else None
            if not account:
                continue
            named = [d for d in users_by_account.get(account, []) if d["arn"] == p]
            whole = can_assume(account) if p.endswith(":root") or p.isdigit() else []
            for d in named + whole:
                if len(admins.get(d["arn"], {}).get("paths", ())) < MAX_PATHS:
                    add(d["arn"], account, "iam.user", d["name"], {"via": "assume_role", "role": role["arn"]})
    for a, ps, account_id in admin_assignments(inv):
        for user in assignment_users(inv, a):
            add(user["arn"], inv.org_account, "sso.user", user["user_name"],
                {"via": "permission_set", "permission_set": ps["name"], "account_id": account_id})
    inv.memo["admins"] = admins
    return admins


def admin_assignments(inv: Inventory) -> list[tuple[dict, dict, str]]:
    """(assignment, permission set, account) of every assignment of a permission set that is admin there."""
    if "admin_assignments" in inv.memo:
        return inv.memo["admin_assignments"]
    sets = {r["data"]["arn"]: r["data"] for r in inv.of("sso.permission_set")}
    out = []
    for r in inv.of("sso.account_assignment"):
        a = r["data"]
        ps = sets.get(a["permission_set_arn"])
        if ps and permission_set_admin(inv, ps, a["account_id"]):
            out.append((a, ps, a["account_id"]))
    inv.memo["admin_assignments"] = out
    return out


def assignment_users(inv: Inventory, assignment: dict) -> list[dict]:
    """The Identity Center users an assignment reaches: its user, or its group's members (as the group
    lists them, or as users list their groups)."""
    if "sso_index" not in inv.memo:
        users = {r["data"]["user_id"]: r["data"] for r in inv.of("sso.user")}
        members: dict[str, set[str]] = {r["data"]["group_id"]: set(r["data"]["members"]) for r in inv.of("sso.group")}
        for u in users.values():
            for g in u.get("groups") or []:
                members.setdefault(g, set()).add(u["user_id"])
        inv.memo["sso_index"] = (users, {g: [users[m] for m in sorted(ms) if m in users] for g, ms in members.items()})
    users, group_users = inv.memo["sso_index"]
    if assignment["principal_type"] == "USER":
        return [users[assignment["principal_id"]]] if assignment["principal_id"] in users else []
    return group_users.get(assignment["principal_id"], [])
