"""Activity export: gzip JSON Lines parts per batch, a manifest per batch, a vendor notice.

Layout under the export prefix (default idcensus/v1/):
  activity/date=YYYY-MM-DD/hour=HH/account=<id>/part-<batch_id>.jsonl.gz     activity.event records,
                                                                            partitioned by event time
  activity/changes/date=YYYY-MM-DD/type=<type>/account=<id>/part-<batch_id>.jsonl.gz
                                                                            records a targeted refresh
                                                                            changed (+ "change")
  activity/manifests/YYYY-MM-DD/<batch_id>.json                             written after its parts
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from idcensus.model.records import SCHEMA_VERSION
from idcensus.store.export import PART_RECORDS, FileEntry, normalize_prefix, put_json, put_part

NOTICE_EVENT = "idcensus.activity.exported"


def activity_partition(record: dict[str, Any]) -> tuple[str, str, str]:
    """(date, hour, account) of an activity record, from its event time (RFC 3339)."""
    when = record["event_time"]
    return when[:10], when[11:13], record["account_id"]


@dataclass
class ActivityExporter:
    s3: Any  # boto3 S3 client
    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        self.prefix = normalize_prefix(self.prefix)

    def write(self, batch_id: str, activity: list[dict[str, Any]], changes: list[dict[str, Any]],
              today: str) -> list[FileEntry]:
        """Write the batch's parts; `today` (YYYY-MM-DD) dates the changes parts."""
        files = []
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for record in activity:
            groups[activity_partition(record)].append(record)
        for (date, hour, account), records in sorted(groups.items()):
            base = f"{self.prefix}activity/date={date}/hour={hour}/account={account}/part-{batch_id}"
            files += self._put_parts(base, "activity", "activity.event", account, records)
        by_type: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for record in changes:
            by_type[(record["type"], record["account_id"])].append(record)
        for (type_, account), records in sorted(by_type.items()):
            base = f"{self.prefix}activity/changes/date={today}/type={type_}/account={account}/part-{batch_id}"
            files += self._put_parts(base, "changes", type_, account, records)
        return files

    def _put_parts(self, base: str, kind: str, type_: str, account: str, records: list) -> list[FileEntry]:
        entries = []
        for n, start in enumerate(range(0, len(records), PART_RECORDS)):
            key = f"{base}{f'-{n:05d}' if n else ''}.jsonl.gz"
            chunk = sorted(records[start:start + PART_RECORDS], key=lambda r: (r.get("event_time", ""), r["id"]))
            entries.append(put_part(self.s3, self.bucket, key, chunk, kind=kind, type_=type_, account_id=account))
        return entries

    def manifest_key(self, batch_id: str, today: str) -> str:
        return f"{self.prefix}activity/manifests/{today}/{batch_id}.json"

    def publish(self, batch_id: str, files: list[FileEntry], *, created_at: str,
                counts: dict[str, int]) -> tuple[str, dict[str, Any]]:
        """The batch's manifest, written after every file it lists."""
        key = self.manifest_key(batch_id, created_at[:10])
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "kind": "activity",
            "batch_id": batch_id,
            "created_at": created_at,
            "prefix": self.prefix,
            "files": [asdict(f) for f in sorted(files, key=lambda f: f.key)],
            "counts": dict(sorted(counts.items())),
        }
        put_json(self.s3, self.bucket, key, manifest)
        return key, manifest


def notice(bucket: str, manifest_key: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """The vendor queue message for one published batch."""
    return {
        "event": NOTICE_EVENT,
        "bucket": bucket,
        "manifest_key": manifest_key,
        "batch_id": manifest["batch_id"],
        "schema_version": manifest["schema_version"],
        "records": sum(f["records"] for f in manifest["files"] if f["kind"] == "activity"),
        "changes": sum(f["records"] for f in manifest["files"] if f["kind"] == "changes"),
    }
