"""SQS queues and their access policies."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, partition, policies, readable
from idcensus.collect.documents import policy_document
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import SqsQueue

ATTRIBUTES = ["Policy", "QueueArn", "KmsMasterKeyId", "SqsManagedSseEnabled"]
Raw = list[tuple[str, dict | Refused]]  # (queue URL, GetQueueAttributes' Attributes)


def get(ctx: Context, region: str | None) -> Raw:
    sqs = ctx.client("sqs", region)
    urls = paginate(sqs, "list_queues", "QueueUrls")
    read = policies(lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES).get("Attributes", {}),
                    urls, ctx.workers)
    return list(zip(urls, read, strict=True))


def queue_arn(url: str, region: str | None) -> str:
    """From a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), for a queue whose attributes were refused."""
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:{partition(region)}:sqs:{region}:{account}:{name}"


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for url, result in raw:
        attributes, refused = readable(result)
        attributes = attributes or {}
        arn = attributes.get("QueueArn") or queue_arn(url, scope.region)
        policy = policy_document(attributes["Policy"]) if attributes.get("Policy") else None
        items.append(("resource.sqs.queue", arn, SqsQueue(
            arn=arn, region=scope.region, name=arn.rsplit(":", 1)[1], url=url,
            kms_key_id=attributes.get("KmsMasterKeyId"), policy=policy, policy_refused=refused,
            external_principals=external_principals(policy, scope.org),
        )))
    return items
