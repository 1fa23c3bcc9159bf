"""SQS: collect one account per message; report failures per message."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from idcensus.observability import logger, metrics, tracer
from idcensus.pipeline import Pipeline
from idcensus.settings import Settings

processor = BatchProcessor(event_type=EventType.SQS)
_pipeline: Pipeline | None = None


def pipeline() -> Pipeline:
    global _pipeline  # reused across warm invocations
    if _pipeline is None:
        _pipeline = Pipeline(Settings.from_env())
    return _pipeline


def record_handler(record):
    message = json.loads(record.body)
    logger.append_keys(run_id=message["run_id"], account_id=message["account"]["account_id"])
    status = pipeline().collect(message)
    metrics.add_metric(name="FailedAccounts" if status == "failed" else "CollectedAccounts", unit="Count", value=1)
    logger.info("account collected", extra={"status": status})
    return status


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
