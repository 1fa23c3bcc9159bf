"""After deployment (and on demand): check the read role in every ACTIVE account; record the result."""

from idcensus.access_check import run_deployed_check
from idcensus.handlers import runtime
from idcensus.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    result = run_deployed_check(runtime.settings(), runtime.factory())
    metrics.add_metric(name="CheckedAccounts", unit="Count", value=result["accounts"])
    metrics.add_metric(name="Tier1FailedAccounts", unit="Count", value=len(result["tier1_failed"]))
    if result["ok"]:
        logger.info("check passed", extra=result)
    else:
        logger.warning("check found problems", extra=result)
    return result
