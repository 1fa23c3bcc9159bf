"""Tier 1's transform, pure: recorded GAAD and credential report in, the account's IAM records out."""

from __future__ import annotations

import json

import pytest

from idcensus.collect import credentials as cred
from idcensus.collect import iam, identity
from idcensus.collect.contract import Org, Scope

ACCOUNT = "210987654321"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
SCOPE = Scope(Org(ACCOUNT))


@pytest.fixture
def answers(data_dir):
    page = json.loads((data_dir / "gaad_page.json").read_text())
    details = iam.AuthorizationDetails(page["UserDetailList"], page["GroupDetailList"], page["RoleDetailList"],
                                       page["Policies"])
    report = cred.parse_credential_report((data_dir / "credential_report.csv").read_text())
    return identity.Answers(details=details, report=report, virtual={}, services={}, keys={ALICE: []},
                            summary={"alias": "acme", "counters": {"Users": 1}}, listed_roles={}, mfa_listed=True)


def by_type(items):
    found: dict[str, list] = {}
    for type_, id_, data in items:
        found.setdefault(type_, []).append((id_, data))
    return found


def test_records_in_order_with_the_account_first(answers):
    items = identity.transform(answers, SCOPE)
    types = [t for t, _, _ in items]
    assert types[:2] == ["aws.account", "iam.root_user"]
    assert types.index("iam.user") < types.index("iam.group") < types.index("iam.role") < types.index("iam.policy")
    ((arn, account),) = by_type(items)["aws.account"]
    assert arn == f"arn:aws:organizations:::account/{ACCOUNT}"
    assert (account.alias, account.summary) == ("acme", {"Users": 1})
    ((user_arn, alice),) = by_type(items)["iam.user"]
    assert user_arn == ALICE and alice.password.enabled and alice.mfa.enabled  # the report's MFA flag
    assert alice.groups == [f"arn:aws:iam::{ACCOUNT}:group/admins"]


def test_a_user_gone_mid_run_leaves_no_record_and_no_membership(answers):
    from dataclasses import replace

    found = by_type(identity.transform(replace(answers, gone=frozenset({ALICE})), SCOPE))
    assert "iam.user" not in found
    assert all(g.members == [] for _, g in found["iam.group"])
    assert len(answers.details.users) == 1  # the answers themselves are untouched


def test_unknown_stays_unknown(answers):
    from dataclasses import replace

    blind = replace(answers, report=None, keys=None, services=None, mfa_listed=False)
    found = by_type(identity.transform(blind, SCOPE))
    assert "iam.root_user" not in found
    ((_, alice),) = found["iam.user"]
    assert alice.password is None and alice.mfa is None and alice.access_keys is None
    assert alice.service_credentials is None
    only_account = identity.transform(identity.Answers(), SCOPE)
    assert [t for t, _, _ in only_account] == ["aws.account"]
