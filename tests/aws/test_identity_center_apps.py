"""Identity Center applications and their assignments, from recorded real-shape answers (moto has none)."""

from __future__ import annotations

import boto3
import pytest
from tests.aws.conftest import ACCOUNT

from idcensus.aws import ClientFactory
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus_emulator.gaps import GapAnswers, SsoGapAnswers, json_answer
from idcensus_emulator.seed_sso import applications


def run(f):
    out = Outcomes()
    items = collect_items(f, AccountInfo(ACCOUNT), out, CollectOptions(), tiers=("identity_center",))
    return out, {i: d for t, i, d in items if t == "sso.application"}


@pytest.fixture
def recorded(aws):
    instance = boto3.client("sso-admin").list_instances()["Instances"][0]
    return {instance["InstanceArn"]: applications(instance["InstanceArn"], ACCOUNT, ["u-1", "u-2"], ["g-1"])}


def make_factory(apps, *hooks):
    return ClientFactory(hooks=[*hooks, *GapAnswers().hooks(), *SsoGapAnswers(applications=apps).hooks()],
                         account_id=ACCOUNT)


def test_applications_with_assignments(recorded):
    f = make_factory(recorded)
    out, found = run(f)
    assert out.capabilities["sso.applications"] == "ok"
    by_name = {a.name: a for a in found.values()}
    assert set(by_name) == {"Salesforce", "GitHub Enterprise"}
    sf = by_name["Salesforce"]
    assert sf.assignment_required is True and sf.visibility == "ENABLED"
    assert [(x.principal_type, x.principal_id) for x in sf.assignments] == [("GROUP", "g-1"), ("USER", "u-1")]
    assert by_name["GitHub Enterprise"].assignment_required is False  # every user of the instance may sign in
    calls = f.counter.calls
    assert calls["sso-admin.ListInstances"] == 1  # shared with the identity_center collector
    assert calls["sso-admin.ListApplications"] == 1
    assert calls["sso-admin.ListApplicationAssignments"] == calls["sso-admin.GetApplicationAssignmentConfiguration"] == 2


def test_denied_is_denied(recorded):
    def deny(request, **_):
        return json_answer(request, 400, {"__type": "AccessDeniedException", "Message": "not authorized"})

    out, found = run(make_factory(recorded, ("before-send.sso-admin.ListApplications", deny)))
    assert out.capabilities["sso.applications"] == "denied" and found == {}
    assert out.capabilities["sso.permission_sets"] == "ok"


def test_instances_denied_skips_applications(recorded):
    def deny(request, **_):
        return json_answer(request, 400, {"__type": "AccessDeniedException", "Message": "not authorized"})

    out, found = run(make_factory(recorded, ("before-send.sso-admin.ListInstances", deny)))
    assert out.capabilities["sso.instances"] == "denied" and out.capabilities["sso.applications"] == "skipped"
