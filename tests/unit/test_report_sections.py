"""The report's sections over hand-made records: findings and people render when a run holds them,
the reach picture follows assignments (groups expanded) and trust policies."""

from __future__ import annotations

from datetime import UTC, datetime

from idcensus.report.html import render
from idcensus.report.sections import MATRIX_MAX_ACCOUNTS, build

A, B, OUT = "111111111111", "222222222222", "999999999999"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def rec(type_, id_, account, **data):
    return {"type": type_, "id": id_, "account_id": account, "data": data}


def account(account_id, **caps):
    return rec("aws.account", account_id, account_id, name=f"n{account_id[0]}",
               collection={"status": "partial" if "denied" in caps.values() else "ok", "capabilities": caps,
                           "errors": {k: "AccessDenied on iam:ListUsers" for k, v in caps.items() if v == "denied"}})


RECORDS = [
    account(A, **{"iam.users": "ok"}), account(B, **{"iam.users": "denied"}),
    rec("sso.user", "u1", A, user_id="u1", user_name="dana"),
    rec("sso.group", "g1", A, group_id="g1", display_name="ops", members=["u1"]),
    rec("sso.account_assignment", "as1", A, account_id=B, principal_type="GROUP", principal_id="g1",
        permission_set_arn="arn:ps", permission_set_name="Admin"),
    rec("iam.role", "arn:aws:iam::222222222222:role/audit", B, name="audit", arn="arn:aws:iam::222222222222:role/audit",
        trust_policy={"Statement": [{"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{OUT}:root",
                                                                               f"arn:aws:iam::{A}:root"]}}]},
        last_used_at="2026-11-28T00:00:00Z"),
    rec("iam.user", "arn:aws:iam::111111111111:user/old", A, name="old", arn="arn:aws:iam::111111111111:user/old",
        last_activity_at="2026-01-01T00:00:00Z", access_keys=[]),
    rec("finding", "f1", A, rule_id="root.no_mfa", title="Root user without MFA", severity="critical",
        resource_arn="arn:aws:iam::111111111111:root", message="root has no MFA", status="open",
        evidence={"mfa_enabled": False}, controls=["CIS AWS 4.0 1.5"]),
    rec("finding", "f2", A, rule_id="x", title="Suppressed one", severity="high", status="open", suppressed=True),
    rec("identity.person", "p1", A, display_name="Dana Scully", emails=["dana@example.com"], confidence="high",
        identities=[{"type": "sso.user", "name": "dana", "account_id": A, "arn": "arn:sso"}],
        access=[{"account_id": B, "via": "permission_set", "name": "Admin"}]),
]
MANIFEST = {"run_id": "r2", "previous_run_id": "r1", "finished_at": "2026-12-01T00:00:00Z", "schema_version": "1.1.0",
            "accounts": [{"account_id": A}, {"account_id": B}]}
CHANGES = [{**RECORDS[-1], "change": "created"}]


def test_sections_hold_what_the_run_says():
    report = build(RECORDS, CHANGES, MANIFEST, now=NOW)
    assert report.findings_by_severity["critical"] == 1 and report.findings_by_severity["high"] == 0  # suppressed
    assert [row[0] for row in report.findings.rows] == ["critical", "high"]
    assert report.findings.rows[1][5] == "suppressed"
    assert report.people.rows[0][0] == "Dana Scully" and report.people.rows[0][4] == 1
    reach = {(p, k, a) for p, k, a, _ in report.reach.rows}
    assert ("sso user dana", "identity center", B) in reach  # through its group
    assert ("sso group ops", "identity center", B) in reach
    assert (f"arn:aws:iam::{OUT}:root", "outside the organization", B) in reach
    assert (f"arn:aws:iam::{A}:root", "cross-account", B) in reach
    denied = next(row for row in report.coverage.rows if row[0] == B)
    assert denied[2] == "partial" and "AccessDenied" in denied[-1]
    fresh = {row[0]: row[4] for row in report.freshness.rows}
    assert fresh == {"arn:aws:iam::222222222222:role/audit": "last 7 days",
                     "arn:aws:iam::111111111111:user/old": "over 90 days"}


def test_html_escapes_and_shows_empty_states():
    hostile = [*RECORDS, rec("iam.user", "<script>alert(1)</script>", A, name="<b>x</b>", arn="<script>alert(1)</script>")]
    page = render(build(hostile, [], MANIFEST, now=NOW))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "no changes since the previous run" in page
    empty = render(build([], [], {**MANIFEST, "accounts": []}, now=NOW))
    assert "data-empty=findings" in empty and "data-empty=people" in empty


def test_many_accounts_drop_the_matrix_for_the_list():
    accounts = [f"{n:012d}" for n in range(MATRIX_MAX_ACCOUNTS + 1)]
    report = build([account(a, **{"iam.users": "ok"}) for a in accounts], [], {**MANIFEST, "accounts": []}, now=NOW)
    assert report.reach_matrix is None and "reach-matrix" not in render(report)


def test_a_capped_page_says_what_it_left_out_and_keeps_every_accounts_coverage():
    users = [rec("iam.user", f"arn:aws:iam::{A}:user/u{n:03d}", A, name=f"u{n:03d}", arn=f"arn:aws:iam::{A}:user/u{n:03d}",
                 last_activity_at=None, access_keys=[]) for n in range(30)]
    accounts = [account(f"{n:012d}", **{"iam.users": "ok"}) for n in range(1, 9)]
    report = build([*accounts, *users], [], {"run_id": "r1"}, now=NOW)
    page = render(report, max_rows=5)
    assert page.count("<tr>") < render(report).count("<tr>")
    assert "the first 5 of 30 rows" in page  # identities: 30 users
    coverage = page[page.index("<section id=coverage>"):page.index("</section>", page.index("<section id=coverage>"))]
    assert all(f"{n:012d}" in coverage for n in range(1, 9))  # every account's coverage, past the cap
    assert "the first" not in render(report)  # uncapped (the CLI's page): nothing left out
