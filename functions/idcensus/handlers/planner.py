"""Scheduled: open a run and enqueue one message per ACTIVE account."""

from idcensus.observability import logger, metrics, tracer
from idcensus.pipeline import Pipeline
from idcensus.settings import Settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    planned = Pipeline(Settings.from_env()).plan()
    metrics.add_metric(name="AccountsPlanned", unit="Count", value=planned["accounts"])
    logger.info("run planned", extra=planned)
    return planned
