"""README sections generated from the code, so the documentation cannot drift from it.

`idcensus docs README.md` rewrites each block between `<!-- gen:NAME -->` and
`<!-- /gen -->`; tests/unit/test_readme.py fails when the README is stale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from idcensus.collect.registry import CAPABILITIES, TIERS, actions_for_tier, tier_policy

_BLOCK = re.compile(r"(<!-- gen:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /gen -->)", re.S)


def capabilities_table() -> str:
    rows = ["| tier | capability | IAM actions (member role) | gives |", "|---|---|---|---|"]
    order = list(TIERS)
    for cap in sorted(CAPABILITIES, key=lambda c: (order.index(c.tier), CAPABILITIES.index(c))):
        actions = ", ".join(f"`{a}`" for a in cap.actions)
        where = " (every enabled region)" if cap.regional else ""
        rows.append(f"| {order.index(cap.tier) + 1} | `{cap.name}` | {actions} | {cap.description}{where} |")
    return "\n".join(rows) + "\n"


def findings_table() -> str:
    """Every findings rule (findings/registry.py), most severe first."""
    from idcensus.findings.registry import SEVERITIES, all_rules

    rows = ["| rule | severity | scope | finds | CIS 4.0 / 5.0 | Prowler | reads | remediation |",
            "|---|---|---|---|---|---|---|---|"]
    for r in sorted(all_rules(), key=lambda r: (SEVERITIES.index(r.severity), r.id)):
        cis = " / ".join(", ".join(c) or "-" for c in (r.cis_v4, r.cis_v5)) if r.cis_v4 or r.cis_v5 else ""
        prowler = ", ".join(f"`{p}`" for p in r.prowler)
        reads = ", ".join(f"`{t}`" for t in r.reads)
        rows.append(f"| `{r.id}` | {r.severity} | {r.scope} | {r.title} | {cis} | {prowler} | {reads} | {r.remediation} |")
    return "\n".join(rows) + "\n"


def tier_policy_block(tier: str) -> str:
    if not actions_for_tier(tier):
        return f"_No member-role actions in tier {tier} yet._\n"
    return "```json\n" + json.dumps(tier_policy(tier), indent=2) + "\n```\n"


def generators() -> dict[str, Callable[[], str]]:
    gens: dict[str, Callable[[], str]] = {"capabilities": capabilities_table, "findings": findings_table}
    for tier in TIERS:
        gens[f"policy.{tier}"] = lambda tier=tier: tier_policy_block(tier)
    return gens


def render(text: str) -> str:
    """The text with every generated block brought up to date; unknown block names are an error."""
    gens = generators()

    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in gens:
            raise KeyError(f"README block gen:{name} has no generator (known: {', '.join(sorted(gens))})")
        return match.group(1) + gens[name]() + match.group(4)

    return _BLOCK.sub(fill, text)


def block_names(text: str) -> set[str]:
    return {m["name"] for m in _BLOCK.finditer(text)}
