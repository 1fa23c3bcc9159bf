"""`idcensus backfill` and `idcensus events replay`: CloudTrail activity (Tier 4).

Both run the Lambda functions' own path (stream/service.py) in this process against the
configured endpoint (AWS_ENDPOINT_URL / profile / region).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from idcensus.errors import GONE_CODES, CapabilityDenied, ConfigError, IdcensusError, error_code, translate
from idcensus.settings import Settings
from idcensus.store.export import DEFAULT_PREFIX
from idcensus.store.setup import ensure_bucket, ensure_table
from idcensus.stream.backfill import MAX_DAYS, run_backfill

EXIT_OK, EXIT_PARTIAL = 0, 1
# botocore retried these already: what is left is a sustained rate limit.
THROTTLED = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
                       "RequestLimitExceeded", "SlowDown", "TooManyRequestsException",
                       "ProvisionedThroughputExceededException", "RequestThrottledException"})
MISSING = GONE_CODES | {"NoSuchBucket", "NoSuchKey", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"}
INVALID = frozenset({"InvalidBucketName", "ValidationException", "InvalidParameterValue", "InvalidArgument",
                     "InvalidAddress", "InvalidParameterValueException"})
# What stops a run midway: AWS answers, no answer at all, or an error idcensus raised from one.
RUN_ERRORS = (ClientError, BotoCoreError, IdcensusError)


def days_arg(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be a whole number from 1 to {MAX_DAYS}, got {value!r}")
    return days


def accounts_arg(value: str) -> list[str]:
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids or any(not re.fullmatch(r"\d{12}", v) for v in ids):
        raise argparse.ArgumentTypeError(f"expected 12-digit account IDs separated by commas, got {value!r}")
    return ids


def _storage_args(p) -> None:
    p.add_argument("--table", required=True, help="DynamoDB state table")
    p.add_argument("--bucket", required=True, help="S3 export bucket")
    p.add_argument("--export-prefix", default=DEFAULT_PREFIX, help=f"export prefix (default {DEFAULT_PREFIX})")
    p.add_argument("--region", default=None, help="region of the table and buckets (default: AWS config)")
    p.add_argument("--role-name", default="IdcensusReadOnly", help="member read role (targeted refreshes)")
    p.add_argument("--external-id", default=None, help="ExternalId the read role's trust requires")
    p.add_argument("--vendor-queue", default=None, help="SQS queue URL notified of each exported batch")
    p.add_argument("--create-storage", action="store_true", help="create the table and export bucket when missing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def add_parsers(sub) -> None:
    b = sub.add_parser("backfill", help="read a CloudTrail trail's S3 log files into the activity export")
    b.add_argument("--trail-bucket", required=True, help="the trail's S3 bucket")
    b.add_argument("--prefix", default="AWSLogs", help="key prefix down to AWSLogs (default AWSLogs)")
    b.add_argument("--days", type=days_arg, default=90, help=f"days back from today, 1..{MAX_DAYS} (default 90)")
    b.add_argument("--accounts", type=accounts_arg, default=None, metavar="ID[,ID...]", help="only these accounts")
    _storage_args(b)
    b.set_defaults(func=backfill_command)

    e = sub.add_parser("events", help="activity events")
    esub = e.add_subparsers(dest="events_command", required=True)
    r = esub.add_parser("replay", help="push events from a file through the live stream's path")
    r.add_argument("file", help="JSON (one event, a list, {'Records': [...]} of CloudTrail or SQS) or JSON Lines")
    r.add_argument("--refresh-queue", default=None,
                   help="send debounced refresh requests here (default: refresh the principals at once)")
    r.add_argument("--debounce-seconds", type=int, default=30, help="refresh debounce with --refresh-queue")
    _storage_args(r)
    r.set_defaults(func=replay_command)


def _service(args, **extra):
    from idcensus.aws import ClientFactory
    from idcensus.stream.service import ActivityService

    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    if not session.region_name:
        raise ConfigError("no AWS region: pass --region or set AWS_REGION")
    factory = ClientFactory.from_environment(session, getattr(args, "hooks", None))
    try:
        ensure_table(factory.client("dynamodb"), args.table, args.create_storage)
        ensure_bucket(factory.client("s3"), args.bucket, session.region_name, args.create_storage)
    except BotoCoreError as exc:
        raise ConfigError(f"cannot reach AWS ({exc}): check AWS_ENDPOINT_URL, network and region") from exc
    settings = Settings(table_name=args.table, bucket_name=args.bucket, export_prefix=args.export_prefix,
                        role_name=args.role_name, external_id=args.external_id, vendor_queue_url=args.vendor_queue,
                        **extra)
    return ActivityService(settings, factory)


def explain(exc: Exception, what: str) -> str:
    """'<what happened>: <what to do>' for an error that stopped a command, on one line."""
    if isinstance(exc, ConfigError):
        return str(exc)
    code = error_code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(exc, ClientError) else None
    err = exc if isinstance(exc, IdcensusError) else translate(exc, getattr(exc, "operation_name", None) or what)
    if isinstance(err, CapabilityDenied) or status == 403:
        fix = "grant your AWS credentials that action on the table, buckets and queues named"
    elif code in MISSING or status == 404:  # S3 answers HEAD requests with a bare status
        fix = "check the table, bucket and queue names (deploy the stack, or --create-storage the table and bucket)"
    elif code in INVALID:
        fix = "check the names and values given on the command line"
    elif code in THROTTLED:
        fix = "AWS kept throttling after every retry: rerun later, or raise IDCENSUS_MAX_ATTEMPTS"
    elif isinstance(exc, BotoCoreError):
        fix = "check AWS_ENDPOINT_URL, network and region"
    else:
        fix = "rerun with -v for details"
    return " ".join(f"{str(err).rstrip('.')}: {fix}".split())  # one line, whatever AWS put in its message


def read_events(path: Path) -> list[bytes | str]:
    """Raw events as the queue would carry them. JSON Lines (or anything not one JSON value):
    each line is one raw event, so a broken line is quarantined like a broken message."""
    try:
        blob = path.read_bytes()
        if blob[:2] == b"\x1f\x8b":  # a CloudTrail log file as the trail wrote it
            blob = gzip.decompress(blob)
    except (OSError, EOFError) as exc:
        raise ConfigError(f"cannot read {path} ({exc}): pass a readable JSON or JSON Lines file of events") from exc
    try:
        value = json.loads(blob)
    except ValueError:
        lines = [line for line in blob.splitlines() if line.strip()]
        if not any(_is_json(line) for line in lines):
            raise ConfigError(f"{path} is neither JSON nor JSON Lines: pass a file of CloudTrail or EventBridge "
                              "events (one JSON value, a list, {'Records': [...]}, or one event per line)") from None
        return lines
    if isinstance(value, dict) and isinstance(value.get("Records"), list):
        value = value["Records"]
    return [_raw(item) for item in (value if isinstance(value, list) else [value])]


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _raw(item) -> str:
    if isinstance(item, dict) and item.get("eventSource") == "aws:sqs" and isinstance(item.get("body"), str):
        return item["body"]  # an SQS event's record: its body is the EventBridge event
    return json.dumps(item)


def replay_command(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"no such file: {args.file}")
    if not 0 <= args.debounce_seconds <= 900:
        raise ConfigError("--debounce-seconds must be 0..900 (SQS DelaySeconds)")
    events = read_events(path)
    service = _service(args, refresh_queue_url=args.refresh_queue, refresh_debounce_seconds=args.debounce_seconds)
    batch, done = service.batch(), 0
    try:
        for event in events:
            batch.add_raw(event)
            done += 1
        result = batch.finish()
    except RUN_ERRORS as exc:
        return _stopped(exc, "events replay", done, len(events), "events were read",
                        "events already done are skipped as duplicates, the others redone")
    summary = {**result.summary(), "api_calls": dict(sorted(service.factory.counter.calls.items()))}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary)
    return EXIT_PARTIAL if result.counts["quarantined"] else EXIT_OK


def backfill_command(args) -> int:
    service = _service(args)
    trail_s3 = service.factory.client("s3")
    try:
        trail_s3.head_bucket(Bucket=args.trail_bucket)
    except ClientError as exc:
        raise ConfigError(f"cannot read trail bucket {args.trail_bucket!r} ({error_code(exc)}): "
                          "check its name and that its policy lets you list and read it") from exc
    reading: dict[str, str] = {}  # the log file being read, for the message when reading it fails
    trail_s3.meta.events.register("provide-client-params.s3.GetObject",
                                  lambda params, **_: reading.update(key=params.get("Key", "")))
    with _Progress() as progress:
        try:
            result = run_backfill(service, trail_s3, args.trail_bucket, prefix=args.prefix, days=args.days,
                                  accounts=args.accounts, on_start=progress.start, on_file=progress.advance)
        except (*RUN_ERRORS, ValueError, OSError, EOFError) as exc:
            if not isinstance(exc, RUN_ERRORS) and reading:  # a log file that is not gzip JSON
                exc = ConfigError(f"s3://{args.trail_bucket}/{reading['key']} is not a CloudTrail log file "
                                  f"({type(exc).__name__}: {exc}): move it out of the trail's prefix")
            elif isinstance(exc, ClientError) and exc.operation_name == "GetObject" and reading:
                exc = ConfigError(f"cannot read s3://{args.trail_bucket}/{reading['key']} ({error_code(exc)}): "
                                  "check that the trail bucket's policy (and its KMS key) let you read its log files")
            return _stopped(exc, "backfill", progress.done, progress.total, "log files were done",
                            "it resumes after the files already done")
    summary = {**result.summary(), "api_calls": dict(sorted(service.factory.counter.calls.items()))}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary)
    return EXIT_OK if result.complete else EXIT_PARTIAL


def _stopped(exc: Exception, command: str, done: int, total: int | None, unit: str, rerun: str) -> int:
    """A run an error stopped: a config error (exit 2) when nothing was done, else partial (exit 1)."""
    if not isinstance(exc, RUN_ERRORS):
        raise exc
    if not done:
        raise ConfigError(f"{command} stopped before any {unit}: {explain(exc, command)}") from exc
    of = f" of {total}" if total is not None else ""
    print(f"idcensus: {command} stopped after {done}{of} {unit}: {explain(exc, command)}; then rerun the same "
          f"command: {rerun}", file=sys.stderr)
    return EXIT_PARTIAL


def _print(summary: dict) -> None:
    from rich.console import Console

    console = Console()
    for key, value in summary.items():
        console.print(f"[bold]{key}[/]: {json.dumps(value) if isinstance(value, (dict, list)) else value}")


class _Progress:
    """A rich progress bar over log files on a terminal; silent otherwise."""

    def __init__(self):
        self.bar = self.task = None
        self.done, self.total = 0, None

    def __enter__(self):
        return self

    def start(self, total: int) -> None:
        self.total = total
        if not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("backfilling log files"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("files", total=total)

    def advance(self, _key: str) -> None:
        self.done += 1
        if self.bar:
            self.bar.advance(self.task)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()
