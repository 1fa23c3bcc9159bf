import boto3
import pytest
from tests.aws.conftest import ACCOUNT, factory
from tests.faults import deny, gone

from idcensus.collect.account import collect_account
from idcensus.collect.contract import AccountInfo
from idcensus.collect.registry import CAPABILITIES


def by_name(items):
    return {i.name: i for i in items}


@pytest.mark.all_aws_managed_policies  # GAAD as moto answers it: all ~1,600 AWS-managed policies, nearly all unattached
def test_collects_every_identity_with_credentials(seeded):
    result = collect_account(factory(), AccountInfo(ACCOUNT))
    assert result.account.collection.status == "ok", result.account.collection
    users = by_name(result.users)
    assert set(users) == {"alice", "bob", "ci-deploy", "carol"}
    alice = users["alice"]
    assert alice.password.enabled and alice.mfa.enabled
    assert alice.mfa.devices[0].type == "virtual"
    assert alice.groups == [f"arn:aws:iam::{ACCOUNT}:group/admins"]
    assert len(alice.access_keys) == 1 and alice.access_keys[0].id.startswith("AKIA")
    assert users["bob"].password.enabled and not users["bob"].mfa.enabled
    assert users["bob"].inline_policies[0].document["Statement"][0]["Action"] == "sqs:ReceiveMessage"
    ci = users["ci-deploy"]
    assert sorted(k.status for k in ci.access_keys) == ["Active", "Inactive"]
    assert ci.password.enabled is False
    assert ci.service_credentials[0].service_name == "codecommit.amazonaws.com"
    assert users["carol"].access_keys == [] and users["carol"].mfa.enabled is False
    roles = by_name(result.roles)
    assert roles["vendor-access"].permissions_boundary == f"arn:aws:iam::{ACCOUNT}:policy/reports-read"
    assert roles["app-instance"].instance_profiles == [f"arn:aws:iam::{ACCOUNT}:instance-profile/app-instance"]
    assert roles["app-instance"].max_session_duration == 3600  # from ListRoles: GAAD lacks it
    assert roles["app-instance"].trust_policy["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    policies = {p.arn: p for p in result.policies}
    assert f"arn:aws:iam::{ACCOUNT}:policy/ci/deploy-pipeline" in policies
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in policies  # attached AWS-managed
    assert "arn:aws:iam::aws:policy/AmazonS3FullAccess" not in policies  # unattached AWS-managed
    assert result.root is not None and result.root.mfa_enabled


def test_bulk_first_per_user_calls_only_for_key_holders(seeded):
    f = factory()
    collect_account(f, AccountInfo(ACCOUNT))
    calls = f.counter.calls
    assert calls["iam.GetAccountAuthorizationDetails"] == 1
    assert calls["iam.ListVirtualMFADevices"] == 1
    assert calls["iam.ListServiceSpecificCredentials"] == 1
    assert calls["iam.ListRoles"] == 1
    assert calls["iam.ListAccessKeys"] == 2  # alice and ci-deploy hold keys; bob and carol do not
    assert calls["iam.ListMFADevices"] == 0  # alice's MFA is explained by the virtual listing
    for per_user in ("iam.ListUsers", "iam.GetUser", "iam.ListGroupsForUser", "iam.GetAccessKeyLastUsed"):
        assert calls[per_user] == 0


def test_hardware_mfa_is_asked_per_user(seeded, monkeypatch):
    # A report saying bob has MFA that no virtual device explains: only then ListMFADevices(bob).
    from idcensus.collect import credentials

    real = credentials.parse_credential_report

    def with_bob_mfa(content):
        rows = real(content)
        rows[f"arn:aws:iam::{ACCOUNT}:user/bob"]["mfa_active"] = "true"
        return rows

    monkeypatch.setattr(credentials, "parse_credential_report", with_bob_mfa)
    f = factory()
    collect_account(f, AccountInfo(ACCOUNT))
    assert f.counter.calls["iam.ListMFADevices"] == 1


def test_denied_capability_is_denied_not_empty(seeded):
    result = collect_account(factory(deny("GetAccountAuthorizationDetails")), AccountInfo(ACCOUNT))
    col = result.account.collection
    assert col.status == "partial"
    assert col.capabilities["iam.authorization_details"] == "denied"
    assert "AccessDenied" in col.errors["iam.authorization_details"]
    assert col.capabilities["iam.credential_report"] == "ok"
    assert result.users == [] and result.root is not None  # the rest continued


def test_denied_credential_report_leaves_credentials_unknown(seeded):
    result = collect_account(factory(deny("GenerateCredentialReport")), AccountInfo(ACCOUNT))
    assert result.account.collection.capabilities["iam.credential_report"] == "denied"
    users = by_name(result.users)
    assert users["bob"].password is None  # unknown, not "no password"
    assert result.root is None


def test_everything_denied_is_denied(seeded):
    everything = deny("GetAccountAuthorizationDetails", "GenerateCredentialReport", "ListVirtualMFADevices",
                      "ListServiceSpecificCredentials", "ListAccountAliases", "ListRoles",
                      "GetAccountPasswordPolicy", "ListSAMLProviders")
    result = collect_account(factory(everything, with_gaps=False), AccountInfo(ACCOUNT))
    col = result.account.collection
    per_principal = {"iam.access_keys", "iam.signing_certificates", "iam.ssh_public_keys", "iam.policy_descriptions"}
    identity = {c.name for c in CAPABILITIES if c.tier == "identity" and not c.management_only} - per_principal
    assert {col.capabilities[name] for name in identity} == {"denied"}
    # nobody to ask without the principal list
    assert {col.capabilities[name] for name in per_principal} == {"skipped"}
    # The other tiers answered, so the account is partial, not denied - and never "ok".
    assert col.status == "partial"
    assert result.users == [] and result.roles == []


def test_user_deleted_mid_run_is_skipped_and_recorded(seeded):
    result = collect_account(factory(gone("ListAccessKeys", "ci-deploy")), AccountInfo(ACCOUNT))
    col = result.account.collection
    assert col.skipped_principals == [f"arn:aws:iam::{ACCOUNT}:user/automation/ci-deploy"]
    assert "ci-deploy" not in by_name(result.users)
    assert col.capabilities["iam.access_keys"] == "ok"
    members = by_name(result.groups)["developers"].members
    assert all("ci-deploy" not in m for m in members)


def test_unimplemented_call_is_failed_not_empty(seeded):
    # moto lacks ListServiceSpecificCredentials: without the recorded answer it errors.
    result = collect_account(factory(with_gaps=False), AccountInfo(ACCOUNT))
    col = result.account.collection
    assert col.capabilities["iam.service_credentials"] == "failed"
    assert by_name(result.users)["ci-deploy"].service_credentials is None


def test_account_alias_and_summary(seeded):
    boto3.client("iam").create_account_alias(AccountAlias="acme-prod")
    result = collect_account(factory(), AccountInfo(ACCOUNT))
    assert result.account.alias == "acme-prod"
    assert result.account.summary["Users"] == 4
