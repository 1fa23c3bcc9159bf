"""SQS (fed by the central bus's rule): normalize CloudTrail events; report failures per message.

Bad input is quarantined and counts as processed; only AWS errors are batch item failures
(retried, then the queue's DLQ). The batch's activity is exported once, after every message.
The body stays raw text on purpose: a malformed event is quarantined with its reason, not failed
(stream/normalize.py is its typed parser).
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from idcensus.handlers import runtime
from idcensus.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    batch = runtime.activity().batch(context.aws_request_id)
    with processor(records=event["Records"], handler=lambda record: batch.add_raw(record.body)):
        processor.process()
    result = batch.finish()
    for name, value in result.counts.items():
        metrics.add_metric(name=f"Activity_{name}", unit="Count", value=value)
    logger.info("activity batch", extra=result.summary())
    return processor.response()
