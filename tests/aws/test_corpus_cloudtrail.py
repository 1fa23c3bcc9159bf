"""Every real CloudTrail record of the shared corpus (../shared/corpus/cloudtrail/, read in place) is
accounted for on the live path (the queue's raw messages, as `events replay` and the normalizer
function push them) and in backfill (trail log files): normalized, quarantined with its reason, or
skipped as not a management event - the outcome the corpus expects. The hand-made malformed inputs
are quarantined with their reason on both paths, never a traceback or a refused file."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date
from pathlib import Path

import boto3
import pytest
from tests.aws.test_stream_backfill import TODAY, log_key
from tests.corpus import CLOUDTRAIL

from idcensus.aws import ClientFactory
from idcensus.cli.events import read_events
from idcensus.settings import Settings
from idcensus.store.state import table_definition
from idcensus.stream.backfill import run_backfill
from idcensus.stream.service import ActivityService

CORPUS = CLOUDTRAIL
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="no shared corpus next to the checkout")
ACCOUNT = "111122223333"


def corpus() -> list[tuple[dict, str]]:
    events = [json.loads(line) for line in (CORPUS / "events.jsonl").read_text().splitlines()]
    expected = [json.loads(line)["expect_outcome"] for line in (CORPUS / "expected.jsonl").read_text().splitlines()]
    return list(zip(events, expected, strict=True))


def outcome_of(expect: str) -> str:
    return {"normalized": "normalized", "not_management": "skipped"}.get(expect, "quarantined")


@pytest.fixture
def service(aws):
    boto3.client("dynamodb").create_table(**table_definition("state"))
    s3 = boto3.client("s3")
    for bucket in ("exports", "trail"):
        s3.create_bucket(Bucket=bucket)
    return ActivityService(Settings(table_name="state", bucket_name="exports"), ClientFactory(account_id=ACCOUNT))


def quarantined(reason_counts: Counter) -> Counter:
    return Counter({f"quarantined:{reason}": n for reason, n in reason_counts.items()})


def test_live_path_accounts_for_every_corpus_event(service):
    batch = service.batch()
    found = Counter()
    for n, (record, expect) in enumerate(corpus()):
        got = batch.add_raw(json.dumps(record))  # as `events replay` reads a trail file: bare records
        assert got == outcome_of(expect), f"events.jsonl line {n + 1}: {got}, expected {expect}"
        found[expect] += 1
    result = batch.finish()
    want = Counter(expect for _, expect in corpus())
    assert result.counts["normalized"] == want["normalized"]
    assert result.counts["data_events_skipped"] == want["not_management"]
    assert quarantined(result.reasons) == Counter({k: v for k, v in want.items() if k.startswith("quarantined:")})


def test_backfill_accounts_for_every_corpus_event(service):
    s3 = boto3.client("s3")
    records = [record for record, _ in corpus()]
    key = log_key(ACCOUNT, TODAY, 1)
    s3.put_object(Bucket="trail", Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode()))
    result = run_backfill(service, s3, "trail", days=1, today=TODAY)
    want = Counter(expect for _, expect in corpus())
    counts = result.counts
    assert counts["normalized"] == want["normalized"] and counts["data_events_skipped"] == want["not_management"]
    assert counts["quarantined"] == sum(v for k, v in want.items() if k.startswith("quarantined:"))


def malformed() -> list[tuple[Path, str]]:
    manifest = json.loads((CORPUS / "malformed" / "manifest.json").read_text())
    return [(CORPUS / "malformed" / m["file"], m["idcensus_reason"]) for m in manifest]


def test_replay_quarantines_each_malformed_file_with_its_reason(service):
    for path, reason in malformed():
        raws = read_events(path)  # never a refusal: one broken event is quarantined like a broken line
        batch = service.batch()
        outcomes = [batch.add_raw(raw) for raw in raws]
        result = batch.finish()
        if path.name.startswith("09_"):  # a list is a list of events to `events replay`
            assert outcomes == ["normalized"], path.name
        elif reason.startswith("("):  # valid JSON text: either way, accounted for
            assert outcomes in (["normalized"], ["quarantined"]), path.name
        else:
            assert outcomes == ["quarantined"] and set(result.reasons) == {reason.split(":")[0] if reason ==
                                                                            "bad_timestamp" else reason}, path.name


def test_backfill_quarantines_a_log_file_nested_too_deep(service):
    s3 = boto3.client("s3")
    deep = (CORPUS / "malformed" / "13_deep_nesting_100000.json").read_bytes()
    s3.put_object(Bucket="trail", Key=log_key(ACCOUNT, date.today(), 2), Body=gzip.compress(deep))
    result = run_backfill(service, s3, "trail", days=1)
    assert result.counts["bad_log_files"] == 1 and result.complete
    (item,) = s3.list_objects_v2(Bucket="exports", Prefix="idcensus-quarantine/").get("Contents", [])
    body = json.loads(s3.get_object(Bucket="exports", Key=item["Key"])["Body"].read())
    assert body["reason"] == "bad_log_file" and "RecursionError" in body["detail"]
