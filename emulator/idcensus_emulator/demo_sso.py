"""The demo's view of IAM Identity Center: users and assignments (principal -> permission set ->
account -> the AWSReservedSSO_* role), read from exported records."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from idcensus.model.sso import link_roles


def show_identity_center(console: Console, records: Iterable[dict], limit: int = 15) -> None:
    """`records`: exported envelopes of any types (sso.* and iam.role are used), deleted ones skipped."""
    records = [r for r in records if not r.get("deleted")]
    by_type: dict[str, list[dict]] = {}
    for r in records:
        by_type.setdefault(r["type"], []).append(r)
    instances = by_type.get("sso.instance", [])
    if not instances:
        console.print("IAM Identity Center: no instance collected (not enabled, or Tier 2 not granted)")
        return
    for inst in instances:
        d = inst["data"]
        console.print(f"Identity Center instance [bold]{d['instance_arn']}[/] (store {d['identity_store_id']}, "
                      f"owner {d['owner_account_id']}, {d['status']})")
    groups = {g["data"]["group_id"]: g["data"]["display_name"] for g in by_type.get("sso.group", [])}
    users = sorted(by_type.get("sso.user", []), key=lambda r: r["data"]["user_name"])
    table = Table(title=f"Identity Center users ({len(users)}, first {min(limit, len(users))})")
    for col in ("user", "display name", "email", "status", "groups"):
        table.add_column(col)
    for r in users[:limit]:
        d = r["data"]
        emails = ", ".join(e["value"] for e in d["emails"]) or "-"
        names = ", ".join(groups.get(g, g) for g in d.get("groups") or []) or "-"
        table.add_row(d["user_name"], d.get("display_name") or "-", emails, d.get("status") or "-", names)
    console.print(table)

    show_permission_sets(console, by_type.get("sso.permission_set", []))

    assignments = sorted(by_type.get("sso.account_assignment", []),
                         key=lambda r: (r["data"]["account_id"], r["data"].get("permission_set_name") or "",
                                        r["data"].get("principal_name") or ""))
    roles = link_roles(assignments, by_type.get("iam.role", []))
    table = Table(title=f"Identity Center assignments ({len(assignments)}, first {min(limit, len(assignments))}; "
                        f"{len(roles)} linked to their role)")
    for col in ("principal", "permission set", "account", "provisioned", "role in the account"):
        table.add_column(col)
    for r in assignments[:limit]:
        d = r["data"]
        principal = f"{d['principal_type'].lower()} {d.get('principal_name') or d['principal_id']}"
        table.add_row(principal, d.get("permission_set_name") or d["permission_set_arn"], d["account_id"],
                      d.get("provisioning_status") or "-", roles.get(r["id"], "-").split(":role", 1)[-1])
    console.print(table)


def show_permission_sets(console: Console, sets: list[dict]) -> None:
    """Each set's session, policies of every kind, permissions boundary and tags."""
    table = Table(title=f"Identity Center permission sets ({len(sets)})")
    for col in ("permission set", "session", "policies", "permissions boundary", "tags"):
        table.add_column(col)
    for r in sorted(sets, key=lambda r: r["data"]["name"]):
        d = r["data"]
        policies = [p.rsplit("/", 1)[-1] for p in d.get("managed_policies") or []]
        policies += [f"{c['path']}{c['name']}" for c in d.get("customer_managed_policies") or []]
        policies += ["inline"] if d.get("inline_policy") else []
        tags = ", ".join(f"{k}={v}" for k, v in sorted((d.get("tags") or {}).items())) or "-"
        table.add_row(d["name"], d.get("session_duration") or "-", ", ".join(policies) or "-",
                      _boundary(d.get("permissions_boundary")), tags)
    console.print(table)


def _boundary(boundary: dict | None) -> str:
    if not boundary:
        return "-"
    if boundary.get("managed_policy_arn"):
        return boundary["managed_policy_arn"]
    ref = boundary.get("customer_managed_policy") or {}
    return f"customer managed {ref.get('path', '/')}{ref.get('name', '?')}"
