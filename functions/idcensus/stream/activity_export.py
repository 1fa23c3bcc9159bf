"""Activity export: gzip JSON Lines parts per batch, a manifest per batch, a vendor notice.

Layout under the export prefix (default idcensus/v1/):
  activity/date=YYYY-MM-DD/hour=HH/account=<id>/part-<batch_id>.jsonl.gz     activity.event records,
                                                                            partitioned by event time
  activity/manifests/YYYY-MM-DD/<batch_id>.json                             written after its parts

Export windows (ACTIVITY_WINDOW_SECONDS > 0, the deployed normalizer): a batch stages its records in
the state table instead (pk EXPORT#<window>, one gzip item per batch, TTL `expires_at`), and the
window is exported once, after it closed, as one batch named window-<window>: one part per account
and event hour for the whole window rather than one per Lambda batch. Parts are the S3 requests
that dominate the activity tier's cost (README "What it costs").
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from idcensus.errors import IdcensusError, error_code
from idcensus.model.records import SCHEMA_VERSION
from idcensus.store.export import PART_RECORDS, FileEntry, decode_lines, encode_lines, normalize_prefix, put_json, put_part

NOTICE_EVENT = "idcensus.activity.exported"
FLUSH_EVENT = "idcensus.activity.window"  # the delayed message that exports a closed window
# A closed window waits this long for batches still writing into it (more than the normalizer's timeout).
WINDOW_GRACE = 120
MAX_DELAY = 900  # SQS DelaySeconds: window + grace must fit in one delayed message
MAX_STAGED_BYTES = 300 * 1024  # one staged item stays under DynamoDB's 400 KB
FLUSH_LEASE = 300  # a flush that crashed may be redone after this


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

    def write(self, batch_id: str, activity: list[dict[str, Any]]) -> list[FileEntry]:
        """Write the batch's parts (refreshes publish their changes as runs: store/commit.py)."""
        files = []
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for record in activity:
            groups[activity_partition(record)].append(record)
        for (date, hour, account), records in sorted(groups.items()):
            base = f"{self.prefix}activity/date={date}/hour={hour}/account={account}/part-{batch_id}"
            files += self._put_parts(base, "activity", "activity.event", account, records)
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
    }


class WindowOpen(IdcensusError):
    """A window was asked to export before it closed (early delivery); its message is retried later."""


def window_of(now: datetime, seconds: int) -> str:
    """The export window holding `now`: its start, UTC, to the minute (windows are whole minutes)."""
    start = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, UTC).strftime("%Y%m%dT%H%MZ")


def window_due(window: str, seconds: int) -> datetime:
    """When a window may be exported: its end plus the grace for batches still writing into it."""
    start = datetime.strptime(window, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    return start + timedelta(seconds=seconds + WINDOW_GRACE)


def window_batch_id(window: str) -> str:
    return f"window-{window}"


def flush_body(window: str, seconds: int) -> str:
    return json.dumps({"event": FLUSH_EVENT, "window": window, "seconds": seconds})


def chunks(records: list[dict[str, Any]]) -> list[bytes]:
    """The records as gzip JSON Lines blobs, each small enough for one DynamoDB item."""
    blob = encode_lines(records)
    if len(blob) <= MAX_STAGED_BYTES or len(records) == 1:  # one event is at most 256 KB raw
        return [blob]
    half = len(records) // 2
    return chunks(records[:half]) + chunks(records[half:])


@dataclass
class StagedWindows:
    """Records waiting for their window's export, in the state table (a DynamoDB adapter).

    Items: pk EXPORT#<window>, sk BATCH#<batch_id>#<n>   records (gzip JSON Lines), counts on n = 0
           pk EXPORT#<window>, sk FLUSH                  the export's claim: pending (leased) | done
    """

    table: Any  # boto3 DynamoDB Table resource
    ttl_days: int = 30

    def stage(self, window: str, batch_id: str, records: list[dict[str, Any]], counts: dict[str, int],
              now: datetime) -> int:
        """One item per chunk; a retried batch writes its items again under its new batch id."""
        expires = int(now.timestamp()) + self.ttl_days * 86_400
        blobs = chunks(records)
        for n, blob in enumerate(blobs):
            item = {"pk": f"EXPORT#{window}", "sk": f"BATCH#{batch_id}#{n:04d}", "records": blob,
                    "expires_at": expires}
            if n == 0:
                item["counts"] = json.dumps(counts, sort_keys=True)
            self.table.put_item(Item=item)
        return len(blobs)

    def claim(self, window: str, now: datetime) -> bool:
        """True for the one flush that may export the window now; False once it is done or leased.

        A lease held by another flush is left to it: if that flush died, its own message comes back
        after the queue's visibility timeout (longer than the lease) and claims the window then. The
        claim's token makes a retried request (its first answer lost) find its own lease, not refuse it."""
        at, token = int(now.timestamp()), secrets.token_hex(8)
        try:
            self.table.put_item(
                Item={"pk": f"EXPORT#{window}", "sk": "FLUSH", "state": "pending", "lease_until": at + FLUSH_LEASE,
                      "claim_token": token, "expires_at": at + self.ttl_days * 86_400},
                ConditionExpression="attribute_not_exists(pk) OR (#s = :pending AND (lease_until < :now OR claim_token = :token))",  # noqa: E501
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":pending": "pending", ":now": at, ":token": token},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def staged(self, window: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Every record staged for the window, each event once, and the summed batch counts."""
        records: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = defaultdict(int)
        params = {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :batch)", "ConsistentRead": True,
                  "ExpressionAttributeValues": {":pk": f"EXPORT#{window}", ":batch": "BATCH#"}}
        while True:
            page = self.table.query(**params)
            for item in page["Items"]:
                for record in decode_lines(bytes(item["records"])):
                    records.setdefault(record["id"], record)  # a retried batch staged it twice
                for name, value in json.loads(item.get("counts", "{}")).items():
                    counts[name] += value
                counts["staged_batches"] += "counts" in item
            if "LastEvaluatedKey" not in page:
                return list(records.values()), dict(counts)
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def done(self, window: str, now: datetime) -> None:
        self.table.put_item(Item={"pk": f"EXPORT#{window}", "sk": "FLUSH", "state": "done",
                                  "expires_at": int(now.timestamp()) + self.ttl_days * 86_400})
