"""checkov on both templates, from its own tool venv (`make tools`): no failed check, and every
skip in .checkov.yaml has a reason and still hides a real finding."""

import copy
import json
import os
import re
import subprocess

import pytest

from tests.templates.cfn import CHECKOV_CONFIG, MEMBER, ROOT, TEMPLATE, load, resources_of_type

CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
ENV = {
    **os.environ,
    "SAM_CLI_TELEMETRY": "0",
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "LOG_LEVEL": "WARNING",
}
FILES = ["-f", str(TEMPLATE), "-f", str(MEMBER)]
SKIP_LINE = re.compile(r"^\s*-\s*(CKV2?_[A-Z]+_\d+)\s*(?:#\s*(.*))?$")


def skips() -> dict[str, str]:
    """skip-check entries of .checkov.yaml -> their reason comment ('' when missing)."""
    found, inside = {}, False
    for line in CHECKOV_CONFIG.read_text().splitlines():
        if re.match(r"^skip-check:", line):
            inside = True
            continue
        if inside and re.match(r"^\S", line):
            inside = False
        if inside and (m := SKIP_LINE.match(line)):
            found[m.group(1)] = (m.group(2) or "").strip()
    return found


def start(*args: str, cwd) -> subprocess.Popen:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make tools` (make test does it for you)")
    return subprocess.Popen(
        [str(CHECKOV), *args, *FILES, "--quiet", "--compact", "-o", "json"],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def report(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 1), err[-2000:]
    data = json.loads(out)
    return data[0] if isinstance(data, list) else data


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One checkov run without any skip (proving each skip still fires), and the configured view of
    it: the same results with .checkov.yaml's skip-check entries applied here (its other settings -
    framework cloudformation, compact, quiet - are the run's own flags). One run, not two."""
    # checkov reads .checkov.yaml from its working directory: run elsewhere so no skip applies.
    unskipped = report(start("--framework", "cloudformation", cwd=tmp_path_factory.mktemp("checkov")))
    skipped = set(skips())
    configured = copy.deepcopy(unskipped)
    configured["results"]["failed_checks"] = [c for c in unskipped["results"].get("failed_checks", [])
                                              if c["check_id"] not in skipped]
    return configured, unskipped


def test_no_failed_checks(runs):
    configured, _ = runs
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in configured["results"].get("failed_checks", [])]
    assert failed == []
    assert configured["summary"]["parsing_errors"] == 0


def test_both_templates_were_scanned(runs):
    configured, _ = runs
    expected = len(load(TEMPLATE)["Resources"]) + len(load(MEMBER)["Resources"])
    assert configured["summary"]["resource_count"] == expected
    assert configured["summary"]["passed"] > 0


def test_every_skip_has_a_reason():
    entries = skips()
    assert entries, "no skip-check entries parsed from .checkov.yaml"
    missing = [check for check, reason in entries.items() if len(reason) < 20]
    assert missing == [], f"skip-check entries without a reason comment: {missing}"


def test_every_skip_still_fires(runs):
    _, unskipped = runs
    fired = {c["check_id"] for c in unskipped["results"].get("failed_checks", [])}
    assert set(skips()) == fired, "skip only what fires; drop skips that no longer fire"


def test_queues_use_sse_instead_of_ckv_aws_27():
    # CKV_AWS_27 is skipped because it only knows KmsMasterKeyId; hold the queues to SSE-SQS here.
    for name, queue in resources_of_type(load(TEMPLATE), "AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, name
