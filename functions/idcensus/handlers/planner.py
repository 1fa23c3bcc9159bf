"""Scheduled: open a run and enqueue one message per ACTIVE account; or ({"sweep": true}, every
15 minutes) close runs that stayed open too long, naming the accounts that never reported."""

from aws_lambda_powertools.utilities.parser import parse

from idcensus.handlers import runtime
from idcensus.handlers.inputs import ScheduleTick, SweepRequest
from idcensus.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    if isinstance(event, dict) and "sweep" in event:
        parse(event=event, model=SweepRequest)
        swept = runtime.pipeline().sweep()
        metrics.add_metric(name="OverdueRuns", unit="Count", value=len(swept["overdue_runs"]))
        if swept["overdue_runs"]:
            logger.warning("runs overdue: missing accounts recorded failed", extra=swept)
        return swept
    tick = parse(event=event, model=ScheduleTick)
    logger.append_keys(tick_id=tick.id)
    planned = runtime.pipeline().plan(tick_id=tick.id)
    metrics.add_metric(name="AccountsPlanned", unit="Count", value=planned["accounts"])
    logger.info("run planned", extra=planned)
    return planned
