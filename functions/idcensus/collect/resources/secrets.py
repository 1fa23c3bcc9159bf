"""Secrets Manager secrets and their resource policies."""

from __future__ import annotations

from idcensus.collect.documents import policy_document
from idcensus.collect.resources.base import Context, paginate, policies, readable
from idcensus.model.records import Item
from idcensus.model.resources import Secret

CAPABILITY = "resources.secretsmanager.secrets"


def get_secrets(sm) -> list[dict]:
    return paginate(sm, "list_secrets", "SecretList")


def get_policy(sm, arn: str) -> dict | None:
    text = sm.get_resource_policy(SecretId=arn).get("ResourcePolicy")  # absent when there is none
    return policy_document(text) if text else None


def collect(ctx: Context, region: str | None) -> list[Item]:
    sm = ctx.clients.get("secretsmanager", region)
    secrets = get_secrets(sm)
    results = policies(lambda s: get_policy(sm, s["ARN"]), secrets, ctx.workers)
    return [
        ("resource.secretsmanager.secret", s["ARN"], Secret(
            arn=s["ARN"], region=region, name=s["Name"], kms_key_id=s.get("KmsKeyId"),
            policy=policy, policy_refused=refused, external_principals=ctx.external(policy),
        ))
        for s, (policy, refused) in zip(secrets, map(readable, results), strict=True)
    ]
