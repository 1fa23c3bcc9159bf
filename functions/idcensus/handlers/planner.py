"""Scheduled: open a run and enqueue one message per ACTIVE account."""

from aws_lambda_powertools.utilities.parser import parse

from idcensus.handlers import runtime
from idcensus.handlers.inputs import ScheduleTick
from idcensus.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    tick = parse(event=event, model=ScheduleTick)
    logger.append_keys(tick_id=tick.id)
    planned = runtime.pipeline().plan()
    metrics.add_metric(name="AccountsPlanned", unit="Count", value=planned["accounts"])
    logger.info("run planned", extra=planned)
    return planned
