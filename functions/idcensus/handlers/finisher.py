"""SQS: close finished runs; dead-lettered account messages are recorded as failed accounts."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from idcensus.handlers import runtime
from idcensus.handlers.inputs import FinishRecord
from idcensus.observability import logger, metrics, tracer
from idcensus.store.commit import RunSuperseded

processor = BatchProcessor(event_type=EventType.SQS, model=FinishRecord)


def record_handler(record: FinishRecord):
    message = record.body
    logger.append_keys(run_id=message.run_id)
    if message.account is not None:  # from the account dead-letter queue
        runtime.pipeline().dead_letter(message.model_dump())
        metrics.add_metric(name="FailedAccounts", unit="Count", value=1)
        return "dead-lettered"
    try:
        manifest = runtime.pipeline().close(message.run_id)
    except RunSuperseded as exc:  # ended visibly: status superseded in the run table, a warning and a metric
        logger.warning("run superseded", extra={"reason": str(exc)})
        metrics.add_metric(name="SupersededRuns", unit="Count", value=1)
        return "superseded"
    if manifest is not None:
        failed = sum(a["status"] == "failed" for a in manifest["accounts"])
        logger.info("run closed", extra={"accounts": len(manifest["accounts"]), "failed_accounts": failed})
    return "closed" if manifest else "already closed"


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
