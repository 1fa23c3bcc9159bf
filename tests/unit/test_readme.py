import json
import re
from pathlib import Path

from idcensus.collect.registry import tier_policy

README = Path(__file__).parents[2] / "README.md"


def test_readme_policy_block_is_generated_from_the_registry():
    text = README.read_text()
    block = re.search(r"<!-- policy:identity -->\s*```json\n(.*?)```\s*<!-- /policy -->", text, re.S)
    assert block, "README lost its generated policy block"
    assert json.loads(block.group(1)) == tier_policy("identity"), "run: idcensus policy --tier identity"


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
