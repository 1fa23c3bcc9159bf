"""KMS key policies of customer-managed keys.

AWS-managed keys (alias/aws/*) are listed but their policies are not read: AWS writes them, the
customer cannot change them, and they only admit this account's principals via the service.
Skipping them saves a call per key per region. They are told apart by the one alias listing per
region instead of a DescribeKey per key.
"""

from __future__ import annotations

from idcensus.collect.documents import policy_document
from idcensus.collect.resources.base import Context, paginate, policies, readable
from idcensus.model.records import Item
from idcensus.model.resources import KmsKey

CAPABILITY = "resources.kms.keys"


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


def collect(ctx: Context, region: str | None) -> list[Item]:
    kms = ctx.clients.get("kms", region)
    keys = get_keys(kms)
    aliases = get_aliases(kms)
    managed = {k["KeyId"] for k in keys if any(a.startswith("alias/aws/") for a in aliases.get(k["KeyId"], []))}
    customer = [k["KeyId"] for k in keys if k["KeyId"] not in managed]
    read = dict(zip(customer, policies(lambda key_id: get_policy(kms, key_id), customer, ctx.workers), strict=True))
    items: list[Item] = []
    for k in keys:
        policy, refused = readable(read.get(k["KeyId"]))
        names = aliases.get(k["KeyId"], [])
        items.append(("resource.kms.key", k["KeyArn"], KmsKey(
            arn=k["KeyArn"], region=region, name=names[0].removeprefix("alias/") if names else k["KeyId"],
            key_id=k["KeyId"], aws_managed=k["KeyId"] in managed, aliases=names,
            policy=policy, policy_refused=refused, external_principals=ctx.external(policy),
        )))
    return items
