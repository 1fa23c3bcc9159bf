"""The IAM actions each central Lambda function needs. template.yaml grants exactly these.

tests/templates/test_least_privilege.py holds the template to this module; the handlers' tests
hold the code's calls to it. Member-account actions live in collect/registry.py instead.
"""

from __future__ import annotations

# What each function's own code calls.
CENTRAL_ACTIONS: dict[str, tuple[str, ...]] = {
    "planner": (
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListAccountsForParent",
        "dynamodb:PutItem",
        # The sweep (every 15 minutes): the open-runs listing, each overdue run, stale listings dropped.
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "s3:GetObject",
        # Not called: without it S3 answers 403, not NoSuchKey, for latest.json before the first run.
        "s3:ListBucket",
        "sqs:SendMessage",
    ),
    "account": (
        # The previous published run's manifest and snapshot: the account's changes are diffed against them.
        "s3:GetObject",
        # Not called: without it S3 answers 403, not NoSuchKey, for latest.json before the first run.
        "s3:ListBucket",
        "sts:AssumeRole",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "s3:PutObject",
        "sqs:SendMessage",
    ),
    "finisher": (
        # Close: the published run's manifest and snapshot, to compute this run's changes against them.
        "s3:GetObject",
        "s3:ListBucket",  # not called: NoSuchKey rather than 403 for a missing latest.json
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        # A dead-lettered account is stored as failed like a collected one: state diff and outcome.
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",  # a closed run leaves the open-runs listing
        "s3:PutObject",
        "sqs:SendMessage",
        "events:PutEvents",  # the run-completed event on the account's default bus (store/notify.py)
    ),
    # The post-deployment check: list the accounts, assume each read role, record one item per account.
    "check": (
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListAccountsForParent",
        "sts:AssumeRole",
        "dynamodb:PutItem",
    ),
    # Activity (stream/): normalize CloudTrail events; dedupe markers, last activity, refresh requests.
    "events": (
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        # Not called unless sending a refresh request fails: its debounce marker is released.
        "dynamodb:DeleteItem",
        "s3:PutObject",
        "sqs:SendMessage",
    ),
    # Targeted re-collection of one principal through the member read role.
    "refresh": (
        "sts:AssumeRole",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:BatchWriteItem",  # the refreshed records (and a large record's chunk items)
        "dynamodb:PutItem",  # an activity window's export: its claim and its done marker
        "s3:GetObject",  # a refresh is published as a run: latest.json, the published manifest and snapshots
        "s3:ListBucket",
        "s3:PutObject",
        "sqs:SendMessage",
        "events:PutEvents",  # a published refresh run is an event too, as a census run is (store/notify.py)
    ),
    # Historical activity from a trail's log files (the trail bucket is read, the export bucket written).
    "backfill": (
        "s3:ListBucket",
        "s3:GetObject",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        "s3:PutObject",
        "sqs:SendMessage",
    ),
}

# Granted but never called by the code, each with its reason (the code-side test allows only these).
NOT_CALLED: dict[str, dict[str, str]] = {
    "planner": {
        "s3:ListBucket": "without it S3 answers 403, not NoSuchKey, for latest.json before the first run",
    },
    "account": {"s3:ListBucket": "without it S3 answers 403, not NoSuchKey, for latest.json before the first run"},
    "finisher": {"s3:ListBucket": "without it S3 answers 403, not NoSuchKey, for latest.json before the first run"},
    "refresh": {"s3:ListBucket": "without it S3 answers 403, not NoSuchKey, for latest.json before the first run"},
    "events": {
        "dynamodb:DeleteItem": "releases a refresh request's debounce marker only when sending the request failed",
    },
}

# Implied by the calls above: the export bucket is SSE-KMS with a customer-managed key, so S3 uses
# the caller's kms:GenerateDataKey on PutObject and kms:Decrypt on GetObject (granted only via S3).
# The queues use SQS-managed SSE, so sqs:SendMessage implies no KMS action.
KMS_ACTIONS: dict[str, tuple[str, ...]] = {
    "planner": ("kms:Decrypt",),
    "account": ("kms:GenerateDataKey", "kms:Decrypt"),
    "finisher": ("kms:GenerateDataKey", "kms:Decrypt"),
    "events": ("kms:GenerateDataKey",),
    "refresh": ("kms:GenerateDataKey", "kms:Decrypt"),
    # Decrypt: trail log files encrypted with the trail's KMS key (SSE-KMS) are read through S3.
    "backfill": ("kms:GenerateDataKey", "kms:Decrypt"),
    "check": (),  # writes only DynamoDB, whose encryption needs no caller KMS action
}

# Not called by the code: the Lambda service uses the role to write logs and traces and, for
# SQS-triggered functions, to poll and delete the messages of its event source queues.
_LOGS_AND_TRACES = ("logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords")
_SQS_EVENT_SOURCE = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
PLATFORM_ACTIONS: dict[str, tuple[str, ...]] = {
    # Lambda sends a scheduled invocation that failed every retry to AsyncFailureQueue (its on-failure destination).
    "planner": _LOGS_AND_TRACES + ("sqs:SendMessage",),
    "account": _LOGS_AND_TRACES + _SQS_EVENT_SOURCE,
    "finisher": _LOGS_AND_TRACES + _SQS_EVENT_SOURCE,
    "events": _LOGS_AND_TRACES + _SQS_EVENT_SOURCE,
    "refresh": _LOGS_AND_TRACES + _SQS_EVENT_SOURCE,
    "backfill": _LOGS_AND_TRACES,  # invoked directly, no event source
    "check": _LOGS_AND_TRACES + ("sqs:SendMessage",),
}

# What the vendor's role may do: read the exports and consume the run notifications.
VENDOR_ACTIONS: tuple[str, ...] = (
    "s3:GetObject",
    "s3:ListBucket",
    "kms:Decrypt",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
)


def granted_actions(function: str) -> set[str]:
    """Every action the function's role must allow, and the only ones it may."""
    return {*CENTRAL_ACTIONS[function], *KMS_ACTIONS[function], *PLATFORM_ACTIONS[function]}
