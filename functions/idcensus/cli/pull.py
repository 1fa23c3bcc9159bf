"""`idcensus pull`: copy the published runs into a local folder as a vendor does, verified.

The first pull takes the newest run whole (snapshot and changes); the cursor it leaves
(<out>/.idcensus/cursor.json) makes every later pull take only the runs published since, by their
changes feeds, oldest first. A file is written (atomically) only once its bytes match the manifest;
a run's manifest is written only once all its files are there, and the cursor moves only then: an
interrupted pull resumes where it stopped, and files already verified are not downloaded again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from idcensus.cli import export_reader as er
from idcensus.cli.failures import EXIT_OK
from idcensus.cli.options import add_aws, add_json
from idcensus.errors import ConfigError
from idcensus.store.export import DEFAULT_PREFIX

CURSOR = Path(".idcensus") / "cursor.json"


def add_parser(sub) -> None:
    p = sub.add_parser("pull", help="download the published runs into a local folder, verified (for the vendor)")
    p.add_argument("--bucket", required=True, help="the customer's export bucket")
    p.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"export prefix (default {DEFAULT_PREFIX})")
    p.add_argument("--out", required=True, help="local folder (the export's own layout, plus the cursor)")
    add_vendor_role(p)
    p.add_argument("--full", action="store_true", help="ignore the cursor: take the newest run whole again")
    p.add_argument("--duckdb", metavar="FILE", help="also (re)build a DuckDB database: one table per record type")
    add_aws(p, "the export bucket")
    add_json(p)
    p.set_defaults(func=run)


def add_vendor_role(p) -> None:
    p.add_argument("--role-arn", default=None, help="the vendor read role to assume (default: use your credentials)")
    p.add_argument("--external-id", default=None, help="ExternalId the vendor read role's trust requires")


def bucket_source(args, hooks) -> er.BucketSource:
    """The bucket, read as the vendor: through the vendor role when --role-arn is given."""
    from idcensus.cli.connect import connect

    factory = connect(args, hooks)
    if args.role_arn:
        factory = factory.assume(args.role_arn, args.external_id, session_name="idcensus-pull")
    return er.BucketSource(factory.client("s3"), args.bucket, args.prefix)


@dataclass
class PullResult:
    runs: list[str] = field(default_factory=list)
    downloaded: int = 0  # files fetched and verified now
    already_verified: int = 0  # files a previous (interrupted) pull left, checked again locally
    records: int = 0
    latest_run_id: str | None = None
    duckdb: str | None = None


def run(args, hooks=None) -> int:
    out = Path(args.out)
    result = pull(bucket_source(args, hooks), out, full=args.full)
    if args.duckdb:
        from idcensus.cli.tables import build_database

        build_database(out, args.duckdb)
        result.duckdb = args.duckdb
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    elif result.runs:
        print(f"pulled {len(result.runs)} run(s) up to {result.latest_run_id} into {out}: {result.downloaded} "
              f"file(s) downloaded, {result.already_verified} already verified, {result.records} records")
    else:
        print(f"up to date: run {result.latest_run_id} is the newest published run")
    return EXIT_OK


def pull(source: er.Source, out: Path, *, full: bool = False) -> PullResult:
    cursor = read_cursor(out, source)
    pointer = er.latest(source)
    newest = er.manifest(source, pointer["run_id"])
    if newest is None:
        raise er.ChainBroken(f"latest.json names run {pointer['run_id']} but its manifest is missing from "
                             f"{source.where()}: tell the customer")
    result = PullResult(latest_run_id=newest["run_id"])
    if full or cursor is None:
        runs, base = [newest], newest["run_id"]
    else:
        runs, base = er.runs_since(source, cursor["run_id"], newest), cursor["snapshot_run_id"]
    applied = [] if full or cursor is None else list(cursor["applied"])
    for run_manifest in runs:
        kinds = ("snapshot", "changes") if run_manifest["run_id"] == base and not applied else ("changes",)
        fetch_run(source, out, run_manifest, kinds, result)
        if run_manifest["run_id"] != base:
            applied.append(run_manifest["run_id"])
        write_cursor(out, source, run_id=run_manifest["run_id"], snapshot_run_id=base, applied=applied)
        result.runs.append(run_manifest["run_id"])
    if runs:
        write_file(out / f"{source.prefix}latest.json", json.dumps(pointer, indent=2, sort_keys=True).encode())
    return result


def fetch_run(source: er.Source, out: Path, run_manifest: dict[str, Any], kinds: tuple[str, ...],
              result: PullResult) -> None:
    """Every file of `kinds` verified into `out`, then the run's manifest beside them."""
    for entry in run_manifest["files"]:
        if entry["kind"] not in kinds:
            continue
        target = out / entry["key"]
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == entry["sha256"]:
            result.already_verified += 1
        else:
            write_file(target, er.verified(source.read(entry["key"]), entry))
            result.downloaded += 1
        result.records += entry["records"]
    key = f"{source.prefix}runs/{run_manifest['run_id']}/manifest.json"
    write_file(out / key, json.dumps(run_manifest, indent=2, sort_keys=True).encode())


def write_file(path: Path, blob: bytes) -> None:
    """Whole or not at all: a crash mid-write leaves a .part file, never a short file under the real name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(blob)
    os.replace(part, path)


def read_cursor(out: Path, source: er.Source) -> dict[str, Any] | None:
    path = out / CURSOR
    if not path.is_file():
        return None
    cursor = json.loads(path.read_text())
    if (cursor["source"], cursor["prefix"]) != (source.where(), source.prefix):
        raise ConfigError(f"{out} holds a pull of {cursor['source']}, not {source.where()}: "
                          "pull into another --out folder")
    return cursor


def write_cursor(out: Path, source: er.Source, **fields: Any) -> None:
    cursor = {"source": source.where(), "prefix": source.prefix, **fields}
    write_file(out / CURSOR, json.dumps(cursor, indent=2, sort_keys=True).encode())


def local_cursor(out: Path) -> dict[str, Any] | None:
    path = out / CURSOR
    return json.loads(path.read_text()) if path.is_file() else None
