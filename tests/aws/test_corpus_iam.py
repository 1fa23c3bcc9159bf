"""Real IAM answers recorded by others (../shared/corpus/iam-realshape/, read in place) go through
botocore's parser (tests/iam_answers.py serves them as IAM's XML) into the Tier 1 collector: GAADs of
three real accounts, their credential reports (N/A, no_information, not_supported, root rows, users
missing from the report), the AWS CLI examples of keys, MFA devices (virtual, hardware, U2F),
unassigned virtual devices, service credentials, summary and aliases."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import boto3
import pytest
from tests.corpus import IAM
from tests.iam_answers import cli_output, hook

from idcensus.aws import ClientFactory
from idcensus.collect import identity
from idcensus.collect.contract import AccountInfo, Context

pytestmark = pytest.mark.skipif(not IAM.is_dir(), reason="no shared corpus next to the checkout")
CLI = IAM / "aws-cli"
COLUMNS = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
           "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
           "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
           "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
           "cert_1_last_rotated,cert_2_active,cert_2_last_rotated").split(",")
ROLE_FIELDS = ("Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument", "Description",
               "MaxSessionDuration", "RoleLastUsed")


def answers(gaad, *, report=None, generated=None, summary=None, per_user=None, descriptions=None, roles=None):
    """Every IAM call Tier 1 makes, answered from recordings; per-user listings from `per_user`
    (user name -> {operation: answer}), empty for anyone else."""
    per_user = per_user or {}
    policies = {p["Arn"]: p for p in gaad.get("Policies", [])}

    def of_user(op, key):
        return lambda p: per_user.get(p["UserName"], {}).get(op) or {key: []}

    def get_policy(p):
        found = {k: v for k, v in policies[p["PolicyArn"]].items() if k != "PolicyVersionList"}
        return {"Policy": {**found, "Description": (descriptions or {}).get(p["PolicyArn"])}}

    return {
        "GetAccountAuthorizationDetails": lambda p: {**gaad, "IsTruncated": False},
        "GenerateCredentialReport": lambda p: {"State": "COMPLETE"} if report else None,
        "GetCredentialReport": lambda p: {"Content": report.encode(), "GeneratedTime": generated,
                                          "ReportFormat": "text/csv"},
        "ListVirtualMFADevices": lambda p: {**cli_output(CLI / "list-virtual-mfa-devices.rst"), "IsTruncated": False},
        "ListServiceSpecificCredentials": lambda p: cli_output(CLI / "list-service-specific-credentials.rst"),
        "ListAccountAliases": lambda p: {**cli_output(CLI / "list-account-aliases.rst"), "IsTruncated": False},
        "GetAccountSummary": lambda p: summary or cli_output(CLI / "get-account-summary.rst"),
        "ListRoles": lambda p: {"Roles": roles if roles is not None else [
            {k: r[k] for k in ROLE_FIELDS if k in r} for r in gaad.get("RoleDetailList", [])], "IsTruncated": False},
        "ListAccessKeys": of_user("ListAccessKeys", "AccessKeyMetadata"),
        "ListMFADevices": of_user("ListMFADevices", "MFADevices"),
        "ListSigningCertificates": of_user("ListSigningCertificates", "Certificates"),
        "ListSSHPublicKeys": of_user("ListSSHPublicKeys", "SSHPublicKeys"),
        "GetPolicy": get_policy,
    }


def collect(account: str, ops):
    factory = ClientFactory(hooks=[], account_id=account)
    model = boto3.client("iam", region_name="us-east-1")._service_model
    factory.hooks.append(hook(model, ops))
    ctx = Context(factory=factory, info=AccountInfo(account))
    raw = identity.get(ctx)
    found: dict[str, dict] = {}
    for type_, id_, data in identity.transform(raw, ctx.scope()):
        found.setdefault(type_, {})[id_] = data
    return found, ctx.out, factory.counter.calls


def derived_keys(rows: list[dict[str, str]]) -> dict[str, dict]:
    """No listing was recorded with these reports: each holder's ListAccessKeys, derived from its report
    slots (made-up IDs, the slot's creation time and state)."""
    return {r["user"]: {"ListAccessKeys": {"AccessKeyMetadata": [
        {"UserName": r["user"], "AccessKeyId": f"AKIA{n:012d}{slot}",
         "Status": "Active" if r.get(f"access_key_{slot}_active") == "true" else "Inactive",
         "CreateDate": r[f"access_key_{slot}_last_rotated"]}
        for slot in (1, 2) if r.get(f"access_key_{slot}_last_rotated", "N/A") != "N/A"]}} for n, r in enumerate(rows)}


def report_csv(rows: list[dict[str, str]]) -> str:
    """AirIAM's JSON rows back into AWS's CSV: its 22 columns in order, the N/A cells it left out put back."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, restval="N/A", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_cloudmapper_users_missing_from_the_report_are_asked(aws):
    gaad = json.loads((IAM / "cloudmapper" / "iam-get-account-authorization-details.json").read_text())
    recorded = json.loads((IAM / "cloudmapper" / "iam-get-credential-report.json").read_text())
    keys = cli_output(CLI / "list-access-keys.rst")
    mfa = cli_output(CLI / "list-mfa-devices.rst")
    found, out, calls = collect("123456789012", answers(
        gaad, report=recorded["Content"], generated=recorded["GeneratedTime"],
        summary=json.loads((IAM / "cloudmapper" / "iam-get-account-summary.json").read_text()),
        per_user={"USER": {"ListAccessKeys": keys, "ListMFADevices": mfa}}))
    assert set(out.capabilities.values()) == {"ok"}, out.errors
    users = {u.name: u for u in found["iam.user"].values()}
    assert set(users) == {"USER", "USER_WITH_BAD_INLINE_POLICY"}  # the report's users are others
    user = users["USER"]
    assert user.password is None  # no row: unknown, never "no password"
    assert [k.id for k in user.access_keys] == [k["AccessKeyId"] for k in keys["AccessKeyMetadata"]]
    assert [d.type for d in user.mfa.devices] == ["virtual", "hardware", "u2f", "u2f"] and user.mfa.enabled
    assert users["USER_WITH_BAD_INLINE_POLICY"].mfa.enabled is False
    assert calls["iam.ListAccessKeys"] == 2 and calls["iam.ListMFADevices"] == 2  # both lack a row
    (root,) = found["iam.root_user"].values()
    assert root.mfa_enabled and (root.access_keys[0].last_used_service, root.access_keys[0].last_used_region) \
        == ("ecr", "us-east-1")
    (account,) = found["aws.account"].values()
    assert account.credential_report_generated_at == datetime(2019, 5, 7, 15, 40, 22, tzinfo=UTC)
    assert account.alias == cli_output(CLI / "list-account-aliases.rst")["AccountAliases"][0]
    assert (account.summary["Users"], account.summary["AccessKeysPerUserQuota"]) == (1, 2)  # as recorded


def test_cloudsplaining_account_without_a_report(aws):
    gaad = json.loads((IAM / "cloudsplaining" / "example.json").read_text())
    found, out, calls = collect("200611803367", answers(gaad))
    assert out.capabilities["iam.credential_report"] == "denied"
    assert (len(found["iam.user"]), len(found["iam.group"]), len(found["iam.role"])) == (41, 3, 75)
    assert calls["iam.ListAccessKeys"] == 41  # no report to say who holds keys: everyone is asked
    roles = {r.name: r for r in found["iam.role"].values()}
    assert any(r.service_linked for r in roles.values())
    assert any(name.startswith("AWSReservedSSO_") for name in roles)
    assert all(u.password is None and u.access_keys == [] for u in found["iam.user"].values())
    policies = found["iam.policy"].values()
    assert all(p.document is not None for p in policies) and all(p.policy_id for p in policies)


def test_airiam_account_with_descriptions_and_a_rebuilt_report(aws):
    data = json.loads((IAM / "airiam" / "iam_data.json").read_text())
    gaad = {"UserDetailList": data["AccountUsers"], "GroupDetailList": data["AccountGroups"],
            "RoleDetailList": data["AccountRoles"], "Policies": data["AccountPolicies"]}
    listed = [{k: r[k] for k in ROLE_FIELDS if k in r} for r in data["AccountRoles"]]
    descriptions = {p["Arn"]: p.get("Description") for p in data["AccountPolicies"]}
    found, out, calls = collect("000000000000", answers(
        gaad, report=report_csv(data["CredentialReport"]), generated="2020-04-07T10:00:00Z",
        descriptions=descriptions, roles=listed, per_user=derived_keys(data["CredentialReport"])))
    assert set(out.capabilities.values()) == {"ok"}, out.errors
    roles = found["iam.role"].values()
    described = {r.name: r.description for r in roles if r.description}
    assert described == {r["RoleName"]: r["Description"] for r in data["AccountRoles"] if r.get("Description")}
    profiles = [p for r in roles for p in r.instance_profile_details]
    assert profiles and all(p.id.startswith("AIPA") and p.created_at for p in profiles)
    customer = [p for p in found["iam.policy"].values() if not p.aws_managed]
    assert customer and all(p.description == (descriptions[p.arn] or None) for p in customer)
    assert calls["iam.GetPolicy"] == len(customer)  # AWS-managed policies are not asked
    gandalf = found["iam.user"]["arn:aws:iam::000000000000:user/gandalf@bridgecrew.io"]
    assert gandalf.password.enabled and gandalf.mfa.enabled
    assert gandalf.access_keys[0].last_used_service == "sts"


def test_cloudgoat_report_with_derived_gaad(aws):
    report = (IAM / "aws_testbench" / "credential_report.csv").read_text()
    rows = [r for r in csv.DictReader(io.StringIO(report)) if r["user"] != "<root_account>"]
    gaad = {"UserDetailList": [{"Path": "/", "UserName": r["user"], "UserId": f"AIDA{n:017d}", "Arn": r["arn"],
                                "CreateDate": r["user_creation_time"], "GroupList": []} for n, r in enumerate(rows)],
            "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    ops = answers(gaad, report=report, generated="2023-01-03T00:00:00Z", per_user=derived_keys(rows))
    states = [cli_output(CLI / "generate-credential-report.rst"), {"State": "COMPLETE"}]  # STARTED, then ready
    ops["GenerateCredentialReport"] = lambda p: states.pop(0) if len(states) > 1 else states[0]
    found, out, calls = collect("278368863034", ops)
    assert calls["iam.GenerateCredentialReport"] == 2 and calls["iam.GetCredentialReport"] == 1
    assert set(out.capabilities.values()) == {"ok"}, out.errors
    (root,) = found["iam.root_user"].values()
    assert root.mfa_enabled is False and root.password_enabled is None  # not_supported
    users = {u.name: u for u in found["iam.user"].values()}
    cloudgoat = users["cloudgoat"]
    (key,) = cloudgoat.access_keys  # the listing's key joined with the report's slot on creation time
    assert (key.id, key.last_used_service, key.last_used_region) == ("AKIA0000000000001", "rds", "us-east-1")
    assert key.last_used_at == datetime(2022, 12, 21, 18, 30, tzinfo=UTC)
    holders = sum(1 for r in rows if r["access_key_1_last_rotated"] != "N/A" or r["access_key_2_last_rotated"] != "N/A")
    assert calls["iam.ListAccessKeys"] == holders
