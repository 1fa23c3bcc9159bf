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
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from idcensus.errors import IdcensusError
from idcensus.model.changes import changes_between
from idcensus.model.findings import DERIVED_TYPES as DERIVED
from idcensus.store.export import Exporter, FileEntry, LatestMoved
from idcensus.store.notify import RUN_COMPLETED
from idcensus.store.state import StateTable

T = TypeVar("T")
PUBLISH_ATTEMPTS = 5  # each lost race means another run was published: a handful is plenty


class RunSuperseded(IdcensusError):
    """A newer run was published first: this older snapshot must not replace it."""


def _reading_once(publish: Callable[..., T]) -> Callable[..., T]:
    """Publishing reads every snapshot part for the findings and again for the report: from S3 once."""

    @wraps(publish)
    def reading_once(exporter: Exporter, *args: Any, **kwargs: Any) -> T:
        with exporter.remembering():
            return publish(exporter, *args, **kwargs)

    return reading_once


@_reading_once
def publish_run(exporter: Exporter, *, run_id: str, base_run_id: str | None, started_at: str, finished_at: str,
                files: list[FileEntry], accounts: list[dict[str, Any]]) -> dict[str, Any]:
    """Publish the run (manifest, then latest.json), idempotently; its manifest.

    latest.json is replaced only if it is still the version read here (an S3 conditional write), so
    of two closers racing one publishes and the other reads again: it then finds its own run there
    (its first write landed but the answer was lost), or rebases onto the run just published."""
    from idcensus.store.findings import write_findings  # the rules: loaded where a run is published, not per event

    files = [f for f in files if f.type not in DERIVED]  # a retry before the commit point writes them again
    for _ in range(PUBLISH_ATTEMPTS):
        latest, etag = exporter.latest_tagged()
        published = latest["run_id"] if latest else None
        if published == run_id:  # a retry after the commit point
            return _reported(exporter, exporter.manifest(run_id) or {})
        if published != base_run_id:  # another run was published since this one began: rare, costlier
            newer = newest_census(exporter, published)
            if newer and newer["started_at"] > started_at:
                raise RunSuperseded(f"run {published}, started after {run_id}, was published first; {run_id} is "
                                    "not published (its changes are in the newer run's feed)")
            files, base_run_id = rebase(exporter, run_id, files, published, now=finished_at), published
        derived = write_findings(exporter, run_id, published, files, now=finished_at)  # against what it follows
        try:
            manifest = exporter.publish(run_id=run_id, previous_run_id=published, started_at=started_at,
                                        finished_at=finished_at, files=[*files, *derived], accounts=accounts,
                                        replaces=etag)
        except LatestMoved:
            continue
        return _reported(exporter, manifest)
    raise LatestMoved(f"latest.json kept moving while {run_id} was being published; the close is retried")


def _reported(exporter: Exporter, manifest: dict[str, Any]) -> dict[str, Any]:
    """The published run's manifest, once its report for the admin is written (report/publish.py)."""
    from idcensus.report.publish import publish_report

    if manifest:
        publish_report(exporter, manifest)
    return manifest


def run_notice(bucket: str, manifest_key: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """The vendor queue message for a published run (a census or a refresh); dedupe it by run_id."""
    accounts = manifest["accounts"]
    return {"event": RUN_COMPLETED, "kind": manifest.get("kind", "census"), "run_id": manifest["run_id"],
            "previous_run_id": manifest["previous_run_id"], "bucket": bucket, "manifest_key": manifest_key,
            "schema_version": manifest["schema_version"], "accounts": len(accounts),
            "failed_accounts": sum(a.get("status") == "failed" for a in accounts)}


def newest_census(exporter: Exporter, run_id: str | None) -> dict[str, Any] | None:
    """The manifest of the newest census on the chain at `run_id`: refreshes published since a run
    began never supersede it (it is rebased onto them), a newer census does."""
    manifest = exporter.manifest(run_id) if run_id else None
    if manifest is None or manifest.get("kind", "census") == "census":
        return manifest
    return exporter.manifest(manifest["census_run_id"])


@_reading_once
def publish_refresh(exporter: Exporter, state: StateTable, *, run_id: str, accounts: Iterable[str],
                    now: str) -> dict[str, Any] | None:
    """Publish targeted re-collections between censuses as a run of their own on the chain, so their
    changes reach the vendor once, through the same commit point. The refreshed accounts' snapshots
    are their current state (which the refresh just wrote); every other account's snapshot is the
    published run's, listed, not copied (its changes are not: they were that run's). The changes are
    snapshot against snapshot, as for a census: a retried refresh whose first attempt wrote the
    state but died before this publishes them now, and one that did publish finds nothing new.
    None: nothing changed, or no run published yet (the first census carries everything)."""
    from idcensus.store.findings import write_findings  # the rules: loaded only when a refresh publishes

    accounts = set(accounts)
    for _ in range(PUBLISH_ATTEMPTS if accounts else 0):
        latest, etag = exporter.latest_tagged()
        if latest is None:
            return None
        if latest["run_id"] == run_id:  # the write landed, its answer was lost
            return _reported(exporter, exporter.manifest(run_id))
        base = exporter.manifest(latest["run_id"])
        known = {a["account_id"] for a in base["accounts"]}
        files: list[FileEntry] = []
        refreshed: set[str] = set()
        for account_id in sorted(accounts & known):  # an account no census saw waits for one
            current = state.records(account_id)
            before = [r for r in exporter.published_snapshot(base["run_id"], account_id) if r["type"] not in DERIVED]
            changes = changes_between(before, current, now=now)
            if changes:
                files += exporter.write_account(run_id, account_id, current, changes)
                refreshed.add(account_id)
        if not refreshed:
            return None
        # Every other account's snapshot is listed from the run this one follows; findings and people
        # are judged again over the whole inventory, as at a census, so a refresh's findings say
        # exactly what the next census would of the same state.
        files += [FileEntry(**f) for f in base["files"] if f["kind"] == "snapshot"
                  and f["account_id"] not in refreshed and f["type"] not in DERIVED]
        files += write_findings(exporter, run_id, base["run_id"], files, now=now)
        entries = [{**a, "refreshed_at": now} if a["account_id"] in refreshed else a for a in base["accounts"]]
        try:
            manifest = exporter.publish(run_id=run_id, previous_run_id=base["run_id"], started_at=now,
                                        finished_at=now, files=files, accounts=entries, replaces=etag,
                                        kind="refresh", census_run_id=base.get("census_run_id", base["run_id"]))
        except LatestMoved:
            continue
        return _reported(exporter, manifest)
    if not accounts:
        return None
    raise LatestMoved(f"latest.json kept moving while refresh {run_id} was being published; it is retried")


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
