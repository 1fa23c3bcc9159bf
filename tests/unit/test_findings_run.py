"""The findings engine: lifecycle over runs (first_seen carried, resolved once, then dropped),
suppressions, isolation of a broken rule, change detection, people records, OCSF projection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from tests.findings_records import NOW, A, root, sso_instance, sso_user, user

from idcensus.findings.ocsf import to_ocsf
from idcensus.findings.registry import Rule
from idcensus.findings.run import evaluate
from idcensus.findings.suppressions import BadSuppressions, parse
from idcensus.model.changes import changes_between
from idcensus.model.schema import envelope_schema


def run(records, now=NOW, previous=(), suppressions=()):
    return evaluate(records, now=now, run_id="r", collected_at=now.isoformat(), previous=previous,
                    suppressions=list(suppressions))


def by_rule(ev, rule_id):
    return [f for f in ev.findings if f["data"]["rule_id"] == rule_id]


def test_first_seen_is_carried_and_resolved_findings_show_once():
    first = run([root(mfa=False)])
    [f1] = by_rule(first, "root.no_mfa")
    later = NOW + timedelta(days=1)
    second = run([root(mfa=False)], now=later, previous=first.findings)
    [f2] = by_rule(second, "root.no_mfa")
    assert f2["data"]["first_seen"] == f1["data"]["first_seen"] != f2["data"]["last_seen"]
    assert changes_between(first.findings, second.findings, now="x") == []  # last_seen alone is no change
    third = run([root(mfa=True)], now=later + timedelta(days=1), previous=second.findings)
    [f3] = by_rule(third, "root.no_mfa")
    assert f3["data"]["status"] == "resolved" and f3["data"]["resolved_at"]
    assert [c["change"] for c in changes_between(second.findings, third.findings, now="x")] == ["updated"]
    fourth = run([root(mfa=True)], now=later + timedelta(days=2), previous=third.findings)
    assert by_rule(fourth, "root.no_mfa") == []


def test_a_finding_reopened_after_resolution_starts_a_new_first_seen():
    resolved = run([root(mfa=True)], previous=run([root(mfa=False)]).findings).findings
    again = run([root(mfa=False)], now=NOW + timedelta(days=3), previous=resolved)
    [f] = by_rule(again, "root.no_mfa")
    assert f["data"]["status"] == "open" and f["data"]["first_seen"].startswith((NOW + timedelta(days=3)).date().isoformat())


def test_suppressed_findings_stay_exported_and_expire():
    rules = parse({"suppressions": [
        {"rule": "user.*", "principal": "arn:aws:iam::*:user/ci-*", "reason": "CI owns its keys", "expires": "2027-01-01"},
        {"rule": "root.no_mfa", "reason": "expired", "expires": "2020-01-01"}]})
    ev = run([user("ci-bot", console=True), user("web", console=True), root(mfa=False)], suppressions=rules)
    console = {f["data"]["resource_arn"].rsplit("/", 1)[-1]: f["data"] for f in by_rule(ev, "user.console_without_mfa")}
    assert console["ci-bot"]["suppressed"] and console["ci-bot"]["suppression"]["reason"] == "CI owns its keys"
    assert not console["web"]["suppressed"]
    assert not by_rule(ev, "root.no_mfa")[0]["data"]["suppressed"]


def test_bad_suppressions_say_what_to_fix():
    with pytest.raises(BadSuppressions, match="needs rule, reason"):
        parse({"suppressions": [{"principal": "*"}]})


def test_a_broken_rule_is_reported_and_keeps_its_open_findings():
    def broken(inv):
        raise KeyError("field")

    bad = Rule(id="root.no_mfa", title="t", severity="low", reads=(), remediation="r", check=broken)
    previous = run([root(mfa=False)]).findings
    ev = evaluate([root(mfa=False)], now=NOW, run_id="r", collected_at=NOW.isoformat(), previous=previous, rules=[bad])
    assert ev.errors == {"root.no_mfa": "KeyError: 'field'"}
    assert [f["data"]["status"] for f in by_rule(ev, "root.no_mfa")] == []  # not resolved by a failure


def test_records_match_their_generated_schema():
    import jsonschema

    ev = run([root(mfa=False), sso_instance(), sso_user("u1", "alice", emails=["a@example.com"]),
              user("alice", console=True)])
    assert ev.findings and ev.people
    for r in ev.records:
        jsonschema.validate(r, envelope_schema(r["type"]))
    [alice] = [p for p in ev.people if len(p["data"]["identities"]) == 2]
    assert alice["account_id"] == A and alice["data"]["confidence"] == "medium"


def test_every_finding_projects_to_a_valid_ocsf_compliance_finding():
    ev = run([root(mfa=False, keys=[{"active": True}]), user("web", console=True)],
             suppressions=parse({"suppressions": [{"rule": "root.access_key", "reason": "migrating"}]}))
    resolved = run([root()], previous=ev.findings).findings
    for f in [*ev.findings, *resolved]:
        event = to_ocsf(f)
        model = ComplianceFinding(**event)
        assert model.class_uid == 2003 and model.type_uid == 200300 + event["activity_id"]
        assert model.resources[0].uid == f["data"]["resource_arn"]
    statuses = {to_ocsf(f)["status"] for f in [*ev.findings, *resolved]}
    assert statuses == {"New", "Suppressed", "Resolved"}
