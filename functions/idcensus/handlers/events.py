"""SQS (fed by the central bus's rule): normalize CloudTrail events; report failures per message.

Bad input is quarantined and counts as processed; only AWS errors are batch item failures
(retried, then the queue's DLQ). The batch's activity is exported once, after every message.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from idcensus.observability import logger, metrics, tracer
from idcensus.settings import Settings
from idcensus.stream.service import ActivityService

processor = BatchProcessor(event_type=EventType.SQS)
_service: ActivityService | None = None


def service() -> ActivityService:
    global _service  # reused across warm invocations
    if _service is None:
        _service = ActivityService(Settings.from_env())
    return _service


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    batch = service().batch(context.aws_request_id)
    with processor(records=event["Records"], handler=lambda record: batch.add_raw(record.body)):
        processor.process()
    result = batch.finish()
    for name, value in result.counts.items():
        metrics.add_metric(name=f"Activity_{name}", unit="Count", value=value)
    logger.info("activity batch", extra=result.summary())
    return processor.response()
