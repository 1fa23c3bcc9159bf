"""Backfill from a trail's S3 log files, through the same normalize / dedupe / effects / export path.

Trail layout: <prefix>/[o-xxxxxxxxxx/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz
(organization trails have the o- segment; account trails do not). Each file is gzip JSON
{"Records": [...]}. A finished file is checkpointed (pk BACKFILL#<bucket>, sk <key>), so a rerun
resumes where the last one stopped; events already seen live count once (EVENT#<id> markers).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from idcensus.clock import now_iso
from idcensus.store.export import normalize_prefix
from idcensus.stream.normalize import Rejected

MAX_DAYS = 3650
GROUP_FILES, GROUP_EVENTS = 200, 5000  # log files and events per export batch
ACCOUNT = re.compile(r"\d{12}")


@dataclass
class BackfillResult:
    files: int = 0  # log files found for the days and accounts asked
    done: int = 0  # processed in this run
    resumed: int = 0  # skipped: checkpointed by an earlier run
    counts: Counter = field(default_factory=Counter)
    complete: bool = True

    def summary(self) -> dict[str, Any]:
        return {"files": self.files, "processed": self.done, "resumed": self.resumed, "complete": self.complete,
                "counts": dict(sorted(self.counts.items()))}


def _children(s3, bucket: str, prefix: str) -> list[str]:
    """The 'folder' names right under prefix."""
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        out += [p["Prefix"][len(prefix):].rstrip("/") for p in page.get("CommonPrefixes", [])]
    return out


def account_prefixes(s3, bucket: str, prefix: str, accounts: Iterable[str] | None) -> list[tuple[str, str]]:
    """(account, '<...>/<account>/CloudTrail/') for an organization or an account trail."""
    root = normalize_prefix(prefix)
    wanted = set(accounts) if accounts else None
    found = []
    for name in _children(s3, bucket, root):
        bases = [(a, f"{root}{name}/{a}/") for a in _children(s3, bucket, f"{root}{name}/")] \
            if name.startswith("o-") else [(name, f"{root}{name}/")]
        for account, base in bases:
            if ACCOUNT.fullmatch(account) and (wanted is None or account in wanted):
                found.append((account, f"{base}CloudTrail/"))
    return sorted(found)


def log_files(s3, bucket: str, prefix: str, days: int, accounts: Iterable[str] | None,
              today: date | None = None) -> list[str]:
    """Every log file (digests excluded) of the last `days` days, oldest first.

    One listing per (account, region) from the first day on: keys sort by their YYYY/MM/DD folders,
    so calls grow with files / 1,000, not with days (3,650 days would be 3,650 listings a region).
    """
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    keys = []
    for _account, base in account_prefixes(s3, bucket, prefix, accounts):
        for region in _children(s3, bucket, base):
            folder = f"{base}{region}/"
            start, stop = f"{folder}{first:%Y/%m/%d}/", f"{folder}{today + timedelta(days=1):%Y/%m/%d}/"
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder, StartAfter=start)
            for page in pages:
                batch = [o["Key"] for o in page.get("Contents", [])]
                keys += [k for k in batch if k < stop and "CloudTrail-Digest" not in k]
                if batch and batch[-1] >= stop:
                    break  # past today: the rest of the region's history is newer
    return keys


def read_records(s3, bucket: str, key: str) -> list[Any]:
    """The records of one log file; Rejected("bad_log_file") when it is not gzip JSON {"Records": [...]}."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        if key.endswith(".gz") or body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        document = json.loads(body)
    except (OSError, EOFError, ValueError, RecursionError) as exc:  # gzip, truncation, JSON, UTF-8, nesting
        raise Rejected("bad_log_file", f"s3://{bucket}/{key}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Records", []), list):
        raise Rejected("bad_log_file", f"s3://{bucket}/{key}: not a CloudTrail log file (no Records list)")
    return document.get("Records", [])


@dataclass
class Checkpoints:
    table: Any  # boto3 DynamoDB Table resource
    bucket: str

    @property
    def pk(self) -> str:
        return f"BACKFILL#{self.bucket}"

    def done(self) -> set[str]:
        keys, params = set(), {"KeyConditionExpression": Key("pk").eq(self.pk), "ProjectionExpression": "sk"}
        while True:
            page = self.table.query(**params)
            keys.update(item["sk"] for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return keys
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def mark(self, keys: list[str]) -> None:
        done_at = now_iso()
        with self.table.batch_writer() as batch:
            for key in keys:
                batch.put_item(Item={"pk": self.pk, "sk": key, "done_at": done_at})


def run_backfill(service, trail_s3, trail_bucket: str, *, prefix: str = "AWSLogs", days: int = 90,
                 accounts: Iterable[str] | None = None, deadline: float | None = None,
                 on_start: Callable[[int], None] | None = None, on_file: Callable[[str], None] | None = None,
                 today: date | None = None) -> BackfillResult:
    """Process every not yet checkpointed log file; stop early (complete=False) at `deadline` (monotonic)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1..{MAX_DAYS}, got {days}")
    checkpoints = Checkpoints(service.state.table, trail_bucket)
    keys = log_files(trail_s3, trail_bucket, prefix, days, accounts, today)
    done = checkpoints.done()
    result = BackfillResult(files=len(keys))
    todo = [k for k in keys if k not in done]
    result.resumed = len(keys) - len(todo)
    if on_start:
        on_start(len(todo))
    group: list[str] = []
    batch = None
    for key in todo:
        if deadline is not None and time.monotonic() > deadline:
            result.complete = False
            break
        if batch is None:
            # Named after its first file: a rerun that redoes the group overwrites the same parts.
            batch = service.batch(f"backfill-{hashlib.sha256(key.encode()).hexdigest()[:20]}", refresh=False)
        try:
            records = read_records(trail_s3, trail_bucket, key)
        except Rejected as rej:
            # Kept, not dropped: the quarantine names the file (left in the trail bucket) and why.
            batch.service.quarantine.put(json.dumps({"trail_bucket": trail_bucket, "key": key}), rej.reason,
                                         rej.detail, now_iso(), "backfill")
            result.counts["bad_log_files"] += 1
            records = []
        for record in records:
            if isinstance(record, dict):
                batch.add_event(record)  # skips data events itself, as the live path does
            else:  # not an object: quarantined with the rest of the bad input
                batch.add_raw(json.dumps(record), "backfill")
        group.append(key)
        # Many small log files share one batch (parts, manifest), flushed every few thousand events.
        if len(group) >= GROUP_FILES or batch.result.counts["received"] >= GROUP_EVENTS:
            _flush(batch, group, checkpoints, result, on_file)
            group, batch = [], None
    if batch is not None:
        _flush(batch, group, checkpoints, result, on_file)
    return result


def _flush(batch, group: list[str], checkpoints: Checkpoints, result: BackfillResult, on_file) -> None:
    """Export the group's events, then checkpoint its files (never before: a crash redoes them)."""
    finished = batch.finish()
    result.counts.update(finished.counts)
    checkpoints.mark(group)
    result.done += len(group)
    for key in group:
        if on_file:
            on_file(key)
