"""Direct invocation: backfill activity from a trail's S3 log files, resumable.

Event: {"trail_bucket": "...", "prefix": "AWSLogs", "days": 90, "accounts": ["123456789012"]}
(trail_bucket and prefix default to TRAIL_BUCKET / TRAIL_PREFIX). Stops a minute before the
timeout with "complete": false; invoke again to resume from the checkpoints.
"""

import time

from aws_lambda_powertools.utilities.parser import parse

from idcensus.handlers import runtime
from idcensus.handlers.inputs import BackfillRequest
from idcensus.observability import logger, metrics, tracer
from idcensus.stream.backfill import run_backfill

MARGIN_MS = 60_000


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    request = parse(event=event or {}, model=BackfillRequest)
    settings = runtime.settings()
    bucket = request.trail_bucket or settings.trail_bucket
    if not bucket:
        raise ValueError("no trail bucket: pass trail_bucket in the event or set TRAIL_BUCKET")
    service = runtime.activity()
    deadline = time.monotonic() + (context.get_remaining_time_in_millis() - MARGIN_MS) / 1000
    result = run_backfill(service, service.factory.client("s3"), bucket, prefix=request.prefix or settings.trail_prefix,
                          days=request.days, accounts=request.accounts, deadline=deadline)
    metrics.add_metric(name="BackfillFiles", unit="Count", value=result.done)
    logger.info("backfill", extra=result.summary())
    return result.summary()
