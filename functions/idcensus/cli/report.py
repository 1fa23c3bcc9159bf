"""`idcensus report`: one self-contained HTML page for a published run, from the bucket (the newest run,
or --run) or from a folder holding the export's layout (a pull's output, the demo's copy)."""

from __future__ import annotations

from pathlib import Path

from idcensus.cli import export_reader as er
from idcensus.cli.failures import EXIT_OK
from idcensus.cli.options import add_aws
from idcensus.errors import ConfigError
from idcensus.store.export import DEFAULT_PREFIX


def add_parser(sub) -> None:
    from idcensus.cli.pull import add_vendor_role

    p = sub.add_parser("report", help="write the HTML report of a published run (for the admin)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--from", dest="folder", help="a folder in the export's layout (idcensus pull --out)")
    where.add_argument("--bucket", help="the export bucket")
    p.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"export prefix (default {DEFAULT_PREFIX})")
    p.add_argument("--run", default=None, help="the run to show (default: the newest published run; bucket only)")
    p.add_argument("--out", default="idcensus-report.html", help="the HTML file to write")
    p.add_argument("--max-rows", type=int, default=None, metavar="N",
                   help="keep each table to its first N rows, saying how many were left out (default: all; "
                        "a large organization's page runs to 100 MB)")
    add_vendor_role(p)
    add_aws(p, "the export bucket")
    p.set_defaults(func=run)


def run(args, hooks=None) -> int:
    if args.folder:
        records, changes, manifest = from_folder(Path(args.folder))
    else:
        from idcensus.cli.pull import bucket_source

        records, changes, manifest = from_source(bucket_source(args, hooks), args.run)
    if args.max_rows is not None and args.max_rows < 1:
        raise ConfigError(f"--max-rows {args.max_rows}: give a number of rows of 1 or more, or leave it out for all")
    path = write_report(records, changes, manifest, Path(args.out), max_rows=args.max_rows)
    print(f"report of run {manifest['run_id']} written to {path.resolve()}")
    return EXIT_OK


def from_source(source: er.Source, run_id: str | None = None):
    run_id = run_id or er.latest(source)["run_id"]
    manifest = er.manifest(source, run_id)
    if manifest is None:
        raise ConfigError(f"run {run_id} has no manifest under {source.where()}: check --run (it must be published)")
    return er.run_records(source, manifest, "snapshot"), er.run_records(source, manifest, "changes"), manifest


def from_folder(folder: Path):
    from idcensus.cli.tables import current_records, folder_runs

    by_type, _, manifests = current_records(folder)
    source, _, _ = folder_runs(folder)
    records = [r for rows in by_type.values() for r in rows]
    return records, er.run_records(source, manifests[-1], "changes"), manifests[-1]


def write_report(records, changes, manifest, out: Path, max_rows: int | None = None) -> Path:
    from idcensus.report.html import page

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(records, changes, manifest, max_rows=max_rows), encoding="utf-8")
    return out
