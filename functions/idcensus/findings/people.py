"""People: IAM users across accounts and Identity Center users that are the same person.

Matching (each link has a confidence; a person's confidence is its weakest link):
- e-mail, high: the same address (case-insensitive) in an Identity Center user's e-mails or user
  name, an IAM user's name, or an IAM user's e-mail tag (email, e-mail, mail).
- user name, medium: the same normalized name (lower case, the part before '@', only letters and
  digits, at least 3 of them) on IAM users with a console password (people sign in; workloads do
  not) or Identity Center users.
- owner tag, low: an IAM user whose owner tag (owner, owner-email, created-by) holds an address or a
  name matching another identity.
Anything unmatched stays its own person (confidence single). Pure."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from idcensus.findings.admins import assignment_users
from idcensus.findings.inventory import Inventory

EMAIL_TAGS = ("email", "mail", "emailaddress")
OWNER_TAGS = ("owner", "owneremail", "createdby")
RANK = {"high": 3, "medium": 2, "low": 1}


def _norm_key(key: str) -> str:
    return "".join(c for c in key.lower() if c.isalnum())


def _name(value: str) -> str | None:
    local = value.lower().split("@", 1)[0]
    name = "".join(c for c in local if c.isalnum())
    return name if len(name) >= 3 else None


def _email(value: str) -> str | None:
    value = value.strip().lower()
    return value if "@" in value and "." in value.split("@", 1)[1] else None


def identities(inv: Inventory) -> list[dict]:
    """Every IAM user and Identity Center user with what it can be matched on: [(on, value, confidence)]."""
    out = []
    for r in inv.of("iam.user"):
        d = r["data"]
        tags = {_norm_key(k): v for k, v in (d.get("tags") or {}).items()}
        keys = []
        for v in [d["name"], *(tags[k] for k in EMAIL_TAGS if k in tags)]:
            if _email(v):
                keys.append(("email", _email(v), "high"))
        if d.get("password") and d["password"]["enabled"] and _name(d["name"]):
            keys.append(("user_name", _name(d["name"]), "medium"))
        for k in OWNER_TAGS:
            if k in tags:
                keys += [("owner_tag", x, "low") for x in {_email(tags[k]), _name(tags[k])} if x]
        out.append({"arn": d["arn"], "type": "iam.user", "account_id": r["account_id"], "name": d["name"],
                    "keys": keys, "data": d})
    for r in inv.of("sso.user"):
        d = r["data"]
        emails = {_email(e["value"]) for e in d.get("emails") or []} | {_email(d["user_name"])}
        keys = [("email", e, "high") for e in sorted(x for x in emails if x)]
        if _name(d["user_name"]):
            keys.append(("user_name", _name(d["user_name"]), "medium"))
        out.append({"arn": d["arn"], "type": "sso.user", "account_id": inv.org_account, "name": d["user_name"],
                    "keys": keys, "data": d, "display_name": d.get("display_name")})
    return out


def match(idents: list[dict]) -> list[tuple[list[dict], list[tuple[str, str, str]]]]:
    """Groups of identities that are one person, with the links that joined them: union-find over
    shared e-mails and names; an owner tag joins only the identity it names (two users with one owner
    are owned by that person, not that person)."""
    parent = list(range(len(idents)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def kind(on: str, value: str) -> str:
        return "email" if on == "email" or "@" in value else "name"

    by_value: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ident in enumerate(idents):
        for on, value, _ in ident["keys"]:
            if on != "owner_tag":
                by_value[(kind(on, value), value)].append(i)
    links: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for (k, value), members in by_value.items():
        if len(members) > 1:
            for i in members[1:]:
                parent[find(i)] = find(members[0])
            links[members[0]].append(("email", value, "high") if k == "email" else ("user_name", value, "medium"))
    for i, ident in enumerate(idents):
        for on, value, _ in ident["keys"]:
            targets = [t for t in by_value.get((kind(on, value), value), []) if t != i] if on == "owner_tag" else []
            if targets:
                parent[find(i)] = find(targets[0])
                links[i].append(("owner_tag", value, "low"))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(idents)):
        groups[find(i)].append(i)
    return [([idents[m] for m in members], [link for m in members for link in links.get(m, [])])
            for members in groups.values()]


def people(inv: Inventory) -> list[dict]:
    """identity.person data, one per person: identities, how they matched, groups, access."""
    if "people" in inv.memo:
        return inv.memo["people"]
    assignments = defaultdict(list)  # sso user id -> [(account, permission set name)]
    sets = {r["data"]["arn"]: r["data"] for r in inv.of("sso.permission_set")}
    for r in inv.of("sso.account_assignment"):
        a = r["data"]
        for u in assignment_users(inv, a):
            ps = sets.get(a["permission_set_arn"], {})
            assignments[u["user_id"]].append((a["account_id"], a.get("permission_set_name") or ps.get("name") or
                                               a["permission_set_arn"], ps))
    out = []
    for members, links in match(identities(inv)):
        members.sort(key=lambda m: (m["type"] != "sso.user", m["account_id"], m["arn"]))
        emails = sorted({v for m in members for on, v, _ in m["keys"] if on == "email"})
        groups, access = [], []
        for m in members:
            d = m["data"]
            if m["type"] == "iam.user":
                groups += list(d.get("groups") or [])
                policies = [w for w, _ in inv.policy_documents(m["account_id"], d)]
                access.append({"account_id": m["account_id"], "via": "iam_user", "name": d["name"], "policies": policies})
            else:
                groups += list(d.get("groups") or [])
                for account_id, name, ps in sorted(assignments.get(d["user_id"], []), key=lambda x: x[:2]):
                    customer = [c["name"] for c in ps.get("customer_managed_policies") or []]
                    policies = [*(ps.get("managed_policies") or []), *customer]
                    access.append({"account_id": account_id, "via": "permission_set", "name": name, "policies": policies})
        anchor = emails[0] if emails else members[0]["arn"]
        confidence = min((c for _, _, c in links), key=RANK.get) if links else "single"
        out.append({
            "person_id": "person-" + hashlib.sha256(anchor.encode()).hexdigest()[:16],
            "display_name": next((m.get("display_name") for m in members if m.get("display_name")), members[0]["name"]),
            "emails": emails,
            "identities": [{"arn": m["arn"], "type": m["type"], "account_id": m["account_id"], "name": m["name"]}
                           for m in members],
            "matched_on": [{"on": on, "value": v, "confidence": c} for on, v, c in sorted(set(links))],
            "confidence": confidence, "groups": sorted(set(groups)),
            "access": sorted(access, key=lambda a: (a["account_id"], a["via"], a["name"])),
        })
    out.sort(key=lambda p: p["person_id"])
    inv.memo["people"] = out
    return out
