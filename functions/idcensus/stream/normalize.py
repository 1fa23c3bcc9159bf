"""CloudTrail record (bare, or in an EventBridge envelope) -> `activity.event` record. Pure, no boto3.

The activity record (validated by idcensus.model.activity.ActivityRecord; built here as plain dicts
because this is the hot path):

    {"schema_version": "1.1.0", "type": "activity.event",
     "id": eventID (the dedupe key), "account_id": recipientAccountId,
     "event_time": "YYYY-MM-DDTHH:MM:SS[.fff]Z", "received_at": RFC3339 or None,
     "data": {
        "event_id", "event_time", "event_source", "event_name",
        "category": "read" | "write" | "authentication" | "console_sign_in" | "assume_role",
        "actor": {type, arn, principal_id, account_id, access_key_id, user_name, identity_center_user_id,
                  identity_store_arn, identity_provider,
                  session_issuer_arn, invoked_by, user_agent, source_ip, mfa_authenticated},
        "targets": [ARNs of the principals / policies / groups / permission sets acted on],
        "account_id", "region", "error_code", "error_message",
        "request": {allow-listed scalar request parameters; never secrets},
        "read_only", "management_event",
        "ocsf": {class_uid, class_name, category_uid, activity_id, activity_name, type_uid,
                 severity_id, status_id}}}

Optional values are None, never "". received_at is the argument, else the envelope's `time`, else None,
so the same input always gives the same output. Anything that cannot become a record raises Rejected.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from idcensus.arns import identity_store_arn, partition
from idcensus.model.records import SCHEMA_VERSION
from idcensus.stream import ocsf
from idcensus.stream.targets import build_targets

MAX_EVENT_BYTES = 256 * 1024
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"  # CloudTrail's redaction marker, never a real name
DETAIL_TYPES = frozenset({
    "AWS API Call via CloudTrail",
    "AWS Console Sign In via CloudTrail",
    "AWS Console Action via CloudTrail",
    "AWS Service Event via CloudTrail",
})
ASSUME_ROLE = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot"})
AUTHENTICATION = frozenset({
    "GetSessionToken", "GetFederationToken", "CheckMfa", "CredentialChallenge", "CredentialVerification",
    "UserAuthentication", "ExternalIdPDirectoryLogin", "Authenticate", "Federate", "GetRoleCredentials",
})
READ_VERBS = ("Get", "List", "Describe", "Search", "Lookup")
# Request parameters worth keeping: names and ids of what was acted on. Passwords, policy documents
# and tags are never copied (documents can hold secrets; the re-collection reads them properly).
REQUEST_KEYS = frozenset({
    "userName", "newUserName", "roleName", "groupName", "policyArn", "policyName", "versionId",
    "accessKeyId", "status", "path", "newPath", "roleArn", "roleSessionName", "durationSeconds",
    "principalArn", "serialNumber", "permissionsBoundary", "instanceProfileName", "awsServiceName",
    "instanceArn", "permissionSetArn", "principalId", "principalType", "targetId", "targetType",
    "identityStoreId", "userId", "groupId", "memberId", "name", "managedPolicyArn", "passwordResetRequired",
})
_TIME_Z = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})")
_MAX_ID = 256


class Rejected(Exception):
    """The input cannot become an activity record; `reason` is a short machine code, `detail` says why."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN / Infinity would make the output invalid JSON


_DECODER = json.JSONDecoder(parse_constant=_no_constants)


def parse(raw: bytes | str) -> dict[str, Any]:
    """Size check, UTF-8 decode, JSON decode; the result is a JSON object or Rejected is raised."""
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError as e:  # lone surrogates
            raise Rejected("invalid_utf8", str(e)) from None
    elif not isinstance(raw, bytes | bytearray | memoryview):
        raise Rejected("not_an_object", type(raw).__name__)
    if len(raw) > MAX_EVENT_BYTES:
        raise Rejected("too_large", f"{len(raw)} bytes > {MAX_EVENT_BYTES}")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as e:
        raise Rejected("invalid_utf8", str(e)) from None
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as e:
        raise Rejected("malformed_json", str(e)[:200]) from None
    if not isinstance(value, dict):
        raise Rejected("not_an_object", type(value).__name__)
    return value


def normalize_raw(raw: bytes | str, *, received_at: str | None = None) -> dict[str, Any]:
    return normalize(parse(raw), received_at=received_at)


def normalize(event: dict[str, Any], *, received_at: str | None = None) -> dict[str, Any]:
    """An EventBridge envelope or a bare CloudTrail record -> activity record; raises only Rejected."""
    try:
        return _normalize(event, received_at)
    except Rejected:
        raise
    except Exception as e:  # the contract is "record or Rejected"; the fuzz tests assert this never fires
        raise Rejected("internal_error", f"{type(e).__name__}: {e}"[:200]) from e


def is_management_event(record: dict[str, Any]) -> bool:
    """True for management events (what idcensus keeps); False for data, network and Insights events."""
    if isinstance(record.get("detail"), dict) and "detail-type" in record:
        record = record["detail"]
    flag = record.get("managementEvent")
    if isinstance(flag, bool):
        return flag
    category = record.get("eventCategory")
    if category is not None:
        return category == "Management"
    return record.get("eventType") != "AwsCloudTrailInsight"  # records older than eventVersion 1.06


def _normalize(event: Any, received_at: str | None) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise Rejected("not_an_object", type(event).__name__)
    envelope: dict[str, Any] | None = None
    if "detail-type" in event:
        kind = event["detail-type"]
        if type(kind) is not str or kind not in DETAIL_TYPES:
            raise Rejected(f"unknown_shape:{str(kind)[:80]}", "not a CloudTrail detail-type")
        envelope, record = event, event.get("detail")
        if not isinstance(record, dict):
            raise Rejected("not_cloudtrail", "detail is not an object")
    else:
        record = event
        if "eventID" not in record and "eventSource" not in record and "eventVersion" not in record:
            hint = "a log file: normalize each of its Records" if "Records" in record else "no CloudTrail fields"
            raise Rejected("not_cloudtrail", hint)

    event_id = _required(record, "eventID")
    if len(event_id) > _MAX_ID:
        raise Rejected("bad_field:eventID", "longer than 256 characters")
    event_time = timestamp(_required(record, "eventTime"))
    source = _required(record, "eventSource")
    name = _required(record, "eventName")
    account_id = _account(record, envelope)
    region = _opt(record, "awsRegion") or (envelope and _opt(envelope, "region")) or None
    if received_at is None and envelope is not None:
        received_at = _envelope_time(envelope)

    identity = _obj(record, "userIdentity")
    error_code = _opt(record, "errorCode")
    read_only = record.get("readOnly")
    if not isinstance(read_only, bool):
        read_only = {"true": True, "false": False}.get(read_only) if isinstance(read_only, str) else None
    response = record.get("responseElements")
    console_login = response.get("ConsoleLogin") if isinstance(response, dict) else None

    class_uid, category_uid, activity_id, class_name, activity_name = ocsf.classify(name)
    data = {
        "event_id": event_id,
        "event_time": event_time,
        "event_source": source,
        "event_name": name,
        "category": _category(source, name, read_only),
        "actor": _actor(record, identity, name, region),
        "targets": build_targets(source, name, account_id, region, record.get("requestParameters"), response),
        "account_id": account_id,
        "region": region,
        "error_code": error_code,
        "error_message": _opt(record, "errorMessage"),
        "request": _request(record.get("requestParameters")),
        "read_only": read_only,
        "management_event": is_management_event(record),
        "ocsf": {
            "class_uid": class_uid,
            "class_name": class_name,
            "category_uid": category_uid,
            "activity_id": activity_id,
            "activity_name": activity_name,
            "type_uid": class_uid * 100 + activity_id,
            "severity_id": ocsf.SEVERITY_INFORMATIONAL,
            "status_id": ocsf.status_id(name, error_code, console_login),
        },
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "activity.event",
        "id": event_id,
        "account_id": account_id,
        "event_time": event_time,
        "received_at": received_at,
        "data": data,
    }


def timestamp(value: str) -> str:
    """RFC3339 in UTC with a Z; CloudTrail's own 'YYYY-MM-DDTHH:MM:SSZ' passes through unchanged."""
    try:
        if _TIME_Z.fullmatch(value):
            datetime.fromisoformat(value[:19])  # range check: month 13 or second 61 fail here
            return value
        if not _RFC3339.fullmatch(value):  # ISO week dates, dates without times, no zone: not RFC3339
            raise Rejected("bad_timestamp", repr(value[:40]))
        moment = datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):
        raise Rejected("bad_timestamp", repr(value[:40])) from None
    millis = f".{moment.microsecond // 1000:03d}" if moment.microsecond else ""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}{millis}Z"
    )


def _required(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if type(value) is not str:
        raise Rejected(f"missing_field:{key}" if value is None else f"bad_field:{key}", type(value).__name__)
    if not value:
        raise Rejected(f"missing_field:{key}", "empty")
    return value


def _opt(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise Rejected(f"bad_field:{key}", type(value).__name__)
    return value


def _obj(record: dict[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    if value is None:
        return {}
    if type(value) is not dict:
        raise Rejected(f"bad_field:{key}", type(value).__name__)
    return value


def _is_account(value: object) -> bool:
    return type(value) is str and len(value) == 12 and value.isascii() and value.isdigit()


def _account(record: dict[str, Any], envelope: dict[str, Any] | None) -> str:
    value = record.get("recipientAccountId")
    if value is None:
        value = envelope.get("account") if envelope is not None else None
    if value is None:
        identity = record.get("userIdentity")
        value = identity.get("accountId") if isinstance(identity, dict) else None
    if value is None:
        raise Rejected("missing_field:recipientAccountId")
    if not _is_account(value):
        raise Rejected("bad_field:recipientAccountId", "not a 12-digit account id")
    return value


def _envelope_time(envelope: dict[str, Any]) -> str | None:
    value = envelope.get("time")
    if type(value) is not str:
        return None
    try:
        return timestamp(value)
    except Rejected:
        return None  # a bad envelope time loses nothing: event_time is the record's own


def _category(source: str, name: str, read_only: bool | None) -> str:
    if name == "ConsoleLogin":
        return "console_sign_in"
    if name in ASSUME_ROLE:
        return "assume_role"
    if name in AUTHENTICATION or source == "signin.amazonaws.com":
        return "authentication"
    if read_only is None:
        read_only = name.startswith(READ_VERBS)
    return "read" if read_only else "write"


def _actor(record: dict[str, Any], identity: dict[str, Any], name: str, region: str | None) -> dict[str, Any]:
    session = _obj(identity, "sessionContext")
    issuer = _obj(session, "sessionIssuer")
    mfa: bool | None
    if name == "ConsoleLogin":
        used = _obj(record, "additionalEventData").get("MFAUsed")
        mfa = {"Yes": True, "No": False}.get(used) if type(used) is str else None
    else:
        flag = _obj(session, "attributes").get("mfaAuthenticated")
        mfa = {"true": True, "false": False}.get(flag) if type(flag) is str else flag if type(flag) is bool else None
    account_id = identity.get("accountId")
    kind, arn, user_name = _opt(identity, "type"), _opt(identity, "arn"), _name(_opt(identity, "userName"))
    center_user = store = None
    if kind == "IdentityCenterUser":
        # No IAM ARN: the Identity Center user is named by onBehalfOf (its ID, its identity store) and,
        # for sign-ins, additionalEventData.UserName. Its ARN is the one the census gives sso.user records.
        behalf = _obj(identity, "onBehalfOf")
        center_user, store = _name(_opt(behalf, "userId")), _opt(behalf, "identityStoreArn")
        user_name = user_name or _name(_opt(_obj(record, "additionalEventData"), "UserName"))
        if center_user and not arn and "/" not in center_user and ":" not in center_user:
            arn = identity_store_arn("user", center_user, partition(region))
    return {
        "type": kind,
        "arn": arn,
        "principal_id": _opt(identity, "principalId"),
        "account_id": account_id if _is_account(account_id) else None,
        "access_key_id": _opt(identity, "accessKeyId"),
        "user_name": user_name,
        "identity_center_user_id": center_user,
        "identity_store_arn": store,
        "identity_provider": _opt(identity, "identityProvider"),
        "session_issuer_arn": _opt(issuer, "arn"),
        "invoked_by": _opt(identity, "invokedBy"),
        "user_agent": _opt(record, "userAgent"),
        "source_ip": _opt(record, "sourceIPAddress"),
        "mfa_authenticated": mfa,
    }


def _name(value: str | None) -> str | None:
    """A name CloudTrail gave, or None for its redaction marker (a failed sign-in's unknown user)."""
    return None if value == HIDDEN else value


def _request(params: object) -> dict[str, str | int | bool]:
    if type(params) is not dict:
        return {}
    kept: dict[str, str | int | bool] = {}
    for key, value in params.items():
        if key not in REQUEST_KEYS:
            continue
        if key == "memberId" and type(value) is dict:  # identitystore: {"userId": "..."}
            value = value.get("userId") or value.get("UserId")
        if (type(value) is str and value) or type(value) in (int, bool):
            kept[key] = value
    return kept
