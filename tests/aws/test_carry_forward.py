"""The snapshot is always the whole inventory: what a failed or denied collection could not see is
carried forward from the last successful collection, marked stale, and nothing is deleted."""

from __future__ import annotations

import boto3
from tests.aws.conftest import factory
from tests.aws.test_commit_point import ACCOUNT, storage  # noqa: F401 - the fixture
from tests.faults import deny, operation_of, query_error

from idcensus.census import run_census
from idcensus.collect.contract import AccountInfo, CollectOptions
from idcensus.store.export import Exporter, decode_lines
from idcensus.store.state import StateTable


def run(*hooks):
    f = factory(*hooks)
    return run_census(f, [AccountInfo(ACCOUNT, name="m")], role_name="r", external_id=None,
                      state=StateTable(f.resource("dynamodb"), "state"), exporter=Exporter(f.client("s3"), "exports"),
                      options=CollectOptions(regions=("us-east-1",)))


def records(manifest, kind):
    s3 = boto3.client("s3")
    return [r for f in manifest["files"] if f["kind"] == kind
            for r in decode_lines(s3.get_object(Bucket="exports", Key=f["key"])["Body"].read())]


def unreachable():
    def handler(request, **_):
        if operation_of(request) == "AssumeRole":
            return query_error(request, "AccessDenied", 403, "not authorized to perform: sts:AssumeRole")
        return None

    return ("before-send.sts", handler)


def users(manifest):
    return {r["data"]["name"]: r for r in records(manifest, "snapshot") if r["type"] == "iam.user"}


def test_denied_and_unreachable_accounts_keep_their_identities_marked_stale(storage):  # noqa: F811
    first = run()
    before = users(first.manifest)
    assert set(before) == {"keep", "tagged"} and not any(r.get("stale") for r in before.values())
    boto3.client("iam").delete_user(UserName="keep")  # unseen while the account is denied or unreachable
    for hooks in ([deny("ListUsers", "GetAccountAuthorizationDetails")], [unreachable()]):
        summary = run(*hooks)
        carried = users(summary.manifest)
        assert set(carried) == {"keep", "tagged"}  # the whole inventory, nothing deleted
        for name, record in carried.items():
            assert record["stale"] is True and record["stale_reason"]
            assert record["collected_at"] == before[name]["collected_at"]  # when it was really seen
            assert record["run_id"] == first.run_id
        (entry,) = summary.manifest["accounts"]
        assert entry["status"] in ("partial", "denied", "failed") and entry["carried"]["records"] >= 2
        assert entry["carried"]["reason"]
        assert [c for c in records(summary.manifest, "changes") if c["change"] == "deleted"] == []
    recovered = run()
    assert set(users(recovered.manifest)) == {"tagged"}
    deleted = [c for c in records(recovered.manifest, "changes") if c["change"] == "deleted"]
    assert [c["data"]["name"] for c in deleted if c["type"] == "iam.user"] == ["keep"]  # once, when seen gone
