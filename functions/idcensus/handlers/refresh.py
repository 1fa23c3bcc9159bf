"""SQS (debounced refresh requests): re-collect one principal per message; failures per message."""

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
    batch = service().refresh_batch(context.aws_request_id)
    with processor(records=event["Records"], handler=lambda record: batch.add_message(record.body)):
        processor.process()
    result = batch.finish()
    metrics.add_metric(name="PrincipalsRefreshed", unit="Count", value=result.counts["refreshed"])
    logger.info("refresh batch", extra=result.summary())
    return processor.response()
