"""The member activity rules forward everything the census uses and leave AWS services' own role
sessions in the account. Every fixture of events/cloudtrail/ and every real CloudTrail record of the
shared corpus (../shared/corpus/cloudtrail/, read in place), plus AWS-service sessions of the usual
shapes, go through the rule patterns of stacksets/member.yaml with moto's EventPattern matcher and
EventBridge's rule-state rule (read-only management events reach only rules in state
ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, which moto does not model)."""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from idcensus.stream.effects import subjects
from idcensus.stream.normalize import Rejected, normalize
from idcensus.stream.targets import refresh_targets
from tests.corpus import CLOUDTRAIL
from tests.templates.cfn import MEMBER, ROOT, load, resources_of_type

FIXTURES = ROOT / "events" / "cloudtrail"
CORPUS = CLOUDTRAIL / "events.jsonl"
ALL_MANAGEMENT = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
API_CALL = "AWS API Call via CloudTrail"
SIGN_IN = "AWS Console Sign In via CloudTrail"
DETAIL_TYPES = {"awsapicall": API_CALL, "awsconsolesignin": SIGN_IN,
                "awsserviceevent": "AWS Service Event via CloudTrail",
                "awsconsoleaction": "AWS Console Action via CloudTrail"}
# The member rules as shipped before source filtering: what "nothing else is dropped" compares with.
BEFORE = {
    "ActivityRule": ("ENABLED", {
        "source": ["aws.iam", "aws.sts", "aws.sso", "aws.identitystore", "aws.organizations", "aws.signin"],
        "detail-type": [API_CALL, SIGN_IN]}),
    "SessionRule": (ALL_MANAGEMENT, {
        "source": ["aws.sts"], "detail-type": [API_CALL], "detail": {"eventName": [{"prefix": "Assume"}]}}),
}


def rules_of(template: dict) -> dict[str, tuple[str, dict]]:
    return {name: (r["Properties"]["State"], r["Properties"]["EventPattern"])
            for name, r in resources_of_type(template, "AWS::Events::Rule").items()}


def read_only(detail: dict) -> bool:
    """EventBridge's classification: CloudTrail's readOnly, else (cut-down sample records) by name;
    AssumeRole* are read-only, GetSessionToken and GetFederationToken are not (EventBridge user guide)."""
    flag = detail.get("readOnly")
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, str):
        return flag.lower() == "true"
    name = str(detail.get("eventName", ""))
    return name.startswith(("Assume", "Get", "List", "Describe")) and name not in ("GetSessionToken",
                                                                                   "GetFederationToken")


def forwarded(rules: dict[str, tuple[str, dict]], envelope: dict) -> list[str]:
    """The rules EventBridge hands this event to."""
    reads = read_only(envelope["detail"])
    return [name for name, (state, pattern) in rules.items()
            if (state == ALL_MANAGEMENT or not reads)
            and EventPattern.load(json.dumps(pattern)).matches_event(envelope)]


def envelope_of(record: dict) -> dict:
    """The default-bus event CloudTrail makes of a record (source aws.<service>, detail-type by eventType)."""
    source = str(record.get("eventSource") or "")
    kind = DETAIL_TYPES.get(str(record.get("eventType") or "").lower())
    if kind is None:
        kind = SIGN_IN if source == "signin.amazonaws.com" else API_CALL
    return {"version": "0", "id": "e", "detail-type": kind, "source": "aws." + source.split(".")[0],
            "account": record.get("recipientAccountId") or "111122223333", "time": record.get("eventTime"),
            "region": record.get("awsRegion") or "us-east-1", "resources": [], "detail": record}


def service_session(service: str, name: str = "AssumeRole", n: int = 0) -> dict:
    """An AWS service assuming a role for itself (Lambda execution role, instance profile, task role...)."""
    return envelope_of({
        "eventVersion": "1.08", "userIdentity": {"type": "AWSService", "invokedBy": service},
        "eventTime": "2026-11-24T09:00:00Z", "eventSource": "sts.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": service, "userAgent": service,
        "requestParameters": {"roleArn": "arn:aws:iam::111122223333:role/app", "roleSessionName": f"s{n}"},
        "eventID": f"00000000-0000-4000-8000-{n:012d}", "readOnly": True, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": "111122223333", "eventCategory": "Management",
        "sharedEventID": f"10000000-0000-4000-8000-{n:012d}"})


SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "eks.amazonaws.com",
            "config.amazonaws.com", "cloudformation.amazonaws.com", "ssm.amazonaws.com", "backup.amazonaws.com"]


def inputs() -> list[tuple[str, dict]]:
    found = [(path.name, json.loads(path.read_text())) for path in sorted(FIXTURES.glob("*.json"))]
    if CORPUS.exists():
        for n, line in enumerate(CORPUS.read_text().splitlines()):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("eventSource"):
                found.append((f"corpus:{n + 1}", envelope_of(record)))
    found += [(f"service:{s}", service_session(s, n=n)) for n, s in enumerate(SERVICES)]
    return found


def census_use(envelope: dict) -> list[str]:
    """What the census does with the event: last activity it moves, refreshes it asks for, sign-ins."""
    try:
        activity = normalize(envelope)
    except Rejected:
        return []
    use = [f"last_activity:{sk}" for _, sk in subjects(activity)]
    use += [f"refresh:{t.kind}:{t.name}" for t in refresh_targets(activity)]
    if activity["data"]["category"] == "console_sign_in":
        use.append("console_sign_in")
    return use


def is_service_session(envelope: dict) -> bool:
    detail = envelope["detail"]
    identity = detail.get("userIdentity") if isinstance(detail.get("userIdentity"), dict) else {}
    return str(detail.get("eventName", "")).startswith("Assume") and identity.get("type") == "AWSService"


@pytest.fixture(scope="module")
def rules():
    return rules_of(load(MEMBER))


def test_every_event_the_census_uses_is_still_forwarded(rules):
    used = 0
    for name, envelope in inputs():
        if census_use(envelope) and forwarded(BEFORE, envelope):
            used += 1
            assert forwarded(rules, envelope), f"{name}: {census_use(envelope)} would be lost"
    # Sign-ins, IAM and Identity Center writes, human role sessions: 12 in events/cloudtrail, 48 with the
    # shared corpus (read in place; a checkout without ../shared has only the fixtures).
    assert used >= (40 if CORPUS.exists() else 10)


def test_only_aws_service_sessions_are_left_in_the_account(rules):
    dropped = []
    for name, envelope in inputs():
        before, after = forwarded(BEFORE, envelope), forwarded(rules, envelope)
        # The filter forwards nothing new but the service events of the identity sources (Identity Center sign-ins).
        assert set(after) <= set(before) or envelope["detail-type"] == DETAIL_TYPES["awsserviceevent"], name
        if before and not after:
            dropped.append(name)
            assert is_service_session(envelope), f"{name} is no AWS-service session and was dropped"
    # The corpus's two real ones (EC2 instance profile, Lambda execution role) and every synthetic service.
    assert len(dropped) == len(SERVICES) + (2 if CORPUS.exists() else 0)


def test_aws_service_sessions_move_nothing_the_census_keeps(rules):
    sessions = [(name, e) for name, e in inputs() if is_service_session(e)]
    assert len(sessions) >= len(SERVICES)
    for name, envelope in sessions:
        assert census_use(envelope) == [], name
        assert forwarded(rules, envelope) == [], name
    for variant in ("AssumeRoleWithWebIdentity", "AssumeRoot"):
        assert forwarded(rules, service_session("lambda.amazonaws.com", variant)) == []


def test_sessions_of_principals_are_kept_even_through_a_service(rules):
    """A role session acting through a service (invokedBy) is that role's activity: forwarded."""
    fixture = json.loads((FIXTURES / "sts_assume_role.json").read_text())
    through = json.loads(json.dumps(fixture))
    through["detail"]["userIdentity"]["invokedBy"] = "cloudformation.amazonaws.com"
    through["detail"]["sourceIPAddress"] = "cloudformation.amazonaws.com"
    untyped = json.loads(json.dumps(fixture))
    del untyped["detail"]["userIdentity"]["type"]
    for envelope in (fixture, through, untyped):
        assert forwarded(rules, envelope) == ["SessionRule"]
    assert census_use(through)  # the caller's last activity moves


def test_identity_center_sign_ins_reach_the_stream(rules):
    # Identity Center sign-ins are service events ("AWS Service Event via CloudTrail"); the normalizer
    # moves the sso.user's last activity from them, so both the member and the central rule let them through.
    from tests.templates.cfn import TEMPLATE
    from tests.unit.test_actor_fidelity import identity_center_sign_in

    sign_in = envelope_of(identity_center_sign_in())
    assert sign_in["detail-type"] == "AWS Service Event via CloudTrail" and sign_in["source"] == "aws.signin"
    assert forwarded(rules, sign_in) == ["ActivityRule"]
    assert forwarded(rules_of(load(TEMPLATE)), sign_in) == ["ActivityRule"]
    assert [sk for _, sk in subjects(normalize(sign_in))] == [
        "activity#arn:aws:identitystore:::user/94482488-3041-7026-18f3-be45837cd0e4"]
