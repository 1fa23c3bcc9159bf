"""The check's table and fixes, from report data (no AWS)."""

import json

from rich.console import Console

from idcensus.check import AccountCheckResult, CheckReport, ProbeResult, account_check, fix_for, remedy_for
from idcensus.collect.registry import BY_NAME
from idcensus.commands.check import render


def report(prod_results, *, reachable=True):
    mgmt = AccountCheckResult("111111111111", "management", management=True, results=[
        ProbeResult("iam.authorization_details", "identity", "ok"),
        ProbeResult("billing.marketplace", "billing", "not_enabled", fix="enable Cost Explorer: ... about a day"),
    ])
    prod = AccountCheckResult("222222222222", "prod", reachable=reachable, results=prod_results,
                              error=None if reachable else "cannot assume arn:aws:iam::222222222222:role/R: trust")
    return CheckReport("2026-11-25T14:00:00Z", "R", [mgmt, prod])


def text(rep) -> str:
    console = Console(record=True, width=250, color_system=None)
    render(rep, console)
    return console.export_text()


def denied(name):
    cap = BY_NAME[name]
    action = cap.actions[0]
    return ProbeResult(name, cap.tier, "denied", action=action, fix=fix_for(cap, action), remedy=remedy_for(cap))


def test_denied_optional_tier_is_a_warning_with_its_fix_once():
    rep = report([ProbeResult("iam.authorization_details", "identity", "ok"),
                  denied("sso.instances"), denied("sso.permission_sets"),
                  ProbeResult("billing.marketplace", "billing", "skipped")])
    out = text(rep)
    assert rep.ok
    assert "denied (sso:ListInstances)" in out
    assert "not enabled" in out
    assert "222222222222 sso.instances" in out
    assert out.count("EnableIdentityCenterTier=true") == 1  # one fix for the tier, naming both actions
    assert "222222222222 sso.permission_sets (sso:ListPermissionSets)" in out
    assert "about a day" in out
    assert "Tier 1 works everywhere" in out


def test_tier1_denied_or_unreachable_fails():
    rep = report([denied("iam.authorization_details")])
    assert not rep.ok
    out = text(rep)
    assert "Tier 1 (required) fails in: 222222222222" in out
    assert "IdentityTierPolicy" in out and "idcensus policy --tier identity" in out
    unreachable = report([], reachable=False)
    assert not unreachable.ok
    assert "cannot assume" in text(unreachable)
    assert unreachable.problems() == {
        "enable Cost Explorer: ... about a day": ["111111111111 billing.marketplace"],
        "cannot assume arn:aws:iam::222222222222:role/R: trust": ["222222222222 assume_role"],
    }


def test_json_and_recorded_form():
    rep = report([denied("sso.instances")])
    data = json.loads(json.dumps(rep.to_json()))
    prod = data["accounts"][1]
    assert prod["capabilities"]["sso.instances"]["missing_action"] == "sso:ListInstances"
    assert data["ok"] and prod["tier1_ok"]
    recorded = account_check(rep.accounts[1], rep.checked_at)
    assert recorded.capabilities == {"sso.instances": "denied"}
    assert "EnableIdentityCenterTier" in recorded.problems["sso.instances"]


def test_billing_fix_points_at_the_management_account():
    fix = fix_for(BY_NAME["billing.marketplace"], "ce:GetCostAndUsage")
    assert "management account" in fix and "EnableBillingTier=true" in fix and "--tier billing" in fix
