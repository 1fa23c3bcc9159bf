"""The vendor-side checks on a published export, over a folder in the export's layout."""

from __future__ import annotations

import hashlib
import json

import pytest

from idcensus.cli import export_reader as er
from idcensus.store.export import encode_lines

PREFIX = "idcensus/v1/"


def publish(root, run_id, previous, records):
    blob = encode_lines(records)
    key = f"{PREFIX}runs/{run_id}/changes/type=iam.user/account=111111111111/part-00000.jsonl.gz"
    (root / key).parent.mkdir(parents=True, exist_ok=True)
    (root / key).write_bytes(blob)
    entry = {"key": key, "kind": "changes", "type": "iam.user", "account_id": "111111111111",
             "records": len(records), "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    manifest = {"run_id": run_id, "previous_run_id": previous, "files": [entry]}
    (root / f"{PREFIX}runs/{run_id}/manifest.json").write_text(json.dumps(manifest))
    (root / f"{PREFIX}latest.json").write_text(json.dumps({"run_id": run_id}))
    return manifest


def test_runs_since_the_cursor_oldest_first(tmp_path):
    publish(tmp_path, "r1", None, [])
    publish(tmp_path, "r2", "r1", [{"type": "iam.user", "id": "a"}])
    newest = publish(tmp_path, "r3", "r2", [])
    source = er.FolderSource(tmp_path, PREFIX)
    assert [m["run_id"] for m in er.runs_since(source, "r1", newest)] == ["r2", "r3"]
    assert er.runs_since(source, "r3", newest) == []
    assert [m["run_id"] for m in er.runs_since(source, None, newest)] == ["r1", "r2", "r3"]


def test_a_missing_manifest_between_cursor_and_latest_is_a_broken_chain(tmp_path):
    publish(tmp_path, "r1", None, [])
    publish(tmp_path, "r2", "r1", [])
    newest = publish(tmp_path, "r3", "r2", [])
    (tmp_path / f"{PREFIX}runs/r2/manifest.json").unlink()
    with pytest.raises(er.ChainBroken, match="run r2's manifest is missing.*--full"):
        er.runs_since(er.FolderSource(tmp_path, PREFIX), "r1", newest)


def test_a_cursor_the_chain_never_reaches_is_refused(tmp_path):
    newest = publish(tmp_path, "r1", None, [])
    with pytest.raises(er.ChainBroken, match="do not lead back to run r0"):
        er.runs_since(er.FolderSource(tmp_path, PREFIX), "r0", newest)


def test_verified_checks_bytes_and_record_count(tmp_path):
    manifest = publish(tmp_path, "r1", None, [{"type": "iam.user", "id": "a"}, {"type": "iam.user", "id": "b"}])
    entry = manifest["files"][0]
    blob = (tmp_path / entry["key"]).read_bytes()
    assert er.records(er.verified(blob, entry)) == [{"type": "iam.user", "id": "a"}, {"type": "iam.user", "id": "b"}]
    with pytest.raises(er.ExportDamaged, match="does not match its manifest"):
        er.verified(blob + b"\0", entry)
    with pytest.raises(er.ExportDamaged, match="holds 2 records, its manifest says 3"):
        er.verified(blob, {**entry, "records": 3})
    with pytest.raises(er.ExportDamaged, match="missing"):
        er.verified(None, entry)
