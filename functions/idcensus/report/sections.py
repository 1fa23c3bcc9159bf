"""What the admin's report shows, as plain rows: pure functions over one run's records, its changes
feed and its manifest. html.py lays them out; nothing here knows about HTML.

Findings (`finding`) and people (`identity.person`) are read by their field names where a run holds
them; a run without them shows an empty section, never an error.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

IDENTITY_TYPES = ("iam.user", "iam.role", "iam.group", "iam.root_user", "sso.user", "sso.group")
SEVERITIES = ("critical", "high", "medium", "low", "informational")
FRESHNESS = ((7, "last 7 days"), (30, "8-30 days"), (90, "31-90 days"), (None, "over 90 days"))
MATRIX_MAX_ACCOUNTS = 40  # wider than this, the reach matrix becomes a filterable list only


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    empty: str = "nothing to show"
    classes: dict[int, str] = field(default_factory=dict)  # column index -> CSS class from the cell's value


@dataclass
class Report:
    run: dict[str, Any]
    summary: dict[str, Any]
    coverage: Table
    identities: Table
    findings_by_severity: dict[str, int]
    findings: Table
    people: Table
    changes: Table
    freshness_summary: dict[str, int]
    freshness: Table
    reach_accounts: list[str]
    reach_matrix: Table | None
    reach: Table


def build(records: list[dict[str, Any]], changes: list[dict[str, Any]], manifest: dict[str, Any], *,
          now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_type[r["type"]].append(r)
    accounts = sorted({a["account_id"] for a in manifest.get("accounts", [])} | {r["account_id"] for r in records})
    names = {r["account_id"]: r["data"].get("name") for r in by_type["aws.account"]}
    reach = reach_rows(by_type, set(accounts))
    findings = by_type["finding"]
    return Report(
        run={k: manifest.get(k) for k in ("run_id", "previous_run_id", "started_at", "finished_at", "schema_version")},
        summary={"accounts": len(accounts), "records": len(records), "identities": sum(
            len(by_type[t]) for t in IDENTITY_TYPES), "findings": sum(_open(f) for f in findings),
            "changes": len(changes), "people": len(by_type["identity.person"])},
        coverage=coverage(by_type["aws.account"], manifest.get("accounts", [])),
        identities=identities(by_type, accounts, names),
        findings_by_severity={s: sum(1 for f in findings if _open(f) and f["data"].get("severity") == s)
                              for s in SEVERITIES},
        findings=finding_rows(findings),
        people=people(by_type["identity.person"]),
        changes=Table(["change", "type", "account", "id"], sorted(
            [[c.get("change"), c["type"], c["account_id"], c["id"]] for c in changes]),
            "no changes since the previous run", {0: "change"}),
        freshness_summary=Counter(row[4] for row in activity_rows(by_type, now)),
        freshness=Table(["identity", "type", "account", "last activity", "freshness"], activity_rows(by_type, now),
                        "no users or roles", {4: "fresh"}),
        reach_accounts=accounts,
        reach_matrix=matrix(reach, accounts, names) if len(accounts) <= MATRIX_MAX_ACCOUNTS else None,
        reach=Table(["principal", "kind", "account", "via"], reach, "no cross-account or Identity Center access"),
    )


def coverage(accounts: list[dict[str, Any]], manifest_accounts: list[dict[str, Any]]) -> Table:
    """Accounts x capabilities, and what to fix: the check's fix where one ran, else the run's error."""
    capabilities = sorted({c for a in accounts for c in a["data"]["collection"]["capabilities"]})
    rows = []
    seen = set()
    for a in sorted(accounts, key=lambda a: a["account_id"]):
        collection, check = a["data"]["collection"], a["data"].get("check") or {}
        fixes = {**collection.get("errors", {}), **check.get("problems", {})}
        rows.append([a["account_id"], a["data"].get("name") or "", collection["status"],
                     *(collection["capabilities"].get(c, "-") for c in capabilities),
                     "; ".join(f"{k}: {v}" for k, v in sorted(fixes.items())) or collection.get("error") or ""])
        seen.add(a["account_id"])
    for m in manifest_accounts:  # accounts the run could not read at all have no aws.account record
        if m["account_id"] not in seen:
            rows.append([m["account_id"], "", m.get("status", "failed"), *("-" for _ in capabilities),
                         m.get("error") or ""])
    classes = {i: "outcome" for i in range(2, 3 + len(capabilities))}
    return Table(["account", "name", "status", *capabilities, "what to fix"], rows, "no accounts", classes)


def identities(by_type, accounts: list[str], names: dict[str, str | None]) -> Table:
    counts = Counter((r["account_id"], r["type"]) for t in IDENTITY_TYPES for r in by_type[t])
    rows = [[a, names.get(a) or "", *(counts[(a, t)] for t in IDENTITY_TYPES), sum(counts[(a, t)] for t in IDENTITY_TYPES)]
            for a in accounts]
    return Table(["account", "name", *IDENTITY_TYPES, "total"], rows, "no identities")


def finding_rows(findings: list[dict[str, Any]]) -> Table:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    rows = []
    for f in sorted(findings, key=lambda f: (order.get(f["data"].get("severity"), 9), f["id"])):
        d = f["data"]
        status = "suppressed" if d.get("suppressed") else d.get("status", "open")
        rows.append([d.get("severity", ""), d.get("title") or d.get("rule_id") or f["id"], f["account_id"],
                     d.get("resource_arn") or "", d.get("message") or "", status,
                     _short(d.get("evidence")), d.get("remediation") or "", ", ".join(d.get("controls") or [])])
    return Table(["severity", "finding", "account", "resource", "message", "status", "evidence", "remediation",
                  "controls"], rows, "no findings in this run (none found, or the findings layer did not run)",
                 {0: "severity", 5: "status"})


def people(persons: list[dict[str, Any]]) -> Table:
    rows = []
    for p in sorted(persons, key=lambda p: p["data"].get("display_name") or p["id"]):
        d = p["data"]
        reached = sorted({a.get("account_id") for a in d.get("access") or []} - {None})
        rows.append([d.get("display_name") or p["id"], ", ".join(d.get("emails") or []),
                     ", ".join(f"{i.get('type')} {i.get('name')} ({i.get('account_id')})" for i in d.get("identities") or []),
                     d.get("confidence") or "", len(reached),
                     "; ".join(f"{a.get('account_id')} via {a.get('via')} {a.get('name')}" for a in d.get("access") or [])])
    return Table(["person", "emails", "identities", "match", "accounts", "reaches"], rows,
                 "no people in this run (the findings layer matches identities to people)")


def activity_rows(by_type, now: datetime) -> list[list[Any]]:
    rows = []
    for t in ("iam.user", "iam.role"):
        for r in by_type[t]:
            d = r["data"]
            last = _latest(d.get("last_activity_at"), d.get("last_used_at"), (d.get("password") or {}).get("last_used_at"),
                           *((k or {}).get("last_used_at") for k in d.get("access_keys") or []))
            rows.append([d.get("arn") or r["id"], t, r["account_id"], last or "never", _freshness(last, now)])
    return sorted(rows, key=lambda row: (row[2], row[0]))


def reach_rows(by_type, org: set[str]) -> list[list[str]]:
    """Who can get into which account: Identity Center assignments (groups expanded to their users) and
    IAM roles whose trust names another account's principals."""
    users = {u["data"]["user_id"]: u["data"]["user_name"] for u in by_type["sso.user"]}
    groups = {g["data"]["group_id"]: g["data"] for g in by_type["sso.group"]}
    rows = set()
    for a in by_type["sso.account_assignment"]:
        d = a["data"]
        via = f"permission set {d.get('permission_set_name') or d['permission_set_arn']}"
        if d["principal_type"] == "USER":
            rows.add((f"sso user {users.get(d['principal_id'], d.get('principal_name') or d['principal_id'])}",
                      "identity center", d["account_id"], via))
        else:
            group = groups.get(d["principal_id"], {})
            name = group.get("display_name") or d.get("principal_name") or d["principal_id"]
            rows.add((f"sso group {name}", "identity center", d["account_id"], via))
            for member in group.get("members", []):
                if member in users:
                    rows.add((f"sso user {users[member]}", "identity center", d["account_id"], f"{via} (group {name})"))
    for r in by_type["iam.role"]:
        for principal in trusted_principals(r["data"].get("trust_policy") or {}):
            owner = principal.split(":")[4] if principal.startswith("arn:") else principal
            if owner != r["account_id"] and owner.isdigit():
                kind = "cross-account" if owner in org else "outside the organization"
                rows.add((principal, kind, r["account_id"], f"role {r['data'].get('name')}"))
    return sorted([list(row) for row in rows], key=lambda row: (row[1], row[0], row[2]))


def matrix(reach: list[list[str]], accounts: list[str], names: dict[str, str | None]) -> Table:
    cells: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for principal, _kind, account, via in reach:
        cells[principal][account].append(via.split(" (group")[0].removeprefix("permission set "))
    rows = [[p, *("; ".join(sorted(set(cells[p][a]))) for a in accounts)] for p in sorted(cells)]
    return Table(["principal", *(f"{a} {names.get(a) or ''}".strip() for a in accounts)], rows,
                 "no cross-account or Identity Center access")


def trusted_principals(policy: dict[str, Any]) -> list[str]:
    found = []
    statements = policy.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal") if st.get("Effect") == "Allow" else None
        aws = principal.get("AWS", []) if isinstance(principal, dict) else []
        found += [aws] if isinstance(aws, str) else aws
    return found


def _open(finding: dict[str, Any]) -> bool:
    return finding["data"].get("status", "open") == "open" and not finding["data"].get("suppressed")


def _latest(*stamps: str | None) -> str | None:
    present = [s for s in stamps if s]
    return max(present) if present else None


def _freshness(stamp: str | None, now: datetime) -> str:
    if not stamp:
        return "never used"
    age = (now - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).days
    return next(label for limit, label in FRESHNESS if limit is None or age <= limit)


def _short(value: Any) -> str:
    if not value:
        return ""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 400 else text[:397] + "..."
