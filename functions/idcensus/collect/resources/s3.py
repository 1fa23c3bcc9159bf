"""S3 bucket policies: one global listing, then each bucket's policy from its own region."""

from __future__ import annotations

from idcensus.collect.documents import policy_document, timestamp
from idcensus.collect.resources.base import Context, paginate, policies, readable, unless
from idcensus.model.records import Item
from idcensus.model.resources import S3Bucket

CAPABILITY = "resources.s3.buckets"
NO_POLICY = frozenset({"NoSuchBucketPolicy"})


def get_buckets(s3) -> list[dict]:
    return paginate(s3, "list_buckets", "Buckets")


def get_policy(s3, bucket: str) -> dict | None:
    found = unless(NO_POLICY, lambda: s3.get_bucket_policy(Bucket=bucket))
    return policy_document(found["Policy"]) if found else None


def collect(ctx: Context, region: str | None) -> list[Item]:
    buckets = get_buckets(ctx.clients.get("s3", region))
    # ListBuckets names each bucket's region: asking there avoids a redirect per bucket.
    results = policies(lambda b: get_policy(ctx.clients.get("s3", b.get("BucketRegion") or region), b["Name"]),
                       buckets, ctx.workers)
    return [
        ("resource.s3.bucket", f"arn:aws:s3:::{b['Name']}", S3Bucket(
            arn=f"arn:aws:s3:::{b['Name']}", region=b.get("BucketRegion"), name=b["Name"],
            created_at=timestamp(b.get("CreationDate")), policy=policy, policy_refused=refused,
            external_principals=ctx.external(policy),
        ))
        for b, (policy, refused) in zip(buckets, map(readable, results), strict=True)
    ]
