"""The commit point of a run: the write of latest.json that names it.

Before it, a run's parts, indexes and even its manifest are invisible to a vendor, who follows only
latest.json and the manifests' previous_run_id chain; a crash anywhere before it publishes nothing,
and the next run's changes are computed against the same published run. Findings and people are
derived here, once per run over every account (store/findings.py), just before the manifest. After it, a retry finds
its own run in latest.json and does nothing. Changes are computed against the run published when
the account was stored; if another run was published since, they are recomputed here, so every
published run's changes are exactly its snapshot against the previous published snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from idcensus.errors import IdcensusError
from idcensus.model.changes import changes_between
from idcensus.store.export import Exporter, FileEntry
from idcensus.store.findings import DERIVED, write_findings


class RunSuperseded(IdcensusError):
    """A newer run was published first: this older snapshot must not replace it."""


def publish_run(exporter: Exporter, *, run_id: str, base_run_id: str | None, started_at: str, finished_at: str,
                files: list[FileEntry], accounts: list[dict[str, Any]]) -> dict[str, Any]:
    """Publish the run (manifest, then latest.json), idempotently; its manifest."""
    latest = exporter.latest()
    published = latest["run_id"] if latest else None
    if published == run_id:  # a retry after the commit point
        return exporter.manifest(run_id) or {}
    if published != base_run_id:  # another run was published since this one began: rare, costlier
        newer = exporter.manifest(published) if published else None
        if newer and newer["started_at"] > started_at:
            raise RunSuperseded(f"run {published}, started after {run_id}, was published first; {run_id} is "
                                "not published (its changes are in the newer run's feed)")
        files = rebase(exporter, run_id, files, published, now=finished_at)
    files = [f for f in files if f.type not in DERIVED]  # a retry before the commit point writes them again
    files += write_findings(exporter, run_id, published, files, now=finished_at)
    return exporter.publish(run_id=run_id, previous_run_id=published, started_at=started_at,
                            finished_at=finished_at, files=files, accounts=accounts)


def rebase(exporter: Exporter, run_id: str, files: list[FileEntry], base_run_id: str | None, *,
           now: str) -> list[FileEntry]:
    """Rewrite the run's changes parts against `base_run_id`'s snapshot; the run's files after."""
    by_account: dict[str, list[FileEntry]] = defaultdict(list)
    for f in files:
        by_account[f.account_id].append(f)
    out: list[FileEntry] = []
    for account_id, account_files in sorted(by_account.items()):
        snapshot = [f for f in account_files if f.kind == "snapshot"]
        changes = changes_between(exporter.published_snapshot(base_run_id, account_id),
                                  exporter.read_records(snapshot), now=now)
        rebased = [*snapshot, *exporter.write_parts(run_id, account_id, "changes", changes)]
        exporter.write_index(run_id, account_id, rebased)
        out += rebased
    return out
