"""Quarantined input keeps what diagnoses it and never a secret."""

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from idcensus.stream.quarantine import REDACTED, Quarantine, quarantine_body

EVENTS = Path(__file__).resolve().parents[2] / "events" / "cloudtrail"


def test_assume_role_credentials_are_redacted_and_the_rest_kept():
    event = json.loads((EVENTS / "sts_assume_role.json").read_text())
    event["detail"]["responseElements"] = {"credentials": {
        "accessKeyId": "ASIAEXAMPLE", "sessionToken": "IQoJb3JpZ2luX2VjE-secret", "secretAccessKey": "wJalr-secret",
        "expiration": "Nov 25, 2026, 10:30:00 AM"}, "assumedRoleUser": {"arn": "arn:aws:sts::111122223333:x"}}
    raw = json.dumps(event)
    body = quarantine_body(raw, "missing_field:detail.x", "test", "2026-11-25T09:30:00Z", "sqs")
    assert "secret" not in body["raw"]
    kept = json.loads(body["raw"])
    assert kept["detail"]["responseElements"]["credentials"] == REDACTED
    assert kept["detail"]["responseElements"]["assumedRoleUser"]["arn"].endswith(":x")
    assert kept["detail"]["eventName"] == event["detail"]["eventName"]
    assert body["raw_sha256"] and body["reason"] == "missing_field:detail.x"


def test_passwords_in_request_parameters_and_broken_json_are_redacted():
    raw = ('{"detail": {"eventName": "CreateLoginProfile", "requestParameters": '
           '{"userName": "bob", "password": "hunter2hunter2", "passwordResetRequired": true}}')  # truncated
    body = quarantine_body(raw, "malformed_json", "", "2026-11-25T09:30:00Z", "sqs")
    assert "hunter2" not in body["raw"] and '"userName": "bob"' in body["raw"]


def test_input_without_secrets_is_kept_byte_for_byte():
    raw = '{"detail-type": "AWS API Call via CloudTrail",  "detail": {"eventName": 1}}'
    assert quarantine_body(raw, "bad", "", "2026-11-25T09:30:00Z", "sqs")["raw"] == raw


def test_quarantine_lies_outside_the_export_prefix():
    key = Quarantine(None, "bucket").key(b"x", "2026-11-25T09:30:00Z")
    assert key.startswith("idcensus-quarantine/date=2026-11-25/") and not key.startswith("idcensus/v1/")


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["password", "SessionToken", "secret_access_key", "name", "detail"]),
                        inner, max_size=4), max_leaves=20))
def test_no_secret_key_keeps_a_value(value):
    raw = json.dumps({"detail": value})
    kept = json.loads(quarantine_body(raw, "r", "", "2026-11-25T09:30:00Z", "sqs")["raw"])

    def walk(v):
        if isinstance(v, dict):
            for k, inner in v.items():
                if k.replace("_", "").lower() in {"password", "sessiontoken", "secretaccesskey"}:
                    assert inner in (REDACTED, None)
                else:
                    walk(inner)
        elif isinstance(v, list):
            for inner in v:
                walk(inner)

    walk(kept)
