"""CloudTrail normalizer: every fixture's fields, the record model and schema, and each Rejected reason."""

import json
from pathlib import Path

import jsonschema
import pytest

from idcensus.model.activity import ActivityRecord
from idcensus.model.schema import all_schemas
from idcensus.stream import MAX_EVENT_BYTES, Rejected, is_management_event, normalize, normalize_raw, ocsf, parse

EVENTS = Path(__file__).resolve().parents[2] / "events" / "cloudtrail"
ACCT = "111122223333"
FIXTURES = sorted(p.stem for p in EVENTS.glob("*.json"))


def load(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def data(name: str) -> dict:
    return normalize(load(name))["data"]


def test_there_is_a_fixture_for_every_documented_shape():
    assert len(FIXTURES) >= 14
    readme = (EVENTS / "README.md").read_text()
    for name in FIXTURES:
        assert f"{name}.json" in readme, f"{name}.json is not listed in events/cloudtrail/README.md"


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_validates_against_model_and_schema(name):
    record = normalize_raw((EVENTS / f"{name}.json").read_bytes())
    ActivityRecord.model_validate(record)
    jsonschema.validate(record, all_schemas()["activity.event"])
    assert json.loads(json.dumps(record)) == record  # JSON-ready: no datetimes, tuples, NaN
    assert record["id"] == record["data"]["event_id"] == load(name)["detail"]["eventID"]
    assert record["received_at"] == load(name)["time"]  # the envelope's time when none is given


def test_create_user():
    record = normalize(load("iam_create_user"), received_at="2026-11-24T10:15:30Z")
    d = record["data"]
    assert record["account_id"] == ACCT and record["event_time"] == "2026-11-24T10:15:02Z"
    assert record["received_at"] == "2026-11-24T10:15:30Z"
    assert (d["event_source"], d["event_name"], d["category"]) == ("iam.amazonaws.com", "CreateUser", "write")
    assert d["targets"] == [f"arn:aws:iam::{ACCT}:user/engineering/Bob"]  # path from responseElements
    assert d["request"] == {"userName": "Bob", "path": "/engineering/"}  # tags are not copied
    assert d["actor"] == {
        "type": "IAMUser", "arn": f"arn:aws:iam::{ACCT}:user/Alice", "principal_id": "AIDACKCEVSQ6C2EXAMPLE",
        "account_id": ACCT, "access_key_id": "AKIAIOSFODNN7EXAMPLE", "user_name": "Alice",
        "identity_provider": None, "session_issuer_arn": None, "invoked_by": None,
        "user_agent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64 command/iam.createuser",
        "source_ip": "203.0.113.10", "mfa_authenticated": None,
        "identity_center_user_id": None, "identity_store_arn": None,
    }
    assert d["region"] == "us-east-1" and d["read_only"] is False and d["management_event"] is True
    assert d["error_code"] is None and d["error_message"] is None
    assert d["ocsf"] == {
        "class_uid": 3001, "class_name": "Account Change", "category_uid": 3, "activity_id": 1,
        "activity_name": "Create", "type_uid": 300101, "severity_id": 1, "status_id": 1,
    }


def test_attach_user_policy_targets_user_and_policy():
    d = data("iam_attach_user_policy")
    assert d["targets"] == [f"arn:aws:iam::{ACCT}:user/Bob", f"arn:aws:iam::{ACCT}:policy/PaymentsReadOnly"]
    assert (d["ocsf"]["class_uid"], d["ocsf"]["activity_id"], d["ocsf"]["type_uid"]) == (3001, 7, 300107)


def test_create_access_key_never_copies_the_secret():
    raw = load("iam_create_access_key")
    raw["detail"]["responseElements"]["accessKey"]["secretAccessKey"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    record = normalize(raw)
    assert "wJalrXUtnFEMI" not in json.dumps(record)
    assert record["data"]["targets"] == [f"arn:aws:iam::{ACCT}:user/Bob"]


def test_delete_user_by_an_assumed_role_with_mfa():
    d = data("iam_delete_user")
    assert d["actor"]["type"] == "AssumedRole"
    assert d["actor"]["session_issuer_arn"] == f"arn:aws:iam::{ACCT}:role/OpsAdmin"
    assert d["actor"]["mfa_authenticated"] is True
    assert d["targets"] == [f"arn:aws:iam::{ACCT}:user/Carol"]
    assert (d["ocsf"]["activity_id"], d["ocsf"]["activity_name"]) == (6, "Delete")


def test_update_assume_role_policy_keeps_the_role_not_the_document():
    d = data("iam_update_assume_role_policy")
    assert d["request"] == {"roleName": "DeployRole"}
    assert d["targets"] == [f"arn:aws:iam::{ACCT}:role/DeployRole"]
    assert (d["ocsf"]["class_uid"], d["ocsf"]["activity_id"]) == (3001, 99)


def test_denied_call_carries_error_and_failure_status():
    d = data("iam_create_login_profile_denied")
    assert d["error_code"] == "AccessDenied" and "not authorized" in d["error_message"]
    assert d["ocsf"]["status_id"] == 2
    assert "password" not in d["request"] and d["request"]["passwordResetRequired"] is True


@pytest.mark.parametrize("name", ["iam_get_user", "iam_list_users"])
def test_reads_are_api_activity_read(name):
    d = data(name)
    assert d["category"] == "read" and d["read_only"] is True
    assert (d["ocsf"]["class_uid"], d["ocsf"]["category_uid"], d["ocsf"]["activity_id"]) == (6003, 6, 2)
    assert d["ocsf"]["type_uid"] == 600302


def test_assume_role():
    d = data("sts_assume_role")
    assert d["category"] == "assume_role"
    assert d["targets"] == [f"arn:aws:iam::{ACCT}:role/OpsAdmin"]
    assert d["request"]["roleSessionName"] == "ops-session" and d["request"]["durationSeconds"] == 3600
    assert (d["ocsf"]["class_uid"], d["ocsf"]["activity_id"], d["ocsf"]["type_uid"]) == (3002, 1, 300201)
    assert "sessionToken" not in json.dumps(d)


def test_assume_role_with_saml_actor_is_the_saml_user():
    d = data("sts_assume_role_with_saml")
    assert d["actor"]["type"] == "SAMLUser" and d["actor"]["arn"] is None
    assert d["actor"]["user_name"] == "alice@example.com"
    assert d["actor"]["identity_provider"] == "bdGOnTesti4+ExamplexL/jEvs="
    assert d["actor"]["account_id"] is None  # SAML users have none; the record's account_id is the recipient
    assert d["targets"] == [f"arn:aws:iam::{ACCT}:role/SAMLTestRoleShibboleth"]
    assert d["request"]["principalArn"] == f"arn:aws:iam::{ACCT}:saml-provider/Shibboleth"
    assert d["category"] == "assume_role" and d["ocsf"]["class_uid"] == 3002


def test_assume_role_with_web_identity():
    d = data("sts_assume_role_with_web_identity")
    assert (d["actor"]["type"], d["actor"]["identity_provider"]) == ("WebIdentityUser", "accounts.google.com")
    assert d["targets"] == [f"arn:aws:iam::{ACCT}:role/FederatedWebIdentityRole"]
    assert d["category"] == "assume_role"


@pytest.mark.parametrize(
    ("name", "mfa", "status", "actor_type"),
    [
        ("console_login_mfa", True, 1, "IAMUser"),
        ("console_login_no_mfa", False, 1, "IAMUser"),
        ("console_login_failed", False, 2, "IAMUser"),
        ("console_login_root", True, 1, "Root"),
    ],
)
def test_console_logins(name, mfa, status, actor_type):
    d = data(name)
    assert d["category"] == "console_sign_in" and d["event_source"] == "signin.amazonaws.com"
    assert d["actor"]["mfa_authenticated"] is mfa
    assert d["actor"]["type"] == actor_type
    assert d["actor"]["access_key_id"] is None  # CloudTrail's "" becomes None
    assert d["ocsf"] | {"status_id": status} == d["ocsf"]
    assert (d["ocsf"]["class_uid"], d["ocsf"]["activity_id"], d["ocsf"]["activity_name"]) == (3002, 1, "Logon")
    assert d["targets"] == []


def test_failed_console_login_keeps_the_message():
    d = data("console_login_failed")
    assert d["error_message"] == "Failed authentication" and d["error_code"] is None
    assert d["actor"]["arn"] is None and d["actor"]["user_name"] == "Bob"


def test_root_console_login():
    d = data("console_login_root")
    assert d["actor"]["arn"] == f"arn:aws:iam::{ACCT}:root" and d["actor"]["principal_id"] == ACCT


def test_identity_center_account_assignment():
    record = normalize(load("sso_create_account_assignment"))
    d = record["data"]
    assert record["account_id"] == "999988887777"  # the management account receives the call
    assert d["request"]["targetId"] == ACCT and d["request"]["principalType"] == "USER"
    assert d["targets"] == [
        "arn:aws:sso:::permissionSet/ssoins-1111aaaa2222bbbb/ps-3333cccc4444dddd",
        "arn:aws:identitystore:::user/906748e1d2-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
    ]
    assert (d["ocsf"]["class_uid"], d["ocsf"]["activity_id"]) == (6003, 1)
    assert d["actor"]["mfa_authenticated"] is False


def test_identity_store_membership_flattens_member_id():
    d = data("identitystore_create_group_membership")
    assert d["request"]["memberId"] == "906748e1d2-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
    assert d["targets"][1] == "arn:aws:identitystore:::group/a1b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"


def test_bare_trail_record_equals_the_envelope_detail():
    envelope = load("iam_create_user")
    from_trail = normalize(envelope["detail"], received_at=envelope["time"])
    assert from_trail == normalize(envelope)


def test_same_input_same_output():
    raw = (EVENTS / "console_login_mfa.json").read_bytes()
    assert normalize_raw(raw) == normalize_raw(raw) == normalize_raw(raw.decode())
    assert normalize(load("iam_create_user"))["received_at"] == load("iam_create_user")["time"]
    assert normalize(load("iam_create_user")["detail"])["received_at"] is None


def test_timestamps_are_normalized_to_utc_z():
    event = load("iam_get_user")
    event["detail"]["eventTime"] = "2026-11-24T12:20:00.250+02:00"
    assert normalize(event)["event_time"] == "2026-11-24T10:20:00.250Z"


def test_management_events():
    assert is_management_event(load("iam_create_user")["detail"])
    assert is_management_event(load("iam_create_user"))  # an envelope works too
    assert not is_management_event({"eventCategory": "Data", "eventName": "GetObject"})
    assert not is_management_event({"managementEvent": False, "eventCategory": "Data"})
    assert is_management_event({"eventType": "AwsApiCall"})  # old records without either field


def test_non_cloudtrail_detail_types_are_still_understood_when_cloudtrail():
    event = load("iam_create_user")
    event["detail-type"] = "AWS Service Event via CloudTrail"
    assert normalize(event)["data"]["event_name"] == "CreateUser"


# --- Rejected, one test per bad-input class -------------------------------------------------------


def reason(raw) -> str:
    with pytest.raises(Rejected) as caught:
        normalize_raw(raw) if isinstance(raw, bytes | str) else normalize(raw)
    return caught.value.reason


def fixture_with(**changes) -> dict:
    event = load("iam_create_user")
    for key, value in changes.items():
        if value is ...:
            del event["detail"][key]
        else:
            event["detail"][key] = value
    return event


def test_rejected_raw_input():
    assert reason(b'{"eventID": "\xff\xfe"}') == "invalid_utf8"
    assert reason("\ud800") == "invalid_utf8"
    assert reason(b'{"eventID": ') == "malformed_json"
    assert reason(b'{"a": NaN}') == "malformed_json"
    assert reason(b"[" * 100_000) == "malformed_json"
    assert reason(b"[1, 2]") == "not_an_object"
    assert reason(b"42") == "not_an_object"
    assert reason(b'"text"') == "not_an_object"
    assert reason(b" " * (MAX_EVENT_BYTES + 1)) == "too_large"


def test_events_just_under_the_limit_pass():
    event = fixture_with(userAgent="x" * (MAX_EVENT_BYTES - 4000))
    raw = json.dumps(event).encode()
    assert len(raw) <= MAX_EVENT_BYTES
    assert normalize_raw(raw)["data"]["actor"]["user_agent"].startswith("xxx")
    assert parse(raw) == event


@pytest.mark.parametrize("field", ["eventID", "eventTime", "eventSource", "eventName"])
def test_rejected_missing_fields(field):
    assert reason(fixture_with(**{field: ...})) == f"missing_field:{field}"
    assert reason(fixture_with(**{field: ""})) == f"missing_field:{field}"
    assert reason(fixture_with(**{field: 12})) == f"bad_field:{field}"


@pytest.mark.parametrize(
    ("field", "value"),
    [("userAgent", 5), ("sourceIPAddress", ["a"]), ("errorCode", {"x": 1}), ("userIdentity", "Alice"),
     ("awsRegion", True), ("recipientAccountId", "1234")],
)
def test_rejected_non_strings_where_strings_are_expected(field, value):
    assert reason(fixture_with(**{field: value})) == f"bad_field:{field}"


def test_rejected_actor_fields_of_the_wrong_type():
    event = load("iam_delete_user")
    event["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"] = ["not", "an", "object"]
    assert reason(event) == "bad_field:sessionIssuer"


def test_rejected_shapes():
    assert reason({"detail-type": "EC2 Instance State-change Notification", "detail": {}}) == (
        "unknown_shape:EC2 Instance State-change Notification"
    )
    assert reason({"detail-type": ["x"], "detail": {}}).startswith("unknown_shape:")
    assert reason({"detail-type": "AWS API Call via CloudTrail", "detail": "x"}) == "not_cloudtrail"
    assert reason({"Records": []}) == "not_cloudtrail"
    assert reason({"hello": "world"}) == "not_cloudtrail"
    assert reason([]) == "not_an_object"


def test_rejected_bad_timestamps():
    for value in ["yesterday", "2026-13-01T00:00:00Z", "2026-11-24T10:15:02", "2026-W48-2T10:00:00Z"]:
        assert reason(fixture_with(eventTime=value)) == "bad_timestamp", value


def test_account_id_falls_back_to_the_envelope_then_the_caller():
    event = fixture_with(recipientAccountId=...)
    assert normalize(event)["account_id"] == ACCT
    bare = fixture_with(recipientAccountId=...)["detail"]
    assert normalize(bare)["account_id"] == ACCT  # userIdentity.accountId
    bare["userIdentity"] = {}
    with pytest.raises(Rejected, match="missing_field:recipientAccountId"):
        normalize(bare)


# --- OCSF mapping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_name", "expected"),
    [
        ("ConsoleLogin", (3002, 1)), ("CheckMfa", (3002, 99)), ("AssumeRoleWithSAML", (3002, 1)),
        ("CreateUser", (3001, 1)), ("EnableMFADevice", (3001, 10)), ("DeactivateMFADevice", (3001, 11)),
        ("ChangePassword", (3001, 3)), ("AddUserToGroup", (3001, 7)), ("RemoveUserFromGroup", (3001, 8)),
        ("DeleteRole", (3001, 6)), ("DeleteAccountAlias", (3001, 99)), ("PutRolePermissionsBoundary", (3001, 7)),
        ("ListRoles", (6003, 2)), ("DescribeInstances", (6003, 2)), ("RunInstances", (6003, 1)),
        ("AttachManagedPolicyToPermissionSet", (6003, 3)), ("DeletePermissionSet", (6003, 4)),
        ("ProvisionPermissionSet", (6003, 99)), ("Addendum", (6003, 99)), ("UnknownThing", (6003, 99)),
    ],
)
def test_ocsf_classification(event_name, expected):
    class_uid, category_uid, activity_id, class_name, activity_name = ocsf.classify(event_name)
    assert (class_uid, activity_id) == expected
    assert category_uid == class_uid // 1000
    assert activity_name == ocsf.ACTIVITY_NAMES[class_uid][activity_id] and class_name == ocsf.CLASS_NAMES[class_uid]


def test_mapping_table_is_markdown_for_the_readme():
    table = ocsf.mapping_table()
    assert table.startswith("| CloudTrail event | OCSF class (class_uid)")
    for needle in ("Authentication (3002)", "Account Change (3001)", "API Activity (6003)", "OCSF 1.8.0"):
        assert needle in table
