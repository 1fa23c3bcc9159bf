"""The member template's tier policies are generated from the registry: drift fails here, loudly,
with the one command that fixes it."""

import re

from idcensus.collect import registry
from tests.templates.cfn import MEMBER, as_list, load
from tests.templates.member_sync import blocks, render

FIX = "stacksets/member.yaml differs from the registry: run `.venv/bin/python -m tests.templates.member_sync`"


def test_member_policies_are_rendered_from_the_registry():
    text = MEMBER.read_text()
    assert render(text) == text, FIX


def test_every_tier_with_actions_has_a_marked_policy():
    marked = blocks(MEMBER.read_text())
    assert len(marked) == len(set(marked))
    assert set(marked) == {tier for tier in registry.TIERS if registry.actions_for_tier(tier)}, FIX


def test_render_rewrites_a_stale_block(tmp_path):
    # The generator really replaces a block: a stale list comes back as the registry's.
    text = MEMBER.read_text()
    stale = re.sub(r"- [\w-]+:\w+\n(\s*# registry:identity end)", r"- iam:DeleteUser\n\1", text, count=1)
    assert stale != text
    assert render(stale) == text
    out = tmp_path / "member.yaml"
    out.write_text(render(stale))
    policy = load(out)["Resources"]["IdentityTierPolicy"]["Properties"]["PolicyDocument"]
    assert [a for s in as_list(policy["Statement"]) for a in as_list(s["Action"])] == registry.actions_for_tier("identity")


def test_render_projection_puts_back_a_missing_record_type():
    from tests.templates.cfn import TEMPLATE
    from tests.templates.member_sync import render_projection

    text = TEMPLATE.read_text()
    stale = text.replace(",resource.sns.topic,", ",")
    assert stale.count("resource.sns.topic") == text.count("resource.sns.topic") - 2  # both tables' enums
    assert render_projection(stale) == text
