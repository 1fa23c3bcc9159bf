"""SQS (debounced refresh requests): re-collect one principal per message; failures per message.

Bodies are parsed by stream/refresh.py (a malformed request is reported, never retried forever)."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from idcensus.handlers import runtime
from idcensus.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    batch = runtime.activity().refresh_batch(context.aws_request_id)
    with processor(records=event["Records"], handler=lambda record: batch.add_message(record.body)):
        processor.process()
    result = batch.finish()
    metrics.add_metric(name="PrincipalsRefreshed", unit="Count", value=result.counts["refreshed"])
    logger.info("refresh batch", extra=result.summary())
    return processor.response()
