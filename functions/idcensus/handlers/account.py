"""SQS: collect one account per message; report failures per message."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from idcensus.handlers import runtime
from idcensus.handlers.inputs import AccountRecord
from idcensus.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, model=AccountRecord)


def record_handler(record: AccountRecord):
    message = record.body
    logger.append_keys(run_id=message.run_id, account_id=message.account.account_id)
    status = runtime.pipeline().collect(message.model_dump())
    if status != "duplicate":  # a redelivery of an account already counted
        metrics.add_metric(name="FailedAccounts" if status == "failed" else "CollectedAccounts", unit="Count", value=1)
    logger.info("account collected", extra={"status": status})
    return status


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
