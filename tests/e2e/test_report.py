"""`idcensus report` from the bucket, opened in headless Chromium: it loads from disk with no console
error and no request beyond its own file, its sections are there, and sorting and filtering work."""

from __future__ import annotations

from pathlib import Path

import boto3
from tests.browser import browser_page
from tests.e2e.conftest import emulator_cli

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


def test_report_of_a_published_run_in_a_real_browser(cli, tmp_path):
    assert cli.run().returncode in (0, 1)
    out = tmp_path / "report.html"
    done = emulator_cli("report", "--bucket", cli.bucket, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert str(out.resolve()) in done.stdout
    html = out.read_text()
    assert "http://" not in html and "https://" not in html  # nothing to fetch, nothing to link

    with browser_page() as (page, seen):
        page.goto(out.resolve().as_uri())
        page.wait_for_load_state("load")
        accounts = page.locator("#coverage-table tbody tr")
        assert accounts.count() == 4
        assert page.locator("#identities-table tbody tr").count() == 4
        assert page.locator("#reach-matrix-table tbody tr").count() > 0
        # The seeded organization's findings (its root users have no MFA, its users no owner tag...),
        # filterable like every table; people only when some person holds several identities.
        findings = page.locator("#findings-table tbody tr").count()
        assert findings > 0
        page.fill("input[data-table=findings-table]", "root")
        visible = page.locator("#findings-table tbody tr:visible")
        assert 0 < visible.count() < page.locator("#findings-table tbody tr").count()
        assert all("root" in t.lower() for t in visible.all_inner_texts())
        page.fill("input[data-table=findings-table]", "")
        assert page.locator("#people-table tbody tr, [data-empty=people]").count() >= 1

        page.fill("input[data-table=identities-table]", "prod")
        assert page.locator("#identities-table tbody tr:visible").count() == 1
        page.fill("input[data-table=identities-table]", "")
        page.click("#identities-table th:has-text('total')")
        totals = [int(t) for t in page.locator("#identities-table tbody td:last-child").all_inner_texts()]
        assert totals == sorted(totals)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "report.png"), full_page=True)

    assert seen["errors"] == []
    assert seen["requests"] == [out.resolve().as_uri()]
    assert (OUTPUT / "report.png").stat().st_size > 10_000

    # The page the run itself left in the bucket for the admin is the same report, and opens the same way.
    latest = boto3.client("s3").get_object(Bucket=cli.bucket, Key="idcensus/v1/latest.json")["Body"].read().decode()
    stored = tmp_path / "stored.html"
    stored.write_bytes(boto3.client("s3").get_object(Bucket=cli.bucket, Key="idcensus/v1/reports/latest.html")["Body"].read())
    run_id = html.split("run <b>", 1)[1].split("</b>", 1)[0]
    assert run_id in latest and f"run <b>{run_id}</b>" in stored.read_text()
    with browser_page() as (page, seen):
        page.goto(stored.resolve().as_uri())
        page.wait_for_load_state("load")
        assert page.locator("#coverage-table tbody tr").count() == 4
        assert page.locator("#findings-table tbody tr").count() == findings
    assert seen["errors"] == [] and seen["requests"] == [stored.resolve().as_uri()]

    # A large organization's page can be capped from the command line too; a cap of nothing is refused.
    capped = tmp_path / "capped.html"
    done = emulator_cli("report", "--bucket", cli.bucket, "--out", str(capped), "--max-rows", "1")
    assert done.returncode == 0, done.stderr
    assert "the first 1 of" in capped.read_text() and len(capped.read_text()) < len(html)
    refused = emulator_cli("report", "--bucket", cli.bucket, "--out", str(capped), "--max-rows", "0")
    assert refused.returncode != 0 and "--max-rows 0: give a number of rows of 1 or more" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
