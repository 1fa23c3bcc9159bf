"""SNS topics and their access policies."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, policies, readable
from idcensus.collect.documents import policy_document
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import SnsTopic

Raw = list[tuple[str, dict | Refused]]  # (topic ARN, GetTopicAttributes' Attributes)


def get(ctx: Context, region: str | None) -> Raw:
    sns = ctx.client("sns", region)
    arns = [t["TopicArn"] for t in paginate(sns, "list_topics", "Topics")]
    # The listing has ARNs only: the policy is one attribute among those one Get returns.
    read = policies(lambda arn: sns.get_topic_attributes(TopicArn=arn)["Attributes"], arns, ctx.workers)
    return list(zip(arns, read, strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for arn, result in raw:
        attributes, refused = readable(result)
        attributes = attributes or {}
        policy = policy_document(attributes["Policy"]) if attributes.get("Policy") else None
        items.append(("resource.sns.topic", arn, SnsTopic(
            arn=arn, region=scope.region, name=arn.rsplit(":", 1)[1], display_name=attributes.get("DisplayName") or None,
            kms_key_id=attributes.get("KmsMasterKeyId"), policy=policy, policy_refused=refused,
            external_principals=external_principals(policy, scope.org),
        )))
    return items
