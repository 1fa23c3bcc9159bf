"""KMS key policies of customer-managed keys.

AWS-managed keys (alias/aws/*) are listed but their policies are not read: AWS writes them, the
customer cannot change them, and they only admit this account's principals via the service.
Skipping them saves a call per key per region. They are told apart by the one alias listing per
region instead of a DescribeKey per key.
"""

from __future__ import annotations

from dataclasses import dataclass

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, policies, readable
from idcensus.collect.documents import policy_document
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import KmsKey


@dataclass(frozen=True)
class Raw:
    keys: list[dict]  # ListKeys entries
    aliases: dict[str, list[str]]  # alias names by key ID
    policies: dict[str, dict | Refused]  # key policy by key ID, customer-managed keys only


def get_keys(kms) -> list[dict]:
    return paginate(kms, "list_keys", "Keys")


def get_aliases(kms) -> dict[str, list[str]]:
    aliases: dict[str, list[str]] = {}
    for a in paginate(kms, "list_aliases", "Aliases"):
        if a.get("TargetKeyId"):
            aliases.setdefault(a["TargetKeyId"], []).append(a["AliasName"])
    return {k: sorted(v) for k, v in aliases.items()}


def get_policy(kms, key_id: str) -> dict:
    return policy_document(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])


def aws_managed(keys: list[dict], aliases: dict[str, list[str]]) -> set[str]:
    """IDs of the keys AWS manages: those behind an alias/aws/* alias."""
    return {k["KeyId"] for k in keys if any(a.startswith("alias/aws/") for a in aliases.get(k["KeyId"], []))}


def get(ctx: Context, region: str | None) -> Raw:
    kms = ctx.client("kms", region)
    keys = get_keys(kms)
    aliases = get_aliases(kms)
    managed = aws_managed(keys, aliases)
    customer = [k["KeyId"] for k in keys if k["KeyId"] not in managed]
    read = policies(lambda key_id: get_policy(kms, key_id), customer, ctx.workers)
    return Raw(keys=keys, aliases=aliases, policies=dict(zip(customer, read, strict=True)))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    managed = aws_managed(raw.keys, raw.aliases)
    items: list[Item] = []
    for k in raw.keys:
        policy, refused = readable(raw.policies.get(k["KeyId"]))
        names = raw.aliases.get(k["KeyId"], [])
        items.append(("resource.kms.key", k["KeyArn"], KmsKey(
            arn=k["KeyArn"], region=scope.region, name=names[0].removeprefix("alias/") if names else k["KeyId"],
            key_id=k["KeyId"], aws_managed=k["KeyId"] in managed, aliases=names,
            policy=policy, policy_refused=refused, external_principals=external_principals(policy, scope.org),
        )))
    return items
