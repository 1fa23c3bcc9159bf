"""Bedrock provisioned throughput (one paginated listing per region)."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope
from idcensus.collect.documents import timestamp
from idcensus.model.records import Item
from idcensus.model.resources import BedrockProvisionedThroughput


def get(ctx: Context, region: str | None) -> list[dict]:
    return paginate(ctx.client("bedrock", region), "list_provisioned_model_throughputs", "provisionedModelSummaries")


def transform(raw: list[dict], scope: Scope) -> list[Item]:
    return [("resource.bedrock.provisioned_throughput", p["provisionedModelArn"], BedrockProvisionedThroughput(
        arn=p["provisionedModelArn"], region=scope.region, name=p["provisionedModelName"], model_arn=p.get("modelArn"),
        foundation_model_arn=p.get("foundationModelArn"), model_units=p.get("modelUnits"), status=p.get("status"),
        commitment_duration=p.get("commitmentDuration"),
        commitment_expires_at=timestamp(p.get("commitmentExpirationTime")))) for p in raw]
