"""IAM Access Analyzer per region, read from recorded real-shape answers (moto lacks the service)."""

from __future__ import annotations

from tests.aws.conftest import ACCOUNT

from idcensus.aws import ClientFactory
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus_emulator.gaps import AccessAnalyzerAnswers, Recorded, _json
from idcensus_emulator.seed_governance import seed_access_analyzers

REGIONS = ("us-east-1", "eu-west-1")


def collect(f, regions=REGIONS):
    out = Outcomes()
    items = collect_items(f, AccountInfo(ACCOUNT), out, CollectOptions(regions=regions), tiers=("resources",))
    return out, {i: d for t, i, d in items if t == "accessanalyzer.analyzer"}


def factory(recorded, *hooks):
    return ClientFactory(hooks=[*hooks, *AccessAnalyzerAnswers(recorded.access_analyzers).hooks()], account_id=ACCOUNT)


def test_analyzers_and_their_active_findings_in_every_region(aws):
    recorded = seed_access_analyzers(ACCOUNT, REGIONS, Recorded())
    f = factory(recorded)
    out, found = collect(f)
    assert out.capabilities["accessanalyzer.findings"] == "ok"
    assert {d.region for d in found.values()} == set(REGIONS) and len(found) == 4
    external = found[f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/org-external"]
    assert external.type == "ORGANIZATION"
    (only,) = external.active_findings  # the archived one is not read
    assert only.type == "ExternalAccess" and only.principal == {"AWS": "444455556666"}
    assert only.action == ["s3:GetObject"] and only.is_public is False
    unused = found[f"arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer/unused-90d"]
    assert [x.type for x in unused.active_findings] == ["UnusedIAMRole", "UnusedPermission"]
    calls = f.counter.calls
    assert calls["accessanalyzer.ListAnalyzers"] == 2  # one per region
    assert calls["accessanalyzer.ListFindings"] == calls["accessanalyzer.ListFindingsV2"] == 2  # one per analyzer


def test_other_accounts_see_their_own_analyzers_only(aws):
    recorded = seed_access_analyzers("210987654321", REGIONS, Recorded())
    out, found = collect(factory(recorded))
    assert out.capabilities["accessanalyzer.findings"] == "ok" and found == {}


def test_denied_is_denied(aws):
    def deny(request, **_):
        return _json(request, 403, {"message": "not authorized: access-analyzer:ListAnalyzers"}, "AccessDeniedException")

    recorded = seed_access_analyzers(ACCOUNT, REGIONS, Recorded())
    out, found = collect(factory(recorded, ("before-send.accessanalyzer.ListAnalyzers", deny)))
    assert out.capabilities["accessanalyzer.findings"] == "denied" and found == {}
