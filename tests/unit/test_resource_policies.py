"""Principals outside the organization in resource and trust policies."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcensus.collect.resources.policies import Org, account_of, external_principals

HOME, SISTER, OUTSIDE = "111111111111", "222222222222", "999999999999"
ORG = Org(account_id=HOME, accounts=frozenset({HOME, SISTER}), organization_id="o-abc123")


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal, condition=None, **extra):
    s = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*", **extra}
    if condition:
        s["Condition"] = condition
    return s


@pytest.mark.parametrize(("principal", "expected"), [
    ({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, [f"arn:aws:iam::{OUTSIDE}:root"]),
    ({"AWS": OUTSIDE}, [OUTSIDE]),
    ({"AWS": [f"arn:aws:iam::{SISTER}:role/x", f"arn:aws:sts::{OUTSIDE}:assumed-role/r/s"]},
     [f"arn:aws:sts::{OUTSIDE}:assumed-role/r/s"]),
    ({"AWS": f"arn:aws:iam::{HOME}:user/alice"}, []),
    ({"AWS": "AROAEXAMPLEDELETEDROLE"}, []),  # a deleted principal's unique ID grants nobody
    ("*", ["*"]),
    ({"AWS": "*"}, ["*"]),
    (OUTSIDE, [OUTSIDE]),  # moto writes Lambda permissions' principal as a bare account ID
    ({"Service": "lambda.amazonaws.com"}, []),
    ({"Federated": f"arn:aws:iam::{HOME}:saml-provider/Okta"}, []),
    ({"Federated": f"arn:aws:iam::{OUTSIDE}:oidc-provider/token.actions.githubusercontent.com"},
     [f"arn:aws:iam::{OUTSIDE}:oidc-provider/token.actions.githubusercontent.com"]),
    ({"Federated": "accounts.google.com"}, ["accounts.google.com"]),
    ({"Federated": "cognito-identity.amazonaws.com"}, []),
    ({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, []),
])
def test_principals(principal, expected):
    assert external_principals(policy(allow(principal)), ORG) == expected


@pytest.mark.parametrize(("condition", "expected"), [
    ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, []),
    ({"StringEquals": {"aws:SourceOrgID": "o-abc123"}}, []),
    ({"StringEquals": {"AWS:PrincipalOrgId": ["o-abc123"]}}, []),  # keys are case-insensitive
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-abc123/r-root/ou-1/*"]}}, []),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-other"}}, ["o-other"]),
    ({"StringEquals": {"aws:PrincipalAccount": [HOME, SISTER]}}, []),
    ({"StringEquals": {"aws:SourceAccount": OUTSIDE}}, [OUTSIDE]),
    ({"ArnLike": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{SISTER}:topic"}}, []),
    ({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, ["*"]),  # negation pins nothing
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}, ["*"]),  # absent key passes
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, ["*"]),  # network, not identity
    ({"Bool": {"aws:SecureTransport": "true"}}, ["*"]),
])
def test_conditions_on_everyone(condition, expected):
    assert external_principals(policy(allow("*", condition)), ORG) == expected


def test_org_condition_needs_the_org_id_to_make_everyone_internal():
    standalone = Org(account_id=HOME)
    doc = policy(allow("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))
    assert external_principals(doc, standalone) == ["o-abc123"]


def test_service_principal_acting_for_an_outside_account():
    doc = policy(allow({"Service": "s3.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": OUTSIDE}}))
    assert external_principals(doc, ORG) == [OUTSIDE]


def test_deny_statements_grant_nothing_and_not_principal_is_everyone():
    doc = policy(
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{HOME}:root"}, "Action": "*", "Resource": "*"},
    )
    assert external_principals(doc, ORG) == ["*"]


def test_single_statement_object_and_empty_policies():
    assert external_principals({"Statement": allow({"AWS": OUTSIDE})}, ORG) == [OUTSIDE]
    assert external_principals(None, ORG) == []
    assert external_principals({}, ORG) == []


def test_result_is_sorted_and_unique():
    doc = policy(allow({"AWS": [OUTSIDE, "888888888888", OUTSIDE]}), allow({"AWS": OUTSIDE}))
    assert external_principals(doc, ORG) == ["888888888888", OUTSIDE]


def test_account_of():
    assert account_of(OUTSIDE) == OUTSIDE
    assert account_of(f"arn:aws:iam::{OUTSIDE}:role/a/b") == OUTSIDE
    assert account_of("arn:aws:s3:::bucket") is None
    assert account_of("*") is None


accounts = st.from_regex(r"\A[0-9]{12}\Z")


@given(inside=st.lists(accounts, min_size=1, max_size=5), outside=st.lists(accounts, max_size=5))
def test_exactly_the_accounts_outside_the_org_are_listed(inside, outside):
    org = Org(account_id=inside[0], accounts=frozenset(inside))
    arns = [f"arn:aws:iam::{a}:role/r" for a in inside + outside]
    found = external_principals(policy(allow({"AWS": arns})), org)
    assert found == sorted({f"arn:aws:iam::{a}:role/r" for a in outside if a not in inside})
    # The same document as JSON text round-trips to the same answer (policies arrive as strings).
    assert external_principals(json.loads(json.dumps(policy(allow({"AWS": arns})))), org) == found


@given(st.recursive(st.none() | st.booleans() | st.text(max_size=5) | st.integers(),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3)))
def test_never_raises_on_odd_documents(doc):
    statement = {"Effect": "Allow", "Principal": doc, "Condition": doc}
    assert isinstance(external_principals(policy(statement), ORG), list)
