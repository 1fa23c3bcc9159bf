"""Recorded real-shape IAM Access Analyzer answers for an emulated account (moto has no Access
Analyzer): an organization-wide external-access analyzer and an unused-access analyzer, with
ACTIVE and ARCHIVED findings. They go to a `Recorded` for its hooks to answer (gaps.py)."""

from __future__ import annotations

from typing import Any

from idcensus_emulator.gaps import Recorded

OUTSIDER = "444455556666"


def access_analyzers(account_id: str, region: str, org_id: str = "o-example") -> list[dict[str, Any]]:
    base = f"arn:aws:access-analyzer:{region}:{account_id}:analyzer"
    when = "2026-11-02T09:14:07Z"
    external = {"arn": f"{base}/org-external", "name": "org-external", "type": "ORGANIZATION",
                "createdAt": "2025-04-10T12:00:00Z", "lastResourceAnalyzed": f"arn:aws:s3:::idcensus-demo-{account_id}",
                "lastResourceAnalyzedAt": when, "status": "ACTIVE", "tags": {}}
    unused = {"arn": f"{base}/unused-90d", "name": "unused-90d", "type": "ACCOUNT_UNUSED_ACCESS",
              "createdAt": "2025-04-10T12:00:00Z", "status": "ACTIVE", "tags": {},
              "configuration": {"unusedAccess": {"unusedAccessAge": 90}}}
    return [
        {"analyzer": external, "findings": [
            {"id": "5c6f0c1e-0b7a-4b8e-9a57-2f0d8c1a0001", "principal": {"AWS": OUTSIDER},
             "action": ["s3:GetObject"], "resource": f"arn:aws:s3:::idcensus-demo-{account_id}", "isPublic": False,
             "resourceType": "AWS::S3::Bucket", "condition": {}, "createdAt": when, "analyzedAt": when,
             "updatedAt": when, "status": "ACTIVE", "resourceOwnerAccount": account_id,
             "sources": [{"type": "POLICY"}]},
            {"id": "5c6f0c1e-0b7a-4b8e-9a57-2f0d8c1a0002", "principal": {"AWS": "*"}, "action": ["sqs:SendMessage"],
             "resource": f"arn:aws:sqs:{region}:{account_id}:old-intake", "isPublic": True,
             "resourceType": "AWS::SQS::Queue", "condition": {}, "createdAt": when, "analyzedAt": when,
             "updatedAt": when, "status": "ARCHIVED", "resourceOwnerAccount": account_id}]},
        {"analyzer": unused, "findings": [
            {"id": "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d0003", "resource": f"arn:aws:iam::{account_id}:role/vendor-access",
             "resourceType": "AWS::IAM::Role", "resourceOwnerAccount": account_id, "status": "ACTIVE",
             "findingType": "UnusedIAMRole", "createdAt": when, "analyzedAt": when, "updatedAt": when},
            {"id": "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d0004", "resource": f"arn:aws:iam::{account_id}:user/carol",
             "resourceType": "AWS::IAM::User", "resourceOwnerAccount": account_id, "status": "ACTIVE",
             "findingType": "UnusedPermission", "createdAt": when, "analyzedAt": when, "updatedAt": when}]},
    ]


def seed_access_analyzers(account_id: str, regions, recorded: Recorded) -> Recorded:
    for region in regions:
        recorded.access_analyzers[f"{account_id}:{region}"] = access_analyzers(account_id, region)
    return recorded
