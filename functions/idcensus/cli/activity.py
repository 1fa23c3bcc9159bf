"""What `idcensus backfill` and `idcensus events replay` share: both run the Lambda functions' own
path (stream/service.py) in this process, against the configured AWS (or AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json

from idcensus.cli import options
from idcensus.cli.connect import connect
from idcensus.settings import Settings
from idcensus.store.setup import ensure_bucket, ensure_table


def add_options(p) -> None:
    options.add_storage(p, prefix_flag="--export-prefix")
    options.add_aws(p, "the table and buckets")
    options.add_role(p, required=False)
    p.add_argument("--vendor-queue", default=None, help="SQS queue URL notified of each exported batch")
    options.add_json(p)


def activity_service(args, hooks, **settings):
    """The activity service over the flags' table and bucket (checked, or created with --create-storage)."""
    from idcensus.stream.service import ActivityService

    factory = connect(args, hooks)
    ensure_table(factory.client("dynamodb"), args.table, args.create_storage)
    ensure_bucket(factory.client("s3"), args.bucket, factory.region, args.create_storage)
    return ActivityService(Settings(table_name=args.table, bucket_name=args.bucket, export_prefix=args.export_prefix,
                                    role_name=args.role_name, external_id=args.external_id,
                                    vendor_queue_url=args.vendor_queue, **settings), factory)


def print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    from rich.console import Console

    console = Console()
    for key, value in summary.items():
        console.print(f"[bold]{key}[/]: {json.dumps(value) if isinstance(value, (dict, list)) else value}")
