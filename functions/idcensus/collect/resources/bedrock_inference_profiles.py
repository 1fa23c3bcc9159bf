"""Bedrock application inference profiles: the customer's own (AWS's system-defined profiles are the
same catalog in every account, so they are not listed)."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope
from idcensus.model.records import Item
from idcensus.model.resources import BedrockInferenceProfile


def get(ctx: Context, region: str | None) -> list[dict]:
    return paginate(ctx.client("bedrock", region), "list_inference_profiles", "inferenceProfileSummaries",
                    typeEquals="APPLICATION")


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    return [("resource.bedrock.inference_profile", p["inferenceProfileArn"], BedrockInferenceProfile(
        arn=p["inferenceProfileArn"], region=scope.region, name=p["inferenceProfileName"],
        profile_id=p["inferenceProfileId"], type=p.get("type"), status=p.get("status"),
        models=sorted(m["modelArn"] for m in p.get("models", []) if m.get("modelArn")))) for p in raw]
