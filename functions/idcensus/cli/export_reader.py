"""Reading a published export as a vendor does: latest.json, the manifests' previous_run_id chain, and
every file checked against its manifest entry (sha256 and record count) before it is used.

A source is the bucket (S3) or a folder holding the export's own layout (a pull's output, the demo's
copy); both answer `read(key) -> bytes | None`, so the pull, the query and the report read either.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

from idcensus.errors import ConfigError, IdcensusError, error_code
from idcensus.store.export import normalize_prefix

NOT_FOUND = {"NoSuchKey", "404"}


class Source(Protocol):
    prefix: str

    def read(self, key: str) -> bytes | None: ...

    def where(self) -> str: ...


@dataclass
class BucketSource:
    s3: Any
    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        self.prefix = normalize_prefix(self.prefix)

    def read(self, key: str) -> bytes | None:
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND:
                return None
            raise

    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass
class FolderSource:
    root: Path
    prefix: str

    def __post_init__(self) -> None:
        self.prefix = normalize_prefix(self.prefix)

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def where(self) -> str:
        return str(self.root / self.prefix)


class ExportDamaged(IdcensusError):
    """A file does not match its manifest entry: it must not be used."""


class ChainBroken(ConfigError):
    """The runs since the cursor cannot be followed back to it: the pull refuses rather than skip runs."""


def read_json(source: Source, key: str) -> dict[str, Any] | None:
    blob = source.read(key)
    return None if blob is None else json.loads(blob)


def latest(source: Source) -> dict[str, Any]:
    found = read_json(source, f"{source.prefix}latest.json")
    if found is None:
        raise ConfigError(f"no latest.json under {source.where()}: no run was published there yet "
                          "(check the bucket and --prefix, or wait for the first run)")
    return found


def manifest(source: Source, run_id: str) -> dict[str, Any] | None:
    return read_json(source, f"{source.prefix}runs/{run_id}/manifest.json")


def runs_since(source: Source, cursor: str | None, newest: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifests of the runs after `cursor`, oldest first, ending with `newest`; [] when `cursor`
    is the newest. Raises ChainBroken when a manifest on the way is missing or the chain never
    reaches the cursor (runs would be skipped)."""
    chain = []
    current: dict[str, Any] | None = newest
    while current is not None and current["run_id"] != cursor:
        chain.append(current)
        previous = current.get("previous_run_id")
        if previous is None:
            if cursor is not None:
                raise ChainBroken(f"the published runs do not lead back to run {cursor} (your cursor): "
                                  "the export was reset or expired past it; pull again with --full for the "
                                  "latest whole snapshot")
            break
        if previous == cursor:
            break
        current = manifest(source, previous)
        if current is None:
            raise ChainBroken(f"run {previous}'s manifest is missing from {source.where()} (the chain is broken "
                              "between your cursor and the latest run); pull again with --full for the latest "
                              "whole snapshot")
    return list(reversed(chain))


def verified(blob: bytes | None, entry: dict[str, Any]) -> bytes:
    """The file's bytes once they match its manifest entry; ExportDamaged otherwise."""
    key = entry["key"]
    if blob is None:
        raise ExportDamaged(f"{key} is listed in the manifest but missing: the run is incomplete; pull again "
                            "later and report it to the customer if it persists")
    digest = hashlib.sha256(blob).hexdigest()
    if digest != entry["sha256"]:
        raise ExportDamaged(f"{key} does not match its manifest (sha256 {digest[:12]}..., manifest says "
                            f"{entry['sha256'][:12]}...): it changed after publishing or was damaged in transit; "
                            "nothing of this run was used; pull again and tell the customer if it persists")
    try:
        count = sum(1 for line in gzip.decompress(blob).splitlines() if line.strip())
    except (OSError, EOFError) as exc:
        raise ExportDamaged(f"{key} is not gzip JSON Lines ({exc}): tell the customer") from exc
    if count != entry["records"]:
        raise ExportDamaged(f"{key} holds {count} records, its manifest says {entry['records']}: tell the customer")
    return blob


def records(blob: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(blob).splitlines() if line.strip()]


def run_records(source: Source, run: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """A run's verified records of one kind (snapshot | changes)."""
    return [r for entry in run["files"] if entry["kind"] == kind
            for r in records(verified(source.read(entry["key"]), entry))]
