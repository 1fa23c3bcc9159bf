"""Benchmark: what the activity tier costs per million events, before and after source filtering and
export windows, and a monthly estimate for an organization.

    .venv/bin/python benchmarks/bench_cost.py [--accounts 100] [--rate 23] [--minutes 10] [--service-share 0.9]

Replays a seeded synthetic organization's CloudTrail management events (mix below) twice in one
process, in moto: "before" with the member rules as shipped before filtering (BEFORE in
tests/templates/test_activity_routing.py) and a batch export per Lambda batch; "after" with
stacksets/member.yaml's rules as they are and ACTIVITY_WINDOW_SECONDS from template.yaml.
Routing uses moto's EventPattern matcher with EventBridge's rule states (read-only events reach only
the ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS rule); the SQS event source is simulated with the
template's BatchSize and MaximumBatchingWindowInSeconds (--pollers concurrent batches); the real
normalizer handler runs each batch, and the real refresh handler each export-window message at its
due time. Requests the code makes are counted at the botocore seam (DynamoDB units from the
request and response sizes); EventBridge deliveries, the event source's SQS receives and deletes
and Lambda duration are modelled (benchmarks/prices.json says how). Refreshes of principals are
not run: they are the same before and after (their requests are counted, and compared).

Then checks nothing the census uses was lost: the same last-activity items, the same refresh
requests, and an export that lacks exactly the AWS-service role sessions.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import random
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
                   "POWERTOOLS_LOG_LEVEL": "ERROR", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from tests.templates.cfn import MEMBER, TEMPLATE, load  # noqa: E402
from tests.templates.test_activity_routing import BEFORE, forwarded, rules_of  # noqa: E402

from idcensus.aws import ClientFactory  # noqa: E402
from idcensus.handlers import events as events_handler  # noqa: E402
from idcensus.handlers import refresh as refresh_handler  # noqa: E402
from idcensus.handlers import runtime  # noqa: E402
from idcensus.observability import metrics  # noqa: E402
from idcensus.settings import Settings  # noqa: E402
from idcensus.store.export import decode_lines  # noqa: E402
from idcensus.store.state import table_definition  # noqa: E402
from idcensus.stream.activity_export import FLUSH_EVENT, window_due  # noqa: E402
from idcensus.stream.service import ActivityService  # noqa: E402
from idcensus_emulator.demo_activity import cloudtrail, console_login, eventbridge, role_session, user_identity  # noqa: E402
from idcensus_emulator.local import LambdaContext  # noqa: E402

PRICES = json.loads((Path(__file__).with_name("prices.json")).read_text())
T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
SECONDS_PER_MONTH = 30 * 86_400
# What today's rules forward: AWS services' own role sessions (AssumeRole with userIdentity.type
# AWSService: Lambda execution roles, instance profiles, ECS tasks, Config, Security Hub...) are
# SERVICE_SHARE of it; the rest splits in these proportions. --service-share varies the first.
SERVICE_SHARE = 0.90
OTHERS = {
    "role_session": 8,         # AssumeRole by roles and users: CI/CD, cross-account tools, role switching
    "federated_session": 2,    # AssumeRoleWithSAML (SSO portal), AssumeRoleWithWebIdentity (EKS, OIDC CI)
    "console_sign_in": 0.5,    # ConsoleLogin, 1 in 10 failed
    "identity_write": 1.5,     # identity-changing IAM writes (keys, policies, trust, groups): targeted refresh
    "other_write": 3,          # other writes of the watched sources (GetSessionToken, Organizations tags)
}
READS_PER_FORWARDED = 0.5  # Get*/List*/Describe* of the watched sources: no rule receives them, either way
SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "config.amazonaws.com",
            "cloudformation.amazonaws.com", "ssm.amazonaws.com", "eks.amazonaws.com", "backup.amazonaws.com"]
IDENTITY_WRITES = [("AttachRolePolicy", "roleName"), ("UpdateAssumeRolePolicy", "roleName"),
                   ("CreateAccessKey", "userName"), ("AddUserToGroup", "userName"), ("TagRole", "roleName")]


# ---------------------------------------------------------------- the organization's events
def account_ids(count: int) -> list[str]:
    return [f"{100000000000 + n * 7919:012d}" for n in range(count)]


def service_session(account: str, when: datetime, rng: random.Random) -> dict:
    service = rng.choice(SERVICES)
    record = cloudtrail(account, {"type": "AWSService", "invokedBy": service}, "AssumeRole", source="sts.amazonaws.com",
                        when=when, read_only=True,
                        request={"roleArn": f"arn:aws:iam::{account}:role/app-{rng.randrange(20)}",
                                 "roleSessionName": f"{service.split('.')[0]}-{rng.randrange(10**6)}"})
    record.update(sourceIPAddress=service, userAgent=service)
    return record


def federated_session(account: str, when: datetime, rng: random.Random) -> dict:
    if rng.random() < 0.5:
        who, name = {"type": "SAMLUser", "principalId": "X:alice", "userName": "alice", "identityProvider": "idp"}, \
            "AssumeRoleWithSAML"
    else:
        who, name = {"type": "WebIdentityUser", "principalId": "oidc:sub", "userName": "sub",
                     "identityProvider": "token.actions.githubusercontent.com"}, "AssumeRoleWithWebIdentity"
    return cloudtrail(account, who, name, source="sts.amazonaws.com", when=when, read_only=True,
                      request={"roleArn": f"arn:aws:iam::{account}:role/federated", "roleSessionName": "s"})


def make_event(kind: str, account: str, when: datetime, rng: random.Random) -> dict:
    user = f"user{rng.randrange(30)}"
    key = "AKIA" + user.upper().ljust(16, "X")
    role = rng.choice(["ci", "deployer", "security-audit", "admin", "terraform"])
    if kind == "service_session":
        return service_session(account, when, rng)
    if kind == "role_session":
        caller = role_session(account, role) if rng.random() < 0.8 else user_identity(account, user, key=key)
        return cloudtrail(account, caller, "AssumeRole", source="sts.amazonaws.com", when=when, read_only=True,
                          request={"roleArn": f"arn:aws:iam::{account}:role/{role}", "roleSessionName": "s"})
    if kind == "federated_session":
        return federated_session(account, when, rng)
    if kind == "console_sign_in":
        return console_login(account, user, mfa=rng.random() < 0.7, when=when, failed=rng.random() < 0.1)
    if kind == "identity_write":
        name, param = rng.choice(IDENTITY_WRITES)
        target = f"target{rng.randrange(15)}"
        return cloudtrail(account, role_session(account, "terraform"), name, when=when,
                          request={param: target, "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    if kind == "other_write":
        if rng.random() < 0.5:
            return cloudtrail(account, user_identity(account, user, key=key), "GetSessionToken",
                              source="sts.amazonaws.com", when=when)
        return cloudtrail(account, role_session(account, role), "TagResource", source="organizations.amazonaws.com",
                          when=when, request={"resourceId": account})
    # a read: GetRole / ListUsers by a role session, or GetCallerIdentity
    name, source = rng.choice([("GetRole", "iam.amazonaws.com"), ("ListUsers", "iam.amazonaws.com"),
                               ("GetCallerIdentity", "sts.amazonaws.com")])
    return cloudtrail(account, role_session(account, role), name, source=source, when=when, read_only=True)


def organization_events(accounts: list[str], rate: float, minutes: int, mix: dict[str, float],
                        seed: int) -> list[tuple[datetime, str, dict]]:
    """(arrival time, kind, EventBridge event), time-ordered; accounts weighted 1/rank (a few busy ones)."""
    rng = random.Random(seed)
    weights = [1 / (n + 1) for n in range(len(accounts))]
    kinds, shares = list(mix), list(mix.values())
    forwarded_count = int(rate * minutes * 60)
    total = forwarded_count + int(forwarded_count * READS_PER_FORWARDED)
    out = []
    for _ in range(total):
        at = T0 + timedelta(seconds=rng.uniform(0, minutes * 60))
        kind = rng.choices(kinds, shares)[0] if rng.random() < 1 / (1 + READS_PER_FORWARDED) else "read"
        account = rng.choices(accounts, weights)[0]
        record = make_event(kind, account, at - timedelta(seconds=rng.uniform(2, 60)), rng)  # CloudTrail's delay
        out.append((at, kind, eventbridge(record)))
    return sorted(out, key=lambda e: e[0])


# ---------------------------------------------------------------- counting at the botocore seam
def item_size(value) -> float:
    """DynamoDB's size of a typed attribute value (names counted by the caller)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) / 2 + 1
    if kind == "B":
        return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + item_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(item_size(v) + 1 for v in inner)
    return 1


def units(item: dict, per: int) -> int:
    return max(1, math.ceil(sum(len(k.encode()) + item_size(v) for k, v in item.items()) / per))


class Meter:
    """Requests and DynamoDB units of every call the code makes, and modelled latency."""

    def __init__(self):
        self.calls: Counter = Counter()
        self.wru = self.rru = 0.0
        self.latency_ms = 0.0

    def before_send(self, request, event_name: str = "", **_):
        _, service, op = event_name.split(".", 2)
        self.calls[f"{service}.{op}"] += 1
        self.latency_ms += PRICES["model"]["latency_ms"].get(service, 10)
        if service == "dynamodb" and op == "GetItem":  # small items: one unit, half when eventually consistent
            self.rru += 1 if json.loads(request.body).get("ConsistentRead") else 0.5
        if service == "dynamodb" and op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
            body = json.loads(request.body)
            if op == "BatchWriteItem":
                self.wru += sum(units(w.get("PutRequest", w.get("DeleteRequest", {})).get("Item", {"k": {"S": ""}}),
                                      1024) for ws in body["RequestItems"].values() for w in ws)
            else:
                self.wru += units(body.get("Item") or body.get("Key"), 1024)

    def after_query(self, parsed, **_):
        size = sum(len(k.encode()) + item_size(v) for item in parsed.get("Items", []) for k, v in item.items())
        self.rru += max(1, math.ceil(size / 4096))  # strongly consistent (the window's Query)

    def hooks(self):
        return [("before-send", self.before_send), ("after-call.dynamodb.Query", self.after_query)]



# ---------------------------------------------------------------- one replay
def normalizer_source() -> tuple[int, int, int, float]:
    """BatchSize, MaximumBatchingWindowInSeconds, ACTIVITY_WINDOW_SECONDS and memory (GB) from template.yaml."""
    template = load(TEMPLATE)
    props = template["Resources"]["NormalizerFunction"]["Properties"]
    source = props["Events"]["Activity"]["Properties"]
    window = int(props["Environment"]["Variables"].get("ACTIVITY_WINDOW_SECONDS", 0))
    memory = props.get("MemorySize", template["Globals"]["Function"]["MemorySize"]) / 1024
    return source["BatchSize"], source["MaximumBatchingWindowInSeconds"], window, memory


def batches(deliveries: list[tuple[datetime, str]], size: int, wait: int, pollers: int):
    """Lambda's SQS event source: each poller's batch closes at `size` messages or `wait` seconds after
    its first one; messages go to the pollers in turn. Yields (close time, bodies) in time order."""
    open_: list[list] = [[] for _ in range(pollers)]
    out = []
    for n, (at, body) in enumerate(deliveries):
        batch = open_[n % pollers]
        if batch and (len(batch) == size or (at - batch[0][0]).total_seconds() > wait):
            out.append((min(batch[-1][0], batch[0][0] + timedelta(seconds=wait)), [b for _, b in batch]))
            batch.clear()
        batch.append((at, body))
    out += [(b[0][0] + timedelta(seconds=wait), [x for _, x in b]) for b in open_ if b]
    return sorted(out, key=lambda b: b[0])


class Replay:
    """One organization's events through one configuration (rules + export mode), in its own table and bucket."""

    def __init__(self, name: str, rules: dict, window: int, memory_gb: float):
        self.name, self.rules, self.memory_gb = name, rules, memory_gb
        sqs = boto3.client("sqs")
        boto3.client("dynamodb").create_table(**table_definition(name))
        boto3.client("s3").create_bucket(Bucket=name)
        self.urls = {q: sqs.create_queue(QueueName=f"{name}-{q}")["QueueUrl"] for q in ("refresh", "vendor")}
        self.meter = Meter()
        settings = Settings(table_name=name, bucket_name=name, refresh_queue_url=self.urls["refresh"],
                            vendor_queue_url=self.urls["vendor"], activity_window_seconds=window)
        self.service = ActivityService(settings, ClientFactory(hooks=self.meter.hooks()))
        self.sent: list[dict] = []  # what the code sent to the refresh queue (moto holds delayed messages back)
        send = self.service.sqs.send_message

        def recording(**kwargs):
            if kwargs["QueueUrl"] == self.urls["refresh"]:
                self.sent.append(kwargs)
            return send(**kwargs)

        self.service.sqs.send_message = recording
        self.deliveries = 0
        self.invocations = Counter()
        self.gb_seconds = 0.0
        self.esm_requests = 0  # the event source's ReceiveMessage and DeleteMessageBatch

    def run(self, events, size: int, wait: int, pollers: int) -> None:
        delivered = []
        for at, _, event in events:
            for _ in forwarded(self.rules, event):
                delivered.append((at, json.dumps(event)))
        self.deliveries = len(delivered)
        runtime.use(None)
        runtime._service = self.service
        pending: list[tuple[datetime, str]] = []  # export-window messages, by due time
        for closed, bodies in batches(delivered, size, wait, pollers):
            pending = self._flush_due(pending, closed)
            self.service.now = lambda at=closed: at
            self._invoke("normalizer", events_handler.handler, bodies)
            pending += self._take_flush_messages()
        self._flush_due(pending, datetime.max.replace(tzinfo=UTC))

    def _take_flush_messages(self) -> list[tuple[datetime, str]]:
        taken = [m for m in self.sent if json.loads(m["MessageBody"]).get("event") == FLUSH_EVENT]
        self.sent = [m for m in self.sent if m not in taken]
        out = []
        for message in taken:
            body = json.loads(message["MessageBody"])
            out.append((window_due(body["window"], body["seconds"]), message["MessageBody"]))
        return out

    def _flush_due(self, pending, now: datetime):
        due = [p for p in pending if p[0] <= now]
        for at, body in sorted(due):
            self.service.now = lambda at=at: at
            self._invoke("refresh", refresh_handler.handler, [body])
        return [p for p in pending if p[0] > now]

    def _invoke(self, function: str, handler, bodies: list[str]) -> None:
        before = self.meter.latency_ms
        response = handler(sqs_records(bodies), LambdaContext(function))
        assert response == {"batchItemFailures": []}, response
        metrics.clear_metrics()
        self.invocations[function] += 1
        self.esm_requests += 2 * math.ceil(len(bodies) / 10)
        ms = PRICES["model"]["lambda_base_ms"] + self.meter.latency_ms - before
        self.gb_seconds += self.memory_gb * ms / 1000

    # -- what it did
    def requests(self) -> dict[str, float]:
        calls = self.meter.calls
        return {
            "EventBridge cross-account deliveries": self.deliveries,
            "SQS requests (EventBridge sends, event source, code)": self.deliveries + self.esm_requests
            + calls["sqs.SendMessage"],
            "Lambda invocations": sum(self.invocations.values()),
            "Lambda GB-s (modelled)": self.gb_seconds,
            "DynamoDB write units": self.meter.wru,
            "DynamoDB read units": self.meter.rru,
            "S3 PUT (parts, manifests, quarantine)": calls["s3.PutObject"],
            "S3 GET": calls["s3.GetObject"],
        }

    def cost(self) -> float:
        p = {k: v["usd"] / v["per"] for k, v in PRICES["prices"].items()}
        r = self.requests()
        return (r["EventBridge cross-account deliveries"] * p["eventbridge_cross_account_event"]
                + r["SQS requests (EventBridge sends, event source, code)"] * p["sqs_request"]
                + r["Lambda invocations"] * p["lambda_request"] + r["Lambda GB-s (modelled)"] * p["lambda_gb_second_arm64"]
                + r["DynamoDB write units"] * p["dynamodb_write_request_unit"]
                + r["DynamoDB read units"] * p["dynamodb_read_request_unit"]
                + r["S3 PUT (parts, manifests, quarantine)"] * p["s3_put_request"] + r["S3 GET"] * p["s3_get_request"])

    # -- what the census kept
    def last_activity(self) -> dict[tuple[str, str], str]:
        table = boto3.resource("dynamodb").Table(self.name)
        items, params = [], {}
        while True:
            page = table.scan(**params)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return {(i["pk"], i["sk"]): i["last_activity_at"] for i in items if i["sk"].startswith("activity#")}

    def refresh_requests(self) -> set[tuple[str, str, str]]:
        bodies = [json.loads(m["MessageBody"]) for m in self.sent]
        return {(b["account_id"], b["kind"], b["name"]) for b in bodies if "kind" in b}

    def exported(self) -> set[str]:
        s3, ids = boto3.client("s3"), set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix="idcensus/v1/activity/date="):
            for obj in page.get("Contents", []):
                ids |= {r["id"] for r in decode_lines(s3.get_object(Bucket=self.name, Key=obj["Key"])["Body"].read())}
        return ids


def sqs_records(bodies: list[str]) -> dict:
    attributes = {"ApproximateReceiveCount": "1", "SentTimestamp": "1764061200000", "SenderId": "AROAEXAMPLE",
                  "ApproximateFirstReceiveTimestamp": "1764061200001"}
    return {"Records": [{"messageId": f"m-{n}", "receiptHandle": f"h-{n}", "body": body, "attributes": attributes,
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:activity", "awsRegion": "us-east-1"}
                        for n, body in enumerate(bodies)]}


# ---------------------------------------------------------------- report
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--rate", type=float, default=23.0,
                        help="events/s today's rules forward, organization-wide (23/s = 60M a month)")
    parser.add_argument("--minutes", type=int, default=10, help="simulated minutes (one export window)")
    parser.add_argument("--service-share", type=float, default=SERVICE_SHARE)
    parser.add_argument("--pollers", type=int, default=1, help="concurrent batches of the SQS event source")
    parser.add_argument("--window", type=int, help="the after run's ACTIVITY_WINDOW_SECONDS (default: template.yaml's; "
                        "0 shows the filter alone)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    mix = {"service_session": args.service_share,
           **{k: v / sum(OTHERS.values()) * (1 - args.service_share) for k, v in OTHERS.items()}}
    size, wait, window, memory_gb = normalizer_source()
    window = window if args.window is None else args.window
    with mock_aws():
        events = organization_events(account_ids(args.accounts), args.rate, args.minutes, mix, args.seed)
        before = Replay("before", BEFORE, 0, memory_gb)
        before.run(events, size, wait, args.pollers)
        after = Replay("after", rules_of(load(MEMBER)), window, memory_gb)
        after.run(events, size, wait, args.pollers)
        report(args, mix, events, before, after, (size, wait, window))


def report(args, mix, events, before: Replay, after: Replay, source) -> None:
    kinds = Counter(kind for _, kind, _ in events)
    base = before.deliveries / 1000  # per 1,000 events the old rules forward
    print(f"{len(events):,} events, {args.accounts} accounts, {args.minutes} simulated minutes at {args.rate:g}/s "
          f"forwarded today; event source BatchSize {source[0]}, window {source[1]} s, {args.pollers} poller(s); "
          f"export window {source[2]} s")
    print("mix (share of what today's rules forward): " + ", ".join(f"{k} {v:.1%}" for k, v in mix.items())
          + f"; plus {kinds['read']:,} reads no rule receives")
    print(f"\n{'per 1,000 events forwarded today':<56}{'before':>12}{'after':>12}")
    for (name, b), a in zip(before.requests().items(), after.requests().values(), strict=True):
        print(f"{name:<56}{b / base:>12,.2f}{a / base:>12,.2f}")
    per_million = [r.cost() / before.deliveries * 1e6 for r in (before, after)]
    print(f"{'USD per million events forwarded today':<56}{per_million[0]:>12,.3f}{per_million[1]:>12,.3f}"
          f"   {per_million[0] / per_million[1]:.1f}x lower")
    for label, rate in (("", args.rate), (" (x10: busy)", args.rate * 10)):
        month = rate * SECONDS_PER_MONTH
        print(f"{f'USD a month, {args.accounts} accounts, {month / 1e6:,.0f}M events{label}':<56}"
              f"{per_million[0] * month / 1e6:>12,.0f}{per_million[1] * month / 1e6:>12,.0f}")
    print(f"prices: {PRICES['region']} list prices as of {PRICES['as_of']} (benchmarks/prices.json)")
    check_nothing_lost(events, before, after)


def check_nothing_lost(events, before: Replay, after: Replay) -> None:
    sessions = {e["detail"]["eventID"] for _, kind, e in events if kind == "service_session"}
    kept_before, kept_after = before.exported(), after.exported()
    assert before.last_activity() == after.last_activity(), "last activity differs"
    assert before.refresh_requests() == after.refresh_requests(), "refresh requests differ"
    assert kept_before - kept_after == sessions and kept_after <= kept_before, "the export lost more than sessions"
    print(f"nothing lost: {len(after.last_activity()):,} last-activity items and {len(after.refresh_requests()):,} "
          f"refresh requests identical; export {len(kept_after):,} records = before's {len(kept_before):,} "
          f"less {len(sessions):,} AWS-service sessions")


if __name__ == "__main__":
    main()
