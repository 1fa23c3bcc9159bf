"""Tier 1 additions against moto in-process: the password policy and identity providers, call counts, denied."""

from __future__ import annotations

import boto3
from tests.aws.conftest import ACCOUNT, factory
from tests.faults import deny

from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus.collect.identity_providers import saml_metadata
from idcensus.collect.registry import BY_NAME
from idcensus_emulator import seed_governance
from idcensus_emulator.seed_governance import SAML_METADATA as METADATA

CAPS = ("iam.password_policy", "iam.identity_providers")



def collect(f, capabilities=CAPS):
    out = Outcomes()
    items = collect_items(f, AccountInfo(ACCOUNT), out, CollectOptions(), tiers=("identity",))
    wanted = {t for c in capabilities for t in BY_NAME[c].produces}
    return out, {(t, i): d for t, i, d in items if t in wanted}


def seed_providers():
    return seed_governance.seed_providers(boto3.client("iam"))


def test_no_password_policy_is_a_record_saying_so(aws):
    out, found = collect(factory())
    assert out.capabilities["iam.password_policy"] == "ok"
    assert found[("iam.password_policy", "password-policy")].exists is False
    assert out.capabilities["iam.identity_providers"] == "ok"
    assert not [k for k in found if k[0] == "iam.identity_provider"]


def test_password_policy_is_read(aws):
    boto3.client("iam").update_account_password_policy(
        MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True, MaxPasswordAge=90,
        PasswordReusePrevention=24, HardExpiry=False)
    _, found = collect(factory())
    policy = found[("iam.password_policy", "password-policy")]
    assert policy.exists and policy.minimum_length == 14 and policy.require_symbols and policy.max_age_days == 90
    assert policy.reuse_prevention == 24 and policy.require_uppercase is False


def test_identity_providers_with_metadata_and_linked_roles(aws):
    saml, oidc = seed_providers()
    f = factory()
    out, found = collect(f)
    assert out.capabilities["iam.identity_providers"] == "ok"
    okta, github = found[("iam.identity_provider", saml)], found[("iam.identity_provider", oidc)]
    assert okta.type == "saml" and okta.name == "okta"
    assert okta.metadata.issuer == "http://www.okta.com/exk1example"
    assert okta.metadata.valid_until.year == 2027 and okta.metadata.signing_certificates == 1
    assert okta.metadata.sso_urls == ["https://example.okta.com/app/amazon_aws/exk1example/sso/saml"]
    assert okta.trusted_by_roles == [f"arn:aws:iam::{ACCOUNT}:role/okta-admins"]
    assert github.type == "oidc" and github.url == "https://token.actions.githubusercontent.com"
    assert github.client_ids == ["sts.amazonaws.com"] and len(github.thumbprints) == 1
    assert github.trusted_by_roles == [f"arn:aws:iam::{ACCOUNT}:role/github-deploy"]
    calls = f.counter.calls
    # bulk first: one listing per kind, one Get per provider, one shared role listing (the
    # identity collector's own ListRoles is the other one)
    assert calls["iam.ListSAMLProviders"] == 1 and calls["iam.GetSAMLProvider"] == 1
    assert calls["iam.ListOpenIDConnectProviders"] == 1 and calls["iam.GetOpenIDConnectProvider"] == 1
    assert calls["iam.GetAccountPasswordPolicy"] == 1


def test_no_provider_no_role_listing(aws):
    f = factory(deny("GetAccountAuthorizationDetails", "ListRoles"))
    collect(f)
    # the identity collector's ListRoles is denied (counted once); the providers collector never asks
    assert f.counter.calls["iam.ListRoles"] == 1


def test_denied_is_denied_not_empty(aws):
    seed_providers()
    f = factory(deny("GetAccountPasswordPolicy", "ListSAMLProviders"))
    out, found = collect(f)
    assert out.capabilities["iam.password_policy"] == "denied"
    assert out.capabilities["iam.identity_providers"] == "denied"
    assert found == {}


def test_roles_unlisted_leaves_links_unknown(aws):
    saml, _ = seed_providers()
    _, found = collect(factory(deny("ListRoles")))
    assert found[("iam.identity_provider", saml)].trusted_by_roles is None


def test_metadata_with_a_dtd_is_refused_not_parsed():
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "DTD" in saml_metadata(bomb).error
    assert "well-formed" in saml_metadata("<md:Entity").error
    assert saml_metadata(METADATA.replace('validUntil="2027-06-01T00:00:00Z"', "")).valid_until is None
