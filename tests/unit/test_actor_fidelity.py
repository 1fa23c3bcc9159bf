"""Actors and targets as real CloudTrail records have them (shapes from the shared corpus): an Identity
Center user, CloudTrail's redaction marker, the root user's own MFA calls."""

from __future__ import annotations

from idcensus.census import with_stream_activity
from idcensus.stream.effects import subjects
from idcensus.stream.normalize import normalize
from idcensus.stream.targets import refresh_targets

ACCOUNT = "111122223333"
USER_ID = "94482488-3041-7026-18f3-be45837cd0e4"


def record(**kw):
    base = {"eventVersion": "1.09", "eventTime": "2026-11-20T10:00:00Z", "awsRegion": "us-east-1",
            "eventID": "e-1", "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    return {**base, **kw}


def identity_center_sign_in():
    return record(
        userIdentity={"type": "IdentityCenterUser", "arn": "", "accountId": ACCOUNT, "accessKeyId": "",
                      "onBehalfOf": {"userId": USER_ID,
                                     "identityStoreArn": f"arn:aws:identitystore::{ACCOUNT}:identitystore/d-1234567890"},
                      "credentialId": "c-1"},
        eventSource="signin.amazonaws.com", eventName="UserAuthentication", eventType="AwsServiceEvent",
        additionalEventData={"UserName": "jane@example.com", "CredentialType": "EXTERNAL_IDP"},
        serviceEventDetails={"UserAuthentication": "Success"}, readOnly=False)


def test_an_identity_center_user_is_the_actor_and_its_last_activity_moves():
    activity = normalize({"version": "0", "id": "x", "detail-type": "AWS Service Event via CloudTrail",
                          "source": "aws.signin", "account": ACCOUNT, "time": "2026-11-20T10:00:01Z",
                          "region": "us-east-1", "resources": [], "detail": identity_center_sign_in()})
    actor = activity["data"]["actor"]
    arn = f"arn:aws:identitystore:::user/{USER_ID}"  # the id the census gives the sso.user record
    assert (actor["identity_center_user_id"], actor["user_name"], actor["arn"]) == (USER_ID, "jane@example.com", arn)
    assert actor["identity_store_arn"].endswith("identitystore/d-1234567890")
    assert subjects(activity) == [(ACCOUNT, f"activity#{arn}")]
    user = {"type": "sso.user", "id": arn, "data": {"arn": arn, "user_id": USER_ID, "last_activity_at": None}}
    (seen,) = with_stream_activity([user], {arn: "2026-11-20T10:00:00Z"})
    assert seen["data"]["last_activity_at"] == "2026-11-20T10:00:00Z"


def test_the_redaction_marker_is_never_a_user_name():
    failed = normalize(record(
        userIdentity={"type": "IAMUser", "accountId": ACCOUNT, "accessKeyId": "",
                      "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"},
        eventSource="signin.amazonaws.com", eventName="ConsoleLogin", eventType="AwsConsoleSignIn",
        errorMessage="No username found in supplied account", responseElements={"ConsoleLogin": "Failure"}))
    assert failed["data"]["actor"]["user_name"] is None


def test_the_root_users_own_mfa_device_targets_the_root_not_a_user():
    activity = normalize(record(
        userIdentity={"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT},
        eventSource="iam.amazonaws.com", eventName="EnableMFADevice", eventType="AwsApiCall",
        requestParameters={"userName": "AWS ROOT USER", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"}))
    assert activity["data"]["targets"] == [f"arn:aws:iam::{ACCOUNT}:root"]
    assert refresh_targets(activity) == []  # root's MFA flag comes from the credential report, at the next census
