"""Secrets Manager secrets and their resource policies."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, policies, readable
from idcensus.collect.documents import policy_document
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import Secret

Raw = list[tuple[dict, dict | Refused | None]]  # (ListSecrets entry, its resource policy)


def get_secrets(sm) -> list[dict]:
    return paginate(sm, "list_secrets", "SecretList")


def get_policy(sm, arn: str) -> dict | None:
    text = sm.get_resource_policy(SecretId=arn).get("ResourcePolicy")  # absent when there is none
    return policy_document(text) if text else None


def get(ctx: Context, region: str | None) -> Raw:
    sm = ctx.client("secretsmanager", region)
    secrets = get_secrets(sm)
    return list(zip(secrets, policies(lambda s: get_policy(sm, s["ARN"]), secrets, ctx.workers), strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for s, result in raw:
        policy, refused = readable(result)
        items.append(("resource.secretsmanager.secret", s["ARN"], Secret(
            arn=s["ARN"], region=scope.region, name=s["Name"], kms_key_id=s.get("KmsKeyId"),
            policy=policy, policy_refused=refused, external_principals=external_principals(policy, scope.org),
        )))
    return items
