"""The organization's tree (root and OUs, with the accounts directly under each) and its
authorization policies - service control policies and resource control policies - with their
documents and targets. Read in the management account only (the registry marks it
management_only): member accounts cannot see the organization's policies.

Calls grow with OUs and policies, not accounts: one account listing and one OU listing per node,
one policy listing per type, then one DescribePolicy and one ListTargetsForPolicy per policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each, unless
from idcensus.collect.documents import policy_document
from idcensus.model.governance import OrganizationalUnit, OrganizationPolicy, OrgTarget
from idcensus.model.records import Item

POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
# A partition or organization without a policy type (RCPs are newer than SCPs) answers so.
NOT_AVAILABLE = frozenset({"PolicyTypeNotEnabledException", "PolicyTypeNotAvailableForOrganizationException",
                           "UnsupportedAPIEndpointException"})


@dataclass(frozen=True)
class Node:
    node: dict  # ListRoots / ListOrganizationalUnitsForParent entry
    type: str  # ROOT | ORGANIZATIONAL_UNIT
    parent_id: str | None
    path: str
    accounts: list[str]


@dataclass(frozen=True)
class Raw:
    nodes: list[Node]
    policies: list[tuple[dict, dict, list[dict]]]  # (summary, DescribePolicy's Policy, targets)


def get(ctx: Context, region: str | None) -> Raw:
    org = ctx.client("organizations")
    nodes: list[Node] = []
    for root in paginate(org, "list_roots", "Roots"):
        walk(org, root, "ROOT", None, root.get("Name") or "Root", nodes)
    summaries = [p for t in POLICY_TYPES for p in (unless(NOT_AVAILABLE, lambda t=t: paginate(
        org, "list_policies", "Policies", Filter=t)) or [])]

    def read(p: dict) -> tuple[dict, dict, list[dict]]:
        described = org.describe_policy(PolicyId=p["Id"])["Policy"]
        return p, described, paginate(org, "list_targets_for_policy", "Targets", PolicyId=p["Id"])

    return Raw(nodes=nodes, policies=each(read, summaries, ctx.workers))


def walk(org, node: dict, type_: str, parent_id: str | None, path: str, into: list[Node]) -> None:
    accounts = [a["Id"] for a in paginate(org, "list_accounts_for_parent", "Accounts", ParentId=node["Id"])]
    into.append(Node(node, type_, parent_id, path, sorted(accounts)))
    for ou in paginate(org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=node["Id"]):
        walk(org, ou, "ORGANIZATIONAL_UNIT", node["Id"], f"{path}/{ou['Name']}", into)


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for n in raw.nodes:
        items.append(("org.organizational_unit", n.node["Arn"], OrganizationalUnit(
            id=n.node["Id"], arn=n.node["Arn"], name=n.node.get("Name") or n.node["Id"], type=n.type,
            parent_id=n.parent_id, path=n.path, accounts=n.accounts,
            policy_types=sorted(p["Type"] for p in n.node.get("PolicyTypes", []) if p.get("Status") == "ENABLED"),
        )))
    for summary, described, targets in raw.policies:
        content = described.get("Content")
        items.append(("org.policy", summary["Arn"], OrganizationPolicy(
            id=summary["Id"], arn=summary["Arn"], name=summary["Name"], type=summary["Type"],
            description=summary.get("Description") or None, aws_managed=bool(summary.get("AwsManaged")),
            document=policy_document(content) if content else None,
            targets=sorted((OrgTarget(target_id=t["TargetId"], arn=t.get("Arn"), name=t.get("Name"), type=t["Type"])
                            for t in targets), key=lambda t: (t.type, t.target_id)),
        )))
    return items
