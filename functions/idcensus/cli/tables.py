"""A pulled folder as DuckDB tables: one per record type (`iam.user` -> iam_user), the census as of the
newest pulled run, plus `changes` (every pulled changes feed) and `runs`.

The current records are the base run's snapshot with each later run's changes applied in order
(created/updated replace, deleted removes): exactly what the exactly-once changes promise. Each file
is checked against its run's manifest again before it is read.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from idcensus.cli import export_reader as er
from idcensus.errors import ConfigError

CHANGE_COLUMNS = {"change": "VARCHAR", "type": "VARCHAR", "id": "VARCHAR", "account_id": "VARCHAR",
                  "run_id": "VARCHAR", "collected_at": "TIMESTAMPTZ", "deleted_at": "TIMESTAMPTZ", "data": "JSON"}


def table_name(record_type: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", record_type.lower())


def folder_runs(folder: Path) -> tuple[er.FolderSource, str, list[str]]:
    """The folder's source, the run whose snapshot is the base, and the runs applied after it."""
    from idcensus.cli.pull import local_cursor

    cursor = local_cursor(folder)
    if cursor is not None:
        return er.FolderSource(folder, cursor["prefix"]), cursor["snapshot_run_id"], cursor["applied"]
    found = sorted(folder.glob("**/latest.json"))  # a copied export (the demo's): its newest run only
    if not found:
        raise ConfigError(f"{folder} holds no pulled export (no latest.json): run `idcensus pull --out {folder}` first")
    prefix = found[0].parent.relative_to(folder).as_posix()
    source = er.FolderSource(folder, prefix)
    return source, er.latest(source)["run_id"], []


def current_records(folder: Path) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]],
                                           list[dict[str, Any]]]:
    """(records by type as of the newest pulled run, every pulled change, the runs' manifests)."""
    source, base, applied = folder_runs(folder)
    manifests = [er.manifest(source, run_id) for run_id in (base, *applied)]
    if any(m is None for m in manifests):
        raise ConfigError(f"{folder} is missing a pulled run's manifest: pull again (it resumes)")
    state = {(r["type"], r["id"]): r for r in er.run_records(source, manifests[0], "snapshot")}
    changes = er.run_records(source, manifests[0], "changes")
    for later in manifests[1:]:
        feed = er.run_records(source, later, "changes")
        changes += feed
        for change in feed:
            key = (change["type"], change["id"])
            if change["change"] == "deleted":
                state.pop(key, None)
            else:
                state[key] = {k: v for k, v in change.items() if k != "change"}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in state.values():
        by_type.setdefault(record["type"], []).append(record)
    return by_type, changes, manifests


def load(con, folder: Path) -> list[str]:
    """Create the tables in the DuckDB connection `con`; their names. Every record type the model
    declares gets its typed table (duck_types.py), empty or not; a type this version does not know
    (a newer exporter's) gets the columns DuckDB reads from its values."""
    from idcensus.cli.duck_types import columns
    from idcensus.model.schema import all_schemas

    by_type, changes, manifests = current_records(folder)
    schemas = all_schemas()
    names = []
    with tempfile.TemporaryDirectory() as tmp:
        for record_type in sorted(set(schemas) | set(by_type)):
            name = table_name(record_type)
            path = str(_jsonl(Path(tmp) / f"{name}.jsonl.gz", by_type.get(record_type, [])))
            if record_type in schemas:
                reader = f"read_json(?, format='newline_delimited', columns={_struct(columns(schemas[record_type]))})"
            else:
                reader = "read_json_auto(?, format='newline_delimited', sample_size=-1)"
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM {reader}', [path])
            names.append(name)
        path = _jsonl(Path(tmp) / "changes.jsonl.gz", changes)
        con.execute("CREATE OR REPLACE TABLE changes AS SELECT * FROM read_json(?, format='newline_delimited', "
                    f"columns={_struct(CHANGE_COLUMNS)})", [str(path)])
        runs = [{k: m.get(k) for k in ("run_id", "previous_run_id", "started_at", "finished_at", "schema_version")}
                for m in manifests]
        path = _jsonl(Path(tmp) / "runs.jsonl.gz", runs)
        con.execute("CREATE OR REPLACE TABLE runs AS SELECT * FROM read_json(?, format='newline_delimited', "
                    "columns={run_id: 'VARCHAR', previous_run_id: 'VARCHAR', started_at: 'TIMESTAMPTZ', "
                    "finished_at: 'TIMESTAMPTZ', schema_version: 'VARCHAR'})", [str(path)])
    return [*names, "changes", "runs"]


def duckdb_module():
    """DuckDB, a dependency of the readers only (the `readers` extra), never of the Lambda artifact."""
    try:
        import duckdb
    except ImportError as exc:
        raise ConfigError("this command needs DuckDB: pip install 'idcensus[readers]'") from exc
    return duckdb


def build_database(folder: Path, database: str) -> list[str]:
    """(Re)build the DuckDB file from the folder; its tables."""
    duckdb = duckdb_module()
    with duckdb.connect(database) as con:
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                                   ).fetchall():
            con.execute(f'DROP TABLE "{name}"')
        return load(con, Path(folder))


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    return path


def _struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
