"""Bedrock imported models and the role their import job ran as (the listing lacks the job, the
model lacks the role: one GetImportedModel and one GetModelImportJob per model)."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each, unless
from idcensus.collect.resources.bedrock_custom_models import NO_JOB
from idcensus.model.records import Item
from idcensus.model.resources import BedrockImportedModel

Raw = list[tuple[dict, str | None]]  # (GetImportedModel's answer, its job's roleArn)


def get_imported_model(client, arn: str) -> tuple[dict, str | None]:
    model = client.get_imported_model(modelIdentifier=arn)
    job = unless(NO_JOB, lambda: client.get_model_import_job(jobIdentifier=model["jobArn"])) if model.get("jobArn") else None
    return model, (job or {}).get("roleArn")


def get(ctx: Context, region: str | None) -> Raw:
    client = ctx.client("bedrock", region)
    summaries = paginate(client, "list_imported_models", "modelSummaries")
    return each(lambda m: get_imported_model(client, m["modelArn"]), summaries, ctx.workers)


def transform(raw: Raw, scope: Scope) -> list[Item]:
    return [("resource.bedrock.imported_model", m["modelArn"], BedrockImportedModel(
        arn=m["modelArn"], region=scope.region, name=m["modelName"], job_arn=m.get("jobArn"),
        architecture=m.get("modelArchitecture"), roles=[role] if role else [])) for m, role in raw]
