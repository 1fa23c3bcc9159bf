"""Activity in the demo: CloudTrail-shaped events (as EventBridge delivers them) replayed through the
live path, showing last use and a targeted refresh. The event builders are shared with the tests
and the benchmark: moto writes no CloudTrail, so these stand for what AWS would deliver."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

DETAIL_TYPE = "AWS API Call via CloudTrail"
DEMO_POLICY = "arn:aws:iam::aws:policy/SecurityAudit"  # what the demo attaches to carol


def user_identity(account_id: str, user: str, key: str | None = None, mfa: bool = False) -> dict[str, Any]:
    ident = {"type": "IAMUser", "principalId": "AIDA" + hashlib.sha256(user.encode()).hexdigest()[:17].upper(),
             "arn": f"arn:aws:iam::{account_id}:user/{user}", "accountId": account_id, "userName": user}
    if key:
        ident["accessKeyId"] = key
    if mfa:
        ident["sessionContext"] = {"attributes": {"mfaAuthenticated": "true", "creationDate": "2026-11-25T09:00:00Z"}}
    return ident


def role_session(account_id: str, role: str, session: str = "session") -> dict[str, Any]:
    role_arn = f"arn:aws:iam::{account_id}:role/{role}"
    return {"type": "AssumedRole", "principalId": f"AROAEXAMPLE{role.upper()[:8]}:{session}",
            "arn": f"arn:aws:sts::{account_id}:assumed-role/{role}/{session}", "accountId": account_id,
            "accessKeyId": "ASIAEXAMPLE000000001",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": f"AROAEXAMPLE{role.upper()[:8]}",
                                                 "arn": role_arn, "accountId": account_id, "userName": role},
                               "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-11-25T09:00:00Z"}}}


def cloudtrail(account_id: str, identity: dict[str, Any], event_name: str, *, source: str = "iam.amazonaws.com",
               when: datetime | None = None, request: dict[str, Any] | None = None, read_only: bool = False,
               event_id: str | None = None, region: str = "us-east-1", error: str | None = None) -> dict[str, Any]:
    """One CloudTrail management event record, as in a log file or an EventBridge event's detail."""
    when = when or datetime.now(UTC)
    record = {
        "eventVersion": "1.09", "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": source, "eventName": event_name,
        "awsRegion": region, "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.22.0 Python/3.12",
        "requestParameters": request, "responseElements": None, "requestID": str(uuid.uuid4()),
        "eventID": event_id or str(uuid.uuid4()), "readOnly": read_only, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": account_id, "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{source.split('.')[0]}.amazonaws.com"},
    }
    if error:
        record["errorCode"], record["errorMessage"] = error, f"User is not authorized ({error})"
    return record


def console_login(account_id: str, user: str, *, mfa: bool, when: datetime | None = None,
                  failed: bool = False) -> dict[str, Any]:
    record = cloudtrail(account_id, user_identity(account_id, user), "ConsoleLogin", source="signin.amazonaws.com",
                        when=when)
    record.update(eventType="AwsConsoleSignIn", readOnly=False, requestParameters=None,
                  responseElements={"ConsoleLogin": "Failure" if failed else "Success"},
                  additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home",
                                       "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"})
    if failed:
        record["errorMessage"] = "Failed authentication"
    return record


def eventbridge(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event that carries a CloudTrail record (what the SQS body holds)."""
    sign_in = record["eventSource"] == "signin.amazonaws.com"
    return {"version": "0", "id": str(uuid.uuid4()),
            "detail-type": "AWS Console Sign In via CloudTrail" if sign_in else DETAIL_TYPE,
            "source": "aws." + record["eventSource"].split(".")[0], "account": record["recipientAccountId"],
            "time": record["eventTime"], "region": record["awsRegion"], "resources": [], "detail": record}


def sqs_event(bodies: list[str], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:idcensus-activity"):
    """A Lambda SQS event around raw bodies (the handler's input)."""
    return {"Records": [
        {"messageId": str(uuid.uuid4()), "receiptHandle": f"handle-{n}", "body": body,
         "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764061200000"}, "messageAttributes": {},
         "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1"}
        for n, body in enumerate(bodies)]}


def demo_activity(console, org, table: str, bucket: str, prefix: str, hooks=()) -> None:
    """Replays events into the demo's state: last use of a user, a role and a key, and a targeted
    refresh of a user whose policy was attached in the member account (no GAAD, only its calls)."""
    from rich.table import Table

    from idcensus.aws import ClientFactory
    from idcensus.settings import Settings
    from idcensus.stream.effects import last_activity
    from idcensus.stream.service import ActivityService
    from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, member_session

    prod = org.accounts["prod"]
    iam = member_session(prod, org.management_id).client("iam")
    key = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["AccessKeyId"]
    policy_arn = DEMO_POLICY
    iam.attach_user_policy(UserName="carol", PolicyArn=policy_arn)  # the change the refresh must notice
    now = datetime.now(UTC).replace(microsecond=0)
    alice = user_identity(prod, "alice", key=key, mfa=True)
    login = console_login(prod, "alice", mfa=True, when=now - timedelta(minutes=5))
    attach = cloudtrail(prod, alice, "AttachUserPolicy", when=now - timedelta(minutes=1),
                        request={"userName": "carol", "policyArn": policy_arn})
    older = cloudtrail(prod, alice, "ListUsers", when=now - timedelta(days=3), read_only=True)
    assume = cloudtrail(prod, role_session(prod, "org-auditor"), "GetCallerIdentity", source="sts.amazonaws.com",
                        when=now - timedelta(minutes=2), read_only=True)
    bodies = [json.dumps(eventbridge(r)) for r in (login, attach, older, assume)]
    bodies += [bodies[1], '{"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": ']  # dup, broken

    settings = Settings(table_name=table, bucket_name=bucket, export_prefix=prefix, role_name=READ_ROLE,
                        external_id=EXTERNAL_ID)
    service = ActivityService(settings, ClientFactory.from_environment(hooks=list(hooks)))
    before = service.state.get(prod, "iam.user", f"arn:aws:iam::{prod}:user/carol")
    calls_before = dict(service.factory.counter.calls)
    result = service.process(bodies)
    after = service.state.get(prod, "iam.user", f"arn:aws:iam::{prod}:user/carol")

    console.print(f"replayed {len(bodies)} events: " + ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items())))
    table_view = Table(title="last activity (monotonic: the 3-day-old ListUsers did not move alice back)")
    table_view.add_column("principal or key")
    table_view.add_column("last_activity_at")
    for who in (f"arn:aws:iam::{prod}:user/alice", f"arn:aws:iam::{prod}:role/org-auditor", key):
        table_view.add_row(who, last_activity(service.state.table, prod, who) or "-")
    console.print(table_view)
    iam_calls = {k: v - calls_before.get(k, 0) for k, v in service.factory.counter.calls.items()
                 if k.startswith("iam.") and v - calls_before.get(k, 0)}
    console.print(f"targeted refresh of carol: attached_policies {(before or {}).get('data', {}).get('attached_policies')}"
                  f" -> {(after or {}).get('data', {}).get('attached_policies')}")
    console.print(f"  with {sum(iam_calls.values())} IAM calls ({', '.join(sorted(iam_calls))}); published as "
                  f"refresh run {result.refresh_manifest_key} (on the chain after the census: its change, once)")
    console.print(f"  activity records in {result.manifest_key}")
