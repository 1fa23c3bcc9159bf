"""S3 snapshot exports: gzip JSON Lines parts, then the manifest, then latest.json.

Layout under the prefix (default idcensus/v1/):
  runs/<run_id>/snapshot/type=<type>/account=<id>/part-00000.jsonl.gz
  runs/<run_id>/changes/type=<type>/account=<id>/part-00000.jsonl.gz
  runs/<run_id>/manifest.json      written after every part
  latest.json                      {"run_id", "manifest_key"} of the newest complete run
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from idcensus.errors import error_code
from idcensus.model.findings import DERIVED_TYPES
from idcensus.model.records import SCHEMA_VERSION
from idcensus.settings import DEFAULT_PREFIX

PART_RECORDS = 50_000


@dataclass(frozen=True)
class FileEntry:
    key: str
    kind: str  # snapshot | changes
    type: str
    account_id: str
    records: int
    bytes: int
    sha256: str


def normalize_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def encode_lines(records: list[dict[str, Any]]) -> bytes:
    text = "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records)
    # mtime=0: the same records give the same bytes, so checksums are reproducible. Level 6 (zlib's
    # default, not gzip's 9): half the CPU for exported JSON Lines, under 1% bigger.
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def decode_lines(blob: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(blob).decode("utf-8").splitlines() if line]


def put_part(s3, bucket: str, key: str, records: list[dict[str, Any]], *, kind: str, type_: str,
             account_id: str, body: bytes | None = None) -> FileEntry:
    """One gzip JSON Lines part (`body`: the records already encoded), its sha256 in the object's
    metadata and in the returned manifest entry."""
    body = encode_lines(records) if body is None else body
    digest = hashlib.sha256(body).hexdigest()
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="application/x-ndjson",
        ContentEncoding="gzip",
        ChecksumAlgorithm="SHA256",
        Metadata={"sha256": digest, "records": str(len(records)), "kind": kind, "type": type_, "account": account_id},
    )
    return FileEntry(key, kind, type_, account_id, len(records), len(body), digest)


@dataclass
class Exporter:
    """One run's writer and reader of the export bucket. `keep_written`: keep the bytes of the snapshot
    parts this exporter wrote and read them back from memory, not S3 (the CLI census, which reads
    every part of its run again in its findings step; only while this one object lives, and only
    bytes whose sha256 is the manifest entry's). The Lambda functions leave it off: a finisher reads
    parts that other invocations wrote, and a warm container would only grow; they read each part
    once per publish instead (`remembering`)."""

    s3: Any  # boto3 S3 client
    bucket: str
    prefix: str = DEFAULT_PREFIX
    keep_written: bool = False

    def __post_init__(self) -> None:
        self.prefix = normalize_prefix(self.prefix)
        self._written: dict[str, tuple[str, bytes]] = {}  # key: (sha256, body) of a snapshot part written here
        self._read: dict[str, tuple[str, bytes]] | None = None  # parts read while remembering()

    @contextmanager
    def remembering(self):
        """Within it, a part read from S3 is read once: publishing reads every snapshot part for the
        findings and again for the report. Forgotten at the end, so a warm container does not grow."""
        self._read = {}
        try:
            yield self
        finally:
            self._read = None

    def run_prefix(self, run_id: str) -> str:
        return f"{self.prefix}runs/{run_id}/"

    def write_account(
        self, run_id: str, account_id: str, records: Iterable[dict[str, Any]], changes: Iterable[dict[str, Any]]
    ) -> list[FileEntry]:
        """The account's snapshot and changes parts, then its index (the files, for a later run's diff)."""
        files = [*self.write_parts(run_id, account_id, "snapshot", records),
                 *self.write_parts(run_id, account_id, "changes", changes)]
        self.write_index(run_id, account_id, files)
        return files

    def write_parts(self, run_id: str, account_id: str, kind: str, items: Iterable[dict[str, Any]]) -> list[FileEntry]:
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            by_type[item["type"]].append(item)
        files = []
        for type_, group in sorted(by_type.items()):
            for n, start in enumerate(range(0, len(group), PART_RECORDS)):
                files.append(self._put_part(run_id, kind, type_, account_id, n, group[start : start + PART_RECORDS]))
        return files

    def write_index(self, run_id: str, account_id: str, files: list[FileEntry]) -> None:
        self._put_json(self.index_key(run_id, account_id), {"files": [asdict(f) for f in files]})

    def index_key(self, run_id: str, account_id: str) -> str:
        return f"{self.run_prefix(run_id)}accounts/account={account_id}.json"

    def read_records(self, files: Iterable[FileEntry], kind: str = "snapshot") -> list[dict[str, Any]]:
        return [r for f in files if f.kind == kind for r in decode_lines(self._read_part(f))]

    def _read_part(self, f: FileEntry) -> bytes:
        for kept in (self._written, self._read or {}):
            digest, body = kept.get(f.key, (None, b""))
            if digest == f.sha256:
                return body
        body = self.s3.get_object(Bucket=self.bucket, Key=f.key)["Body"].read()
        if self._read is not None:
            self._read[f.key] = (f.sha256, body)
        return body

    def account_files(self, run_id: str, account_id: str) -> list[FileEntry]:
        """An account's collected files in a run, from its index or else the manifest (a refresh run
        lists the accounts it did not refresh there only; findings and people are not collected)."""
        index = self._get_json(self.index_key(run_id, account_id))
        if index is None:
            index = self._get_json(f"{self.run_prefix(run_id)}manifest.json") or {"files": []}
        return [FileEntry(**f) for f in index["files"] if f["account_id"] == account_id and f["type"] not in DERIVED_TYPES]

    def published_snapshot(self, run_id: str | None, account_id: str) -> list[dict[str, Any]]:
        """One account's records in a published run's snapshot; nothing before the first run."""
        return self.read_records(self.account_files(run_id, account_id)) if run_id else []

    def manifest(self, run_id: str) -> dict[str, Any] | None:
        return self._get_json(f"{self.run_prefix(run_id)}manifest.json")

    def _get_json(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as exc:
            if error_code(exc) in {"NoSuchKey", "404"}:
                return None
            raise

    def _put_part(self, run_id, kind, type_, account_id, n, records) -> FileEntry:
        key = f"{self.run_prefix(run_id)}{kind}/type={type_}/account={account_id}/part-{n:05d}.jsonl.gz"
        body = encode_lines(records)
        entry = put_part(self.s3, self.bucket, key, records, kind=kind, type_=type_, account_id=account_id, body=body)
        if self.keep_written and kind == "snapshot":
            self._written[key] = (entry.sha256, body)
        return entry

    def latest(self) -> dict[str, Any] | None:
        return self.latest_tagged()[0]

    def latest_tagged(self) -> tuple[dict[str, Any] | None, str | None]:
        """latest.json and its ETag (None, None before the first run): the version publish() replaces."""
        try:
            got = self.s3.get_object(Bucket=self.bucket, Key=f"{self.prefix}latest.json")
        except ClientError as exc:
            if error_code(exc) in {"NoSuchKey", "404"}:
                return None, None
            raise
        return json.loads(got["Body"].read()), got["ETag"]

    def publish(
        self,
        *,
        run_id: str,
        previous_run_id: str | None,
        started_at: str,
        finished_at: str,
        files: list[FileEntry],
        accounts: list[dict[str, Any]],
        replaces: str | None = None,
        kind: str = "census",
        census_run_id: str | None = None,
    ) -> dict[str, Any]:
        """Write the manifest (after every part exists), then point latest.json at it, only if
        latest.json is still the version (ETag) `replaces` read; None: only if there is none yet.
        Two closers racing cannot both move it: the loser gets LatestMoved and rebases."""
        manifest_key = f"{self.run_prefix(run_id)}manifest.json"
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "run_id": run_id,
            "kind": kind,  # census: every account collected; refresh: targeted re-collection between censuses
            "census_run_id": census_run_id or run_id,  # the newest census this run's snapshot descends from
            "previous_run_id": previous_run_id,
            "started_at": started_at,
            "finished_at": finished_at,
            "prefix": self.prefix,
            "files": [asdict(f) for f in sorted(files, key=lambda f: f.key)],
            "accounts": sorted(accounts, key=lambda a: a["account_id"]),
            "totals": _totals(files),
        }
        self._put_json(manifest_key, manifest)
        condition = {"IfMatch": replaces} if replaces else {"IfNoneMatch": "*"}
        try:
            put_json(self.s3, self.bucket, f"{self.prefix}latest.json", {"run_id": run_id, "manifest_key": manifest_key},
                     **condition)
        except ClientError as exc:
            # 412: another run moved latest.json since it was read; 409: a concurrent conditional write.
            if error_code(exc) in {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}:
                raise LatestMoved(f"latest.json moved while {run_id} was being published") from exc
            raise
        return manifest

    def _put_json(self, key: str, value: dict[str, Any]) -> None:
        put_json(self.s3, self.bucket, key, value)


class LatestMoved(Exception):
    """latest.json is not the version the publisher read: re-read it and publish again."""


def put_json(s3, bucket: str, key: str, value: dict[str, Any], **condition: str) -> None:
    """A manifest-like document: indented, keys sorted, so it diffs and reads well."""
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(value, indent=2, sort_keys=True).encode(),
                  ContentType="application/json", **condition)


def _totals(files: list[FileEntry]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for f in files:
        bucket = totals.setdefault(f.kind, {})
        bucket[f.type] = bucket.get(f.type, 0) + f.records
    return totals
