"""Argument types and option groups shared by the subcommands: one definition of each flag."""

from __future__ import annotations

import argparse
import re

from idcensus.store.export import DEFAULT_PREFIX
from idcensus.stream.backfill import MAX_DAYS


def accounts(value: str) -> list[str] | None:
    """'all' (None) or a list of 12-digit account IDs."""
    if value == "all":
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids or any(not re.fullmatch(r"\d{12}", v) for v in ids):
        raise argparse.ArgumentTypeError(f"expected 'all' or 12-digit account IDs separated by commas, got {value!r}")
    return ids


def regions(value: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    if not names or any(not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", r) for r in names):
        raise argparse.ArgumentTypeError(f"expected region names separated by commas (e.g. us-east-1,eu-west-1), got {value!r}")
    return names


def days(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be a whole number from 1 to {MAX_DAYS}, got {value!r}")
    return number


def add_aws(p, what: str) -> None:
    """Where the calling identity comes from; everything else is the standard AWS configuration
    (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ~/.aws/config), read by cli/connect.py."""
    p.add_argument("--profile", default=None, help="AWS profile (default: AWS_PROFILE, else the default chain)")
    p.add_argument("--region", default=None, help=f"region of {what} (default: AWS_REGION, else the AWS config)")


def add_role(p, *, required: bool) -> None:
    if required:
        p.add_argument("--role-name", required=True, help="the read role deployed in every member account")
    else:
        p.add_argument("--role-name", default="IdcensusReadOnly", help="member read role (targeted refreshes)")
    p.add_argument("--external-id", default=None, help="ExternalId the read role's trust requires")


def add_storage(p, *, prefix_flag: str) -> None:
    """The state table and the export bucket (`prefix_flag` names the export prefix's flag)."""
    p.add_argument("--table", required=True, help="DynamoDB table for current state")
    p.add_argument("--bucket", required=True, help="S3 bucket for exports")
    p.add_argument(prefix_flag, default=DEFAULT_PREFIX, help=f"export prefix (default {DEFAULT_PREFIX})")
    p.add_argument("--create-storage", action="store_true", help="create the table and bucket when missing")


def add_json(p, what: str = "the summary") -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON")
