"""The findings step of publishing a run: read the run's snapshot parts, run the rules once over all
accounts (organization-wide rules see everything), write `finding` and `identity.person` parts with
their changes against the previous published run. S3 reads and writes of the export bucket only:
no call to any member account."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from idcensus.findings.run import evaluate
from idcensus.findings.suppressions import BadSuppressions, Suppression, parse
from idcensus.model.changes import changes_between
from idcensus.model.findings import DERIVED_TYPES
from idcensus.store.export import Exporter, FileEntry

log = logging.getLogger("idcensus")
DERIVED = DERIVED_TYPES
SUPPRESSIONS_FILE = "suppressions.json"


def suppressions_key(exporter: Exporter) -> str:
    return f"{exporter.prefix}{SUPPRESSIONS_FILE}"


def read_suppressions(exporter: Exporter) -> list[Suppression]:
    """The customer's suppressions file; an unreadable one is logged and ignored (findings stay open)."""
    try:
        return parse(exporter._get_json(suppressions_key(exporter)))
    except (BadSuppressions, ValueError) as exc:
        log.error("s3://%s/%s ignored: %s", exporter.bucket, suppressions_key(exporter), exc)
        return []


def derived_records(exporter: Exporter, run_id: str | None) -> list[dict]:
    """The findings and people of a published run (nothing before the first)."""
    manifest = exporter.manifest(run_id) if run_id else None
    if not manifest:
        return []
    files = [FileEntry(**f) for f in manifest["files"] if f["type"] in DERIVED and f["kind"] == "snapshot"]
    return exporter.read_records(files)


def write_findings(exporter: Exporter, run_id: str, base_run_id: str | None, files: list[FileEntry], *,
                   now: str) -> list[FileEntry]:
    """The run's findings and people parts (snapshot and changes), to add to its manifest."""
    collected = exporter.read_records([f for f in files if f.type not in DERIVED])
    previous = derived_records(exporter, base_run_id)
    evaluation = evaluate(collected, now=datetime.fromisoformat(now.replace("Z", "+00:00")), run_id=run_id,
                          collected_at=now, previous=previous, suppressions=read_suppressions(exporter))
    current_by, previous_by = defaultdict(list), defaultdict(list)
    for r in evaluation.records:
        current_by[r["account_id"]].append(r)
    for r in previous:
        previous_by[r["account_id"]].append(r)
    out: list[FileEntry] = []
    for account_id in sorted(set(current_by) | set(previous_by)):
        changes = changes_between(previous_by[account_id], current_by[account_id], now=now)
        out += exporter.write_parts(run_id, account_id, "snapshot", current_by[account_id])
        out += exporter.write_parts(run_id, account_id, "changes", changes)
    return out
