"""Keeps the member template's tier policies, and the central template's Athena record types,
equal to the registry.

The action lists of stacksets/member.yaml sit between `# registry:<tier> begin` and
`# registry:<tier> end` lines; `render` rewrites them from `registry.actions_for_tier`, and
tests/templates/test_member_sync.py fails when the file differs from its rendering.

`render_projection` writes every record type into template.yaml's partition projection
(`projection.record_type.values`), which tests/templates/test_athena.py holds to the model.

    .venv/bin/python -m tests.templates.member_sync   # rewrite stacksets/member.yaml and template.yaml
"""

from __future__ import annotations

import re

from idcensus.collect import registry
from idcensus.model.records import RECORD_TYPES
from tests.templates.cfn import MEMBER, TEMPLATE

BLOCK = re.compile(
    r"^(?P<indent>[ ]*)# registry:(?P<tier>[a-z_]+) begin\n.*?^(?P=indent)# registry:(?P=tier) end$",
    re.MULTILINE | re.DOTALL,
)


def blocks(text: str) -> list[str]:
    """The tiers whose action lists the template marks, in file order."""
    return [m.group("tier") for m in BLOCK.finditer(text)]


def render(text: str) -> str:
    """The template text with every marked action list replaced by the registry's actions."""

    def block(match: re.Match) -> str:
        indent, tier = match.group("indent"), match.group("tier")
        if tier not in registry.TIERS:
            raise ValueError(f"member.yaml marks unknown tier {tier!r}")
        actions = registry.actions_for_tier(tier)
        if not actions:  # an empty Action list is invalid IAM: the policy resource must go instead
            raise ValueError(f"tier {tier!r} has no actions in the registry: remove its policy from member.yaml")
        lines = [f"{indent}# registry:{tier} begin", *(f"{indent}- {a}" for a in actions), f"{indent}# registry:{tier} end"]
        return "\n".join(lines)

    return BLOCK.sub(block, text)


PROJECTION = re.compile(r"^(?P<key>[ ]*projection\.record_type\.values: ).*$", re.MULTILINE)


def render_projection(text: str) -> str:
    """template.yaml with every Athena table's record-type enum set to the model's record types."""
    return PROJECTION.sub(lambda m: m.group("key") + ",".join(sorted(RECORD_TYPES)), text)


def main() -> None:
    for path, rewrite, what in ((MEMBER, render, lambda text: ", ".join(blocks(text))),
                                (TEMPLATE, render_projection, lambda _: "Athena record types")):
        text = path.read_text()
        new = rewrite(text)
        if new != text:
            path.write_text(new)
        print(f"{path.name}: {what(new)} {'rewritten' if new != text else 'already in step'}")


if __name__ == "__main__":
    main()
