"""Which records an activity event re-collects: identity-changing writes only, never reads or failures."""

import json
from pathlib import Path

import pytest

from idcensus.stream import IDENTITY_CHANGING, RefreshTarget, normalize, refresh_targets

EVENTS = Path(__file__).resolve().parents[2] / "events" / "cloudtrail"
ACCT = "111122223333"
PS = "arn:aws:sso:::permissionSet/ssoins-1111aaaa2222bbbb/ps-3333cccc4444dddd"


def activity(name: str, **detail_changes) -> dict:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event["detail"].update(detail_changes)
    return normalize(event)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iam_create_user", [RefreshTarget(ACCT, "iam.user", "Bob")]),  # name without the /engineering/ path
        ("iam_attach_user_policy", [
            RefreshTarget(ACCT, "iam.user", "Bob"),
            RefreshTarget(ACCT, "iam.policy", f"arn:aws:iam::{ACCT}:policy/PaymentsReadOnly"),
        ]),
        ("iam_create_access_key", [RefreshTarget(ACCT, "iam.user", "Bob")]),
        ("iam_delete_user", [RefreshTarget(ACCT, "iam.user", "Carol")]),
        ("iam_update_assume_role_policy", [RefreshTarget(ACCT, "iam.role", "DeployRole")]),
        # Only the set's assignments in the assigned account (ACCT), read in the instance's account
        # (the event's): the set's and the user's records do not change with an assignment.
        ("sso_create_account_assignment", [
            RefreshTarget("999988887777", "sso.account_assignment", f"{PS}/{ACCT}"),
        ]),
        # The group's refresh updates its members' `groups` too: no separate user refresh.
        ("identitystore_create_group_membership", [
            RefreshTarget("999988887777", "sso.group", "a1b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"),
        ]),
    ],
)
def test_identity_changing_fixtures(name, expected):
    assert refresh_targets(activity(name)) == expected
    assert refresh_targets(activity(name)["data"]) == expected  # the data part alone works too


@pytest.mark.parametrize(
    "name",
    ["iam_get_user", "iam_list_users", "sts_assume_role", "sts_assume_role_with_saml",
     "sts_assume_role_with_web_identity", "console_login_mfa", "console_login_failed", "console_login_root",
     "iam_create_login_profile_denied"],
)
def test_reads_sign_ins_and_failed_calls_refresh_nothing(name):
    assert refresh_targets(activity(name)) == []


def test_a_failed_write_refreshes_nothing():
    assert refresh_targets(activity("iam_create_user", errorCode="EntityAlreadyExists")) == []


def test_aws_managed_policies_are_not_refreshed():
    record = activity("iam_attach_user_policy", requestParameters={
        "userName": "Bob", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    assert refresh_targets(record) == [RefreshTarget(ACCT, "iam.user", "Bob")]


def test_change_password_refreshes_the_caller():
    record = activity("iam_create_user", eventName="ChangePassword", requestParameters=None, responseElements=None)
    assert record["data"]["targets"] == []
    assert refresh_targets(record) == [RefreshTarget(ACCT, "iam.user", "Alice")]


def test_add_user_to_group_refreshes_both():
    record = activity("iam_create_user", eventName="AddUserToGroup", responseElements=None,
                      requestParameters={"userName": "Bob", "groupName": "Payments"})
    assert refresh_targets(record) == [RefreshTarget(ACCT, "iam.user", "Bob"), RefreshTarget(ACCT, "iam.group", "Payments")]


def test_redacted_names_are_not_targets():
    record = activity("iam_delete_user", requestParameters={"userName": "HIDDEN_DUE_TO_SECURITY_REASONS"})
    assert record["data"]["targets"] == [] and refresh_targets(record) == []


def test_identity_changing_covers_the_issue_list():
    iam = {
        "CreateUser", "DeleteUser", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
        "AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy",
        "AttachGroupPolicy", "DetachGroupPolicy", "PutGroupPolicy", "DeleteGroupPolicy",
        "AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy",
        "CreateRole", "DeleteRole", "UpdateAssumeRolePolicy", "AddUserToGroup", "RemoveUserFromGroup",
        "CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile", "EnableMFADevice",
        "DeactivateMFADevice", "CreatePolicyVersion",
    }
    sso = {
        "CreateAccountAssignment", "DeleteAccountAssignment", "CreatePermissionSet", "UpdatePermissionSet",
        "PutInlinePolicyToPermissionSet", "AttachManagedPolicyToPermissionSet", "ProvisionPermissionSet",
    }
    store = {"CreateUser", "CreateGroup", "CreateGroupMembership"}
    assert {f"iam.amazonaws.com:{n}" for n in iam} <= IDENTITY_CHANGING
    assert {f"sso.amazonaws.com:{n}" for n in sso} <= IDENTITY_CHANGING
    assert {f"identitystore.amazonaws.com:{n}" for n in store} <= IDENTITY_CHANGING
    assert not any(n.endswith((":GetUser", ":ListUsers", ":AssumeRole", ":ConsoleLogin")) for n in IDENTITY_CHANGING)


def test_junk_account_in_an_arn_refreshes_nothing():
    record = activity("iam_attach_user_policy", requestParameters={
        "userName": "HIDDEN_DUE_TO_SECURITY_REASONS", "policyArn": "arn:aws:iam::not-an-account:policy/x"})
    assert record["data"]["targets"] == ["arn:aws:iam::not-an-account:policy/x"]
    assert refresh_targets(record) == []
