"""Directories: empty groups, Identity Center users with nothing assigned, IAM console users beside
Identity Center, and the same person holding several identities."""

from __future__ import annotations

from idcensus.findings.admins import assignment_users
from idcensus.findings.people import people
from idcensus.findings.registry import Hit, rule


@rule(id="group.empty", title="Empty group (IAM or Identity Center)", severity="informational",
      reads=("iam.group", "sso.group"),
      remediation="Delete groups nobody is in, or add the members they were made for.")
def empty_group(inv):
    for r in inv.of("iam.group"):
        if not r["data"]["members"]:
            yield Hit(r["account_id"], r["data"]["arn"], "iam.group", f"IAM group {r['data']['name']} has no members")
    member_of = {g for r in inv.of("sso.user") for g in r["data"].get("groups") or []}
    for r in inv.of("sso.group"):
        d = r["data"]
        if not d["members"] and d["group_id"] not in member_of:
            yield Hit(r["account_id"], d["arn"], "sso.group",
                      f"Identity Center group {d.get('display_name') or d['group_id']} has no members")


@rule(id="sso.user_without_assignment", title="Identity Center user with no account assignment",
      severity="low", scope="organization", reads=("sso.user", "sso.group", "sso.account_assignment"),
      remediation="Remove users who need no AWS access from Identity Center (or its source directory sync).")
def user_without_assignment(inv):
    assigned = {u["user_id"] for r in inv.of("sso.account_assignment") for u in assignment_users(inv, r["data"])}
    for r in inv.of("sso.user"):
        d = r["data"]
        if d["user_id"] not in assigned:
            yield Hit(r["account_id"], d["arn"], "sso.user", f"Identity Center user {d['user_name']} has no assignment")


@rule(id="account.console_users_beside_identity_center",
      title="IAM users sign in to the console where the organization uses Identity Center", severity="low",
      scope="organization", reads=("iam.user", "sso.instance"), cis_v4=("1.21",), cis_v5=("1.20",),
      remediation="Give these people Identity Center access and remove their IAM console passwords.")
def console_users_beside_identity_center(inv):
    if not inv.of("sso.instance"):
        return
    for r in inv.of("iam.user"):
        d = r["data"]
        if d.get("password") and d["password"]["enabled"]:
            yield Hit(r["account_id"], d["arn"], "iam.user",
                      f"{d['name']} has an IAM console password although the organization uses Identity Center")


@rule(id="identity.duplicate", title="One person holds several identities", severity="low", scope="organization",
      reads=("iam.user", "sso.user", "sso.group", "sso.account_assignment"),
      remediation="Give the person one Identity Center user with the permission sets they need and remove "
                  "their IAM users.")
def duplicate_identity(inv):
    for p in people(inv):
        ids = p["identities"]
        if len(ids) > 1:
            first = ids[0]
            where = ", ".join(f"{i['type']} {i['name']} ({i['account_id']})" for i in ids)
            yield Hit(first["account_id"], first["arn"], first["type"],
                      f"{p['display_name']} holds {len(ids)} identities: {where}",
                      {"person_id": p["person_id"], "identities": ids, "matched_on": p["matched_on"],
                       "confidence": p["confidence"]})
