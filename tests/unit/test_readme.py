import json
import re
from pathlib import Path

from idcensus.collect.registry import TIERS, tier_policy
from idcensus.docgen import block_names, render

README = Path(__file__).parents[2] / "README.md"


def test_readme_generated_blocks_are_fresh():
    text = README.read_text()
    assert render(text) == text, "README is stale: run 'idcensus docs README.md'"


def test_readme_has_the_capability_table_and_every_tier_policy():
    names = block_names(README.read_text())
    assert {"capabilities", *(f"policy.{t}" for t in TIERS)} <= names


def test_readme_tier1_policy_is_the_registry_policy():
    text = README.read_text()
    block = re.search(r"<!-- gen:policy.identity -->\s*```json\n(.*?)```", text, re.S)
    assert block and json.loads(block.group(1)) == tier_policy("identity")


def test_render_rejects_an_unknown_block():
    try:
        render("<!-- gen:nope -->\nx\n<!-- /gen -->")
    except KeyError as exc:
        assert "gen:nope" in str(exc)
    else:
        raise AssertionError("an unknown block must fail")


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text


def test_readme_documents_every_findings_rule():
    from idcensus.findings.registry import all_rules

    text = README.read_text()
    block = re.search(r"<!-- gen:findings -->\n(.*?)<!-- /gen -->", text, re.S)
    assert block and all(f"`{r.id}`" in block.group(1) for r in all_rules())
