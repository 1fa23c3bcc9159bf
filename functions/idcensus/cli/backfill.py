"""`idcensus backfill`: read a CloudTrail trail's S3 log files into the activity export."""

from __future__ import annotations

from botocore.exceptions import ClientError

from idcensus.cli import options
from idcensus.cli.activity import activity_service, add_options, print_summary
from idcensus.cli.failures import EXIT_OK, EXIT_PARTIAL, RUN_ERRORS, stopped
from idcensus.cli.progress import Progress
from idcensus.errors import ConfigError, error_code
from idcensus.stream.backfill import MAX_DAYS, run_backfill


def add_parser(sub) -> None:
    b = sub.add_parser("backfill", help="read a CloudTrail trail's S3 log files into the activity export")
    b.add_argument("--trail-bucket", required=True, help="the trail's S3 bucket")
    b.add_argument("--prefix", default="AWSLogs", help="key prefix down to AWSLogs (default AWSLogs)")
    b.add_argument("--days", type=options.days, default=90, help=f"days back from today, 1..{MAX_DAYS} (default 90)")
    b.add_argument("--accounts", type=options.accounts, default=None, metavar="all|ID[,ID...]",
                   help="only these accounts (default all)")
    add_options(b)
    b.set_defaults(func=run)


def run(args, hooks=None) -> int:
    service = activity_service(args, hooks)
    trail_s3 = service.factory.client("s3")
    try:
        trail_s3.head_bucket(Bucket=args.trail_bucket)
    except ClientError as exc:
        raise ConfigError(f"cannot read trail bucket {args.trail_bucket!r} ({error_code(exc)}): "
                          "check its name and that its policy lets you list and read it") from exc
    reading: dict[str, str] = {}  # the log file being read, for the message when reading it fails
    trail_s3.meta.events.register("provide-client-params.s3.GetObject",
                                  lambda params, **_: reading.update(key=params.get("Key", "")))
    with Progress("backfilling log files") as progress:
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
            return stopped(exc, "backfill", progress.done, progress.total, "log files were done",
                           "it resumes after the files already done")
    print_summary({**result.summary(), "api_calls": dict(sorted(service.factory.counter.calls.items()))}, args.json)
    return EXIT_OK if result.complete else EXIT_PARTIAL
