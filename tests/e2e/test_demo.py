"""`idcensus demo` end to end: the README's first command must keep working at every commit."""

import json
import os
import subprocess
import sys

from tests.e2e.conftest import EMULATED_PYTHON_M


def test_demo_runs_the_whole_job_and_exports(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"COLUMNS": "200"}
    out = tmp_path / "export"
    # `idcensus demo`, its emulator with the test processes' speedups (tests/speedups.py: the same answers)
    done = subprocess.run([sys.executable, "-c", EMULATED_PYTHON_M, "idcensus.cli", "demo", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    text = done.stdout
    for shown in ("run 1: first collection", "run 2: collection after the deletion", "idcensus.run.completed",
                  "Identity Center assignments", "Marketplace charges", "coverage by account",
                  "targeted refresh of carol", "denied (sso:ListInstances)", "Tier 1 works everywhere",
                  "findings of run", "user.console_without_mfa", "people holding several identities"):
        assert shown in text, f"the demo no longer shows {shown!r}"
    assert "Traceback" not in done.stderr
    latest = json.loads((out / "idcensus/v1/latest.json").read_text())
    manifest = json.loads((out / latest["manifest_key"]).read_text())
    types = {f["type"] for f in manifest["files"]}
    assert {"iam.user", "sso.account_assignment", "resource.lambda.function", "billing.marketplace_charge",
            "finding", "identity.person"} <= types
    assert any((out / "idcensus/v1/activity").rglob("*.jsonl.gz")), "no activity export"
    assert any((out / "idcensus-quarantine").rglob("*.json")), "the broken event was not quarantined"
    report = out / "report.html"
    assert f"open the report: {report.resolve()}" in " ".join(text.split()) and "<table" in report.read_text()
    pulled = json.loads((out / "vendor-pull/.idcensus/cursor.json").read_text())
    assert pulled["run_id"] == latest["run_id"] and (out / "vendor-pull/census.duckdb").is_file()
    assert "console-without-mfa" in text and "row(s)" in text
