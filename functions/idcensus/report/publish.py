"""Each published run's report, written beside the export for the admin:
<prefix>reports/<run_id>.html, and <prefix>reports/latest.html while the run is the newest.

Written just after the commit point, never part of it: a vendor follows latest.json and the
manifests, which do not list reports. A crash before the report is written leaves the run published;
the retried close finds it published and writes the report then. A report that cannot be rendered
or written is logged and the run stays published (the CLI's `idcensus report` can write it later)."""

from __future__ import annotations

import logging
from typing import Any

from idcensus.observability import metrics
from idcensus.report.html import page
from idcensus.store.export import Exporter, FileEntry

log = logging.getLogger("idcensus")
CONTENT_TYPE = "text/html; charset=utf-8"
# Rows per table of the page written for every run: 50 accounts x 1,000 principals make a whole page
# of 108 MiB that no browser opens, 3.3 MiB at this cap (benchmarks/bench_report.py). It says what it left out.
MAX_ROWS = 2_000


def report_key(exporter: Exporter, run_id: str) -> str:
    return f"{exporter.prefix}reports/{run_id}.html"


def latest_report_key(exporter: Exporter) -> str:
    return f"{exporter.prefix}reports/latest.html"


def publish_report(exporter: Exporter, manifest: dict[str, Any]) -> str | None:
    """The run's report key once written; None when it could not be (logged, the run unaffected)."""
    run_id = manifest["run_id"]
    try:
        files = [FileEntry(**f) for f in manifest["files"]]
        body = page(exporter.read_records(files, "snapshot"), exporter.read_records(files, "changes"), manifest,
                    max_rows=MAX_ROWS).encode()
        key = report_key(exporter, run_id)
        exporter.s3.put_object(Bucket=exporter.bucket, Key=key, Body=body, ContentType=CONTENT_TYPE)
        latest = exporter.latest()
        if latest and latest["run_id"] == run_id:  # a late retry of an older run leaves the newer one's
            exporter.s3.put_object(Bucket=exporter.bucket, Key=latest_report_key(exporter), Body=body,
                                   ContentType=CONTENT_TYPE)
        return key
    except Exception as exc:  # noqa: BLE001 - the run is published; its report is for reading, not for integrity
        log.error("report of run %s not written (run `idcensus report --run %s` to write it): %s: %s",
                  run_id, run_id, type(exc).__name__, exc)
        metrics.add_metric(name="ReportsNotWritten", unit="Count", value=1)  # ReportsNotWrittenAlarm
        return None
