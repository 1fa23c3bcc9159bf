"""The one registry: every collected capability names a collector with the one signature, and the
record types it declares are exactly the model's."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import botocore.session

from idcensus.collect import registry
from idcensus.model import RECORD_TYPES

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "idcensus"
COLLECTORS = sorted({c.collector for c in registry.COLLECTED})


def test_the_model_declares_exactly_the_record_types_the_registry_produces():
    from idcensus.model.findings import DERIVED_TYPES  # the findings layer's, derived from the others

    assert registry.record_types() | set(DERIVED_TYPES) == set(RECORD_TYPES)
    assert not registry.record_types() & set(DERIVED_TYPES)


def test_a_capability_covers_only_record_types_it_produces():
    for c in registry.CAPABILITIES:
        assert set(c.covers) <= set(c.produces), c.name


def test_every_collector_has_the_one_signature():
    for path in COLLECTORS:
        module = importlib.import_module(path)
        assert list(inspect.signature(module.get).parameters)[:2] == ["ctx", "region"], path
        assert list(inspect.signature(module.transform).parameters) == ["raw", "scope"], path


def test_capabilities_sharing_a_collector_run_alike():
    for path in COLLECTORS:
        caps = [c for c in registry.COLLECTED if c.collector == path]
        assert len({(c.regional, c.management_only, c.tier) for c in caps}) == 1, path
        if caps[0].regional:
            assert len(caps) == 1, f"{path}: a regional collector runs one capability"


def test_every_collected_capability_names_a_boto3_service():
    services = set(botocore.session.get_session().get_available_services())
    for c in registry.COLLECTED:
        assert c.service in services, c.name


def test_importing_the_orchestrator_imports_no_collector():
    """Lambda cold start: a collector module is imported when its entry runs, not before."""
    code = ("import sys, idcensus.collect.account; "
            "print(' '.join(m for m in sys.modules if m.startswith('idcensus.collect.')))")
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split())
    assert not loaded & set(COLLECTORS), loaded & set(COLLECTORS)


def _idcensus_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("idcensus"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("idcensus")}
    return found


def test_the_contract_registry_and_settings_are_leaves():
    contract = _idcensus_imports(PACKAGE / "collect" / "contract.py")
    leaves = ("idcensus.errors", "idcensus.model", "idcensus.aws", "idcensus.arns")
    assert {m for m in contract if not m.startswith(leaves)} == set()
    assert _idcensus_imports(PACKAGE / "collect" / "registry.py") == set()
    assert _idcensus_imports(PACKAGE / "settings.py") == set()
    assert _idcensus_imports(PACKAGE / "arns.py") == set()
