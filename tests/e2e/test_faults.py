"""Faults injected through botocore hooks against the moto server: real retries, real outcomes."""

from argparse import Namespace
from urllib.parse import unquote

from tests.faults import Throttler, operation_of, query_error

from idcensus.cli.collect import run_collect
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE


def args(name):
    return Namespace(accounts=None, role_name=READ_ROLE, external_id=EXTERNAL_ID, table=f"t-{name}",
                     bucket=f"b-{name}", prefix="idcensus/v1/", region="us-east-1", create_storage=True,
                     account_workers=4, json=True)


def comparable(summary, s3, bucket):
    from tests.e2e.test_collect_cli import manifest_of, records_of

    manifest = manifest_of(s3, bucket, {"manifest_key": summary.manifest_key})
    out = set()
    for r in records_of(s3, bucket, manifest):
        data = dict(r["data"])
        if r["type"].startswith("resource.") and data["name"].startswith(("t-", "b-")):
            continue  # the census's own table and bucket, named after each test run
        if r["type"] == "iam.role" and data["name"] == READ_ROLE:
            data.pop("last_used_at")  # moved by the census itself
        if r["type"] == "finding":
            data.pop("first_seen"), data.pop("last_seen")  # when each run saw it
        out.add((r["type"], r["id"], repr(sorted(data.items()))))
    return out


def test_throttling_on_a_quarter_of_iam_calls_changes_nothing(org, s3, monkeypatch):
    clean = run_collect(args("clean"), hooks=org.gaps)
    throttler = Throttler(every=4)
    throttled = run_collect(args("throttled"), hooks=[*org.gaps, throttler.hook()])
    assert throttler.throttled >= 0.2 * throttler.attempts and throttler.throttled > 10
    assert throttled.all_ok
    assert comparable(throttled, s3, "b-throttled") == comparable(clean, s3, "b-clean")


def test_one_unreachable_account_fails_alone(org, s3, monkeypatch):
    broken = org.accounts["prod"]

    def deny_assume(request, **_):
        body = unquote(request.body.decode() if isinstance(request.body, bytes) else request.body or "")
        if operation_of(request) == "AssumeRole" and f"::{broken}:role/" in body:
            return query_error(request, "AccessDenied", 403, "not authorized to perform: sts:AssumeRole")
        return None

    summary = run_collect(args("broken"), hooks=[*org.gaps, ("before-send.sts", deny_assume)])
    status = {a.account_id: a.status for a in summary.accounts}
    assert status.pop(broken) == "failed"
    assert set(status.values()) == {"ok"}
    failed = next(a for a in summary.manifest["accounts"] if a["account_id"] == broken)
    assert "AssumeRole" in failed["error"] and "AccessDenied" in failed["error"]
    assert not summary.all_ok
