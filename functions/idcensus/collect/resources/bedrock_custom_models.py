"""Bedrock custom models and the role their customization job ran as."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each, unless
from idcensus.model.records import Item
from idcensus.model.resources import BedrockCustomModel

# The job was deleted, or lives where this account cannot see it.
NO_JOB = frozenset({"ResourceNotFoundException"})
Raw = list[tuple[dict, str | None]]  # (GetCustomModel's answer, its job's roleArn)


def get_custom_model(client, arn: str, account_id: str) -> tuple[dict, str | None]:
    model = client.get_custom_model(modelIdentifier=arn)
    job_arn = model.get("jobArn") or ""
    # A model copied from another account names a job there, which this account cannot read.
    if not model.get("jobName") or job_arn.split(":")[4:5] != [account_id]:
        return model, None
    # The job's name, not its ARN: equivalent to AWS, and moto does not decode an ARN in the path.
    job = unless(NO_JOB, lambda: client.get_model_customization_job(jobIdentifier=model["jobName"]))
    return model, (job or {}).get("roleArn")


def get(ctx: Context, region: str | None) -> Raw:
    client = ctx.client("bedrock", region)
    summaries = paginate(client, "list_custom_models", "modelSummaries")
    return each(lambda m: get_custom_model(client, m["modelArn"], ctx.account_id), summaries, ctx.workers)


def transform(raw: Raw, scope: Scope) -> list[Item]:
    return [
        ("resource.bedrock.custom_model", m["modelArn"], BedrockCustomModel(
            arn=m["modelArn"], region=scope.region, name=m["modelName"], base_model_arn=m.get("baseModelArn"),
            job_arn=m.get("jobArn"), roles=[role] if role else [],
        ))
        for m, role in raw
    ]
