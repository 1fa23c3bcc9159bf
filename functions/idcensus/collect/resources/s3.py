"""S3 bucket policies: one global listing, then each bucket's policy from its own region."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, policies, readable, unless
from idcensus.collect.documents import policy_document, timestamp
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import S3Bucket

NO_POLICY = frozenset({"NoSuchBucketPolicy"})
Raw = list[tuple[dict, dict | Refused | None]]  # (ListBuckets entry, its policy)


def get_buckets(s3) -> list[dict]:
    return paginate(s3, "list_buckets", "Buckets")


def get_policy(s3, bucket: str) -> dict | None:
    found = unless(NO_POLICY, lambda: s3.get_bucket_policy(Bucket=bucket))
    return policy_document(found["Policy"]) if found else None


def get(ctx: Context, region: str | None) -> Raw:
    buckets = get_buckets(ctx.client("s3", region))
    # ListBuckets names each bucket's region: asking there avoids a redirect per bucket.
    results = policies(lambda b: get_policy(ctx.client("s3", b.get("BucketRegion") or region), b["Name"]),
                       buckets, ctx.workers)
    return list(zip(buckets, results, strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for b, result in raw:
        policy, refused = readable(result)
        arn = f"arn:{scope.partition}:s3:::{b['Name']}"
        items.append(("resource.s3.bucket", arn, S3Bucket(
            arn=arn, region=b.get("BucketRegion"), name=b["Name"], created_at=timestamp(b.get("CreationDate")),
            policy=policy, policy_refused=refused, external_principals=external_principals(policy, scope.org),
        )))
    return items
