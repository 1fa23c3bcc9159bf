"""Benchmark: the admin's report of a large organization's run (pure, in-process).

    .venv/bin/python benchmarks/bench_report.py [--accounts 50] [--principals 1000]

The records are bench_findings.py's organization with its findings and people; times building the
report's sections and rendering the page, uncapped (`idcensus report`) and as the stack stores it
for every published run (report/publish.py's MAX_ROWS per table), and prints the page sizes.
Prints the figures; asserts nothing about them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
from bench_findings import organization, organization_args  # noqa: E402
from tests.findings_records import NOW  # noqa: E402

from idcensus.findings.run import evaluate  # noqa: E402
from idcensus.report.html import render  # noqa: E402
from idcensus.report.publish import MAX_ROWS  # noqa: E402
from idcensus.report.sections import build  # noqa: E402


def main() -> int:
    args = organization_args(__doc__)
    accounts, records = organization(args)
    records += evaluate(records, now=NOW, run_id="bench", collected_at=NOW.isoformat()).records
    manifest = {"run_id": "bench", "previous_run_id": None, "started_at": NOW.isoformat(),
                "finished_at": NOW.isoformat(), "schema_version": "1.2.0",
                "accounts": [{"account_id": a, "status": "ok"} for a in accounts]}

    started = time.perf_counter()
    report = build(records, [], manifest, now=NOW)
    built = time.perf_counter() - started
    print(f"records: {len(records):,} ({args.accounts} accounts x {args.principals} principals, findings and people "
          f"included); sections built in {built:.2f}s")
    for label, cap in (("uncapped (idcensus report)", None), (f"stored per run (max {MAX_ROWS:,} rows a table)", MAX_ROWS)):
        started = time.perf_counter()
        page = render(report, max_rows=cap).encode()
        print(f"  {label:45s} render {time.perf_counter() - started:5.2f}s  page {len(page) / 2**20:7.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
