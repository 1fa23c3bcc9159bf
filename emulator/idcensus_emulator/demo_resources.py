"""The demo's view of Tier 3: resources with the roles they run as, whether a resource policy is
set, and who outside the organization it (or a role's trust policy) lets in. Read from exported records."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table


def show_resources(console: Console, records: Iterable[dict], limit: int = 40) -> None:
    """`records`: exported envelopes of any types (resource.* and iam.role are used), deleted ones skipped."""
    records = [r for r in records if not r.get("deleted")]
    resources = sorted((r for r in records if r["type"].startswith("resource.")),
                       key=lambda r: (bool(not r["data"].get("external_principals")), r["type"], r["account_id"],
                                      r["data"].get("region") or "", r["data"]["name"]))
    if not resources:
        console.print("resources: none collected (Tier 3 not granted, or no resources in the enabled regions)")
        return
    table = Table(title=f"resources ({len(resources)}, first {min(limit, len(resources))}; outside access first)")
    for col in ("type", "account", "region", "name", "runs as", "policy", "outside the organization"):
        table.add_column(col)
    for r in resources[:limit]:
        d = r["data"]
        roles = ", ".join(a.rsplit("/", 1)[-1] for a in d.get("roles") or []) or "-"
        outside = ", ".join(d.get("external_principals") or []) or "-"
        table.add_row(r["type"].removeprefix("resource."), r["account_id"], d.get("region") or "-", d["name"],
                      roles, "yes" if d.get("policy") else "-", f"[red]{outside}[/]" if outside != "-" else outside)
    console.print(table)

    trusted = [r for r in records if r["type"] == "iam.role" and r["data"].get("external_principals")]
    if trusted:
        roles = Table(title="roles whose trust policy admits principals outside the organization")
        for col in ("account", "role", "outside the organization"):
            roles.add_column(col)
        for r in sorted(trusted, key=lambda r: (r["account_id"], r["data"]["name"]))[:limit]:
            roles.add_row(r["account_id"], r["data"]["name"], ", ".join(r["data"]["external_principals"]))
        console.print(roles)
