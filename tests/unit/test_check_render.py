"""The check's tables and fixes, from report data (no AWS): by default one row per account and each
fix once, numbered; --wide the capability x account matrix."""

import json

from rich.console import Console
from tests.tables import table_rows

from idcensus.access_check import AccountCheckResult, CheckReport, ProbeResult, account_check, explain_assume, fix_for, remedy_for
from idcensus.cli.check_render import render
from idcensus.collect.registry import BY_NAME

MGMT, PROD = "111111111111", "222222222222"


def report(prod_results, *, reachable=True):
    mgmt = AccountCheckResult(MGMT, "management", management=True, results=[
        ProbeResult("iam.authorization_details", "identity", "ok"),
        ProbeResult("billing.marketplace", "billing", "not_enabled", fix="enable Cost Explorer: ... about a day"),
    ])
    prod = AccountCheckResult(PROD, "prod", reachable=reachable, results=prod_results,
                              error=None if reachable else f"cannot assume arn:aws:iam::{PROD}:role/R: trust")
    return CheckReport("2026-11-25T14:00:00Z", "R", [mgmt, prod])


def text(rep, *, wide=False) -> str:
    console = Console(record=True, width=250, color_system=None)
    render(rep, console, wide=wide)
    return console.export_text()


def denied(name):
    cap = BY_NAME[name]
    action = cap.actions[0]
    return ProbeResult(name, cap.tier, "denied", action=action, fix=fix_for(cap, action), remedy=remedy_for(cap))


def optional_tier_denied():
    return report([ProbeResult("iam.authorization_details", "identity", "ok"),
                   denied("sso.instances"), denied("sso.permission_sets"),
                   ProbeResult("billing.marketplace", "billing", "skipped")])


def test_denied_optional_tier_is_a_warning_with_its_fix_once():
    rep = optional_tier_denied()
    out = text(rep)
    assert rep.ok
    rows = table_rows(out)
    assert set(rows) == {MGMT, PROD}
    assert rows[MGMT][:3] == [f"{MGMT} (management)", "management", "partial"]
    assert rows[MGMT][3] == "[1] billing.marketplace not enabled"
    assert rows[PROD][1:] == ["prod", "partial", "[2] sso.instances denied (sso:ListInstances), "
                                                 "sso.permission_sets denied (sso:ListPermissionSets)"]
    assert "2 accounts: 2 partial" in out
    assert out.count("EnableIdentityCenterTier=true") == 1  # one fix for the tier, naming both actions
    assert f"for sso.instances (sso:ListInstances), sso.permission_sets (sso:ListPermissionSets) in 1 account: {PROD}" in out
    assert "[1] enable Cost Explorer: ... about a day" in out and f"for billing.marketplace in 1 account: {MGMT}" in out
    assert "Tier 1 works everywhere" in out


def test_wide_is_the_capability_by_account_matrix():
    out = text(optional_tier_denied(), wide=True)
    rows = table_rows(out, key=1)
    assert rows["assume"] == ["", "assume role", "ok", "ok"]
    assert rows["iam.authorization_details"] == ["identity", "iam.authorization_details", "ok", "ok"]
    assert rows["sso.instances"] == ["identity_center", "sso.instances", "-", "denied (sso:ListInstances)"]
    assert rows["billing.marketplace"] == ["billing", "billing.marketplace", "not enabled", "-"]
    assert out.count("EnableIdentityCenterTier=true") == 1
    assert f"{PROD} sso.instances" in out
    assert f"{PROD} sso.permission_sets (sso:ListPermissionSets)" in out
    assert "about a day" in out
    assert "Tier 1 works everywhere" in out


def test_tier1_denied_or_unreachable_fails():
    rep = report([denied("iam.authorization_details")])
    assert not rep.ok
    for wide in (False, True):
        out = text(rep, wide=wide)
        assert f"Tier 1 (required) fails in: {PROD}" in out
        assert "IdentityTierPolicy" in out and "idcensus policy --tier identity" in out
    assert table_rows(text(rep))[PROD][2:] == [
        "Tier 1 fails", "[2] iam.authorization_details denied (iam:GetAccountAuthorizationDetails)"]
    unreachable = report([], reachable=False)
    assert not unreachable.ok
    assert table_rows(text(unreachable))[PROD][2:] == ["unreachable", "[2] cannot assume the role"]
    for wide in (False, True):
        assert f"cannot assume arn:aws:iam::{PROD}:role/R: trust" in text(unreachable, wide=wide)
    assert unreachable.problems() == {
        "enable Cost Explorer: ... about a day": [f"{MGMT} billing.marketplace"],
        f"cannot assume arn:aws:iam::{PROD}:role/R: trust": [f"{PROD} assume_role"],
    }


def test_a_hundred_accounts_stay_one_row_each_with_each_fix_once():
    denial = type("AccessDenied", (Exception,), {})  # an error named as AWS names it
    accounts = [AccountCheckResult(f"{n:012d}", f"member-{n}", results=[
        ProbeResult("iam.authorization_details", "identity", "ok"), denied("sso.instances")]) for n in range(1, 121)]
    accounts += [AccountCheckResult(f"{n:012d}", f"gone-{n}", reachable=False,
                                    error=explain_assume(f"arn:aws:iam::{n:012d}:role/R", denial("no"), None))
                 for n in range(900, 903)]
    rep = CheckReport("2026-11-25T14:00:00Z", "R", accounts)
    out = text(rep)
    rows = table_rows(out)
    assert len(rows) == 123 and rows["000000000042"][2:] == ["partial", "[1] sso.instances denied (sso:ListInstances)"]
    assert rows["000000000901"][2] == "unreachable"
    assert "123 accounts: 120 partial, 3 unreachable" in out
    assert out.count("EnableIdentityCenterTier=true") == 1
    assert "in 120 accounts: 000000000001, 000000000002" in out and "and 110 more" in out
    assert out.count("Likely causes") == 1  # the three accounts' explanations are one fix
    assert "cannot assume arn:aws:iam::<account>:role/R" in out and "in 3 accounts: 000000000900" in out
    assert sum(line.startswith("│") for line in out.splitlines()) == 123  # one line per account


def test_a_whole_tier_in_one_state_is_said_in_a_few_words_and_its_actions_in_the_fix():
    sso = ("sso.instances", "sso.identity_store", "sso.permission_sets", "sso.account_assignments")
    rep = report([ProbeResult("iam.authorization_details", "identity", "ok"), *(denied(name) for name in sso)])
    out = text(rep)
    assert table_rows(out)[PROD][3] == "[2] all 4 identity_center capabilities denied"
    assert f"for {', '.join(f'{n} ({BY_NAME[n].actions[0]})' for n in sso)} in 1 account: {PROD}" in out
    some = report([ProbeResult("iam.authorization_details", "identity", "ok"), *(denied(name) for name in sso[:3]),
                   ProbeResult("sso.account_assignments", "identity_center", "ok")])
    assert table_rows(text(some))[PROD][3].startswith("[2] sso.instances denied (sso:ListInstances), ")


def test_everything_working_says_so():
    rep = CheckReport("2026-11-25T14:00:00Z", "R", [AccountCheckResult(MGMT, "m", results=[
        ProbeResult("iam.authorization_details", "identity", "ok")])])
    for wide in (False, True):
        assert "every capability works in every account" in text(rep, wide=wide)
    assert table_rows(text(rep))[MGMT][2:] == ["ok", ""]


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
