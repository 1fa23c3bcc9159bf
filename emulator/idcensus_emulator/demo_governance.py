"""The demo's view of account settings and guardrails: password policies, identity providers and
the roles trusting them, the organization's SCPs/RCPs by target, Access Analyzer's active
findings, and Identity Center applications. Read from exported records."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table


def show_governance(console: Console, records: Iterable[dict], limit: int = 20) -> None:
    records = [r for r in records if not r.get("deleted")]

    def of(type_: str) -> list[dict]:
        return sorted((r for r in records if r["type"] == type_), key=lambda r: (r["account_id"], r["id"]))

    table = Table(title="password policy (iam.password_policy)")
    for col in ("account", "policy", "min length", "max age (days)", "reuse prevention"):
        table.add_column(col)
    for r in of("iam.password_policy"):
        d = r["data"]
        table.add_row(r["account_id"], "set" if d["exists"] else "[red]none (AWS defaults)[/]",
                      str(d.get("minimum_length") or "-"), str(d.get("max_age_days") or "-"),
                      str(d.get("reuse_prevention") or "-"))
    console.print(table)

    table = Table(title="identity providers (iam.identity_provider) and the roles trusting them")
    for col in ("account", "type", "provider", "issuer / client IDs", "valid until", "trusted by roles"):
        table.add_column(col)
    for r in of("iam.identity_provider")[:limit]:
        d = r["data"]
        meta = d.get("metadata") or {}
        table.add_row(r["account_id"], d["type"], d["name"], meta.get("issuer") or ", ".join(d["client_ids"]) or "-",
                      (meta.get("valid_until") or d.get("valid_until") or "-")[:10],
                      ", ".join(a.rsplit("/", 1)[-1] for a in d.get("trusted_by_roles") or []) or "-")
    console.print(table)

    units = {r["data"]["id"]: r["data"]["path"] for r in of("org.organizational_unit")}
    table = Table(title=f"organization policies (org.policy) over {len(units)} OU tree nodes (org.organizational_unit)")
    for col in ("type", "policy", "AWS managed", "statements", "attached to"):
        table.add_column(col)
    for r in of("org.policy"):
        d = r["data"]
        targets = ", ".join(units.get(t["target_id"]) or f"account {t['target_id']}" for t in d["targets"]) or "-"
        table.add_row(d["type"].replace("_POLICY", "").replace("_", " ").lower(), d["name"],
                      "yes" if d["aws_managed"] else "-", str(len((d.get("document") or {}).get("Statement", []))),
                      targets)
    console.print(table)

    table = Table(title="IAM Access Analyzer: active findings (accessanalyzer.analyzer)")
    for col in ("account", "region", "analyzer", "finding", "resource", "who / what"):
        table.add_column(col)
    for r in of("accessanalyzer.analyzer"):
        d = r["data"]
        for f in (d.get("active_findings") or [])[:limit]:
            who = ", ".join(f"{k}={v}" for k, v in f["principal"].items()) or ", ".join(f["action"]) or "-"
            table.add_row(r["account_id"], d["region"], d["name"], f.get("type") or "-",
                          (f.get("resource") or "-").rsplit(":", 1)[-1], who)
    console.print(table)

    table = Table(title="Identity Center applications (sso.application)")
    for col in ("application", "status", "assignment required", "assigned users", "assigned groups"):
        table.add_column(col)
    for r in of("sso.application"):
        d = r["data"]
        kinds = [a["principal_type"] for a in d["assignments"]]
        required = {True: "yes", False: "[red]no: every user[/]", None: "-"}[d.get("assignment_required")]
        table.add_row(d["name"], d.get("status") or "-", required, str(kinds.count("USER")), str(kinds.count("GROUP")))
    console.print(table)
