"""IAM Access Analyzer: the analyzers of each region and their ACTIVE findings, as the analyzer
reports them (read, never recomputed).

One ListAnalyzers per region, then one paginated finding listing per analyzer: ListFindings for
external-access analyzers (its summaries carry principal, action and condition, so no per-finding
Get), ListFindingsV2 for unused- and internal-access ones (its summaries carry the finding type).
"""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each
from idcensus.collect.documents import timestamp
from idcensus.model.governance import AccessAnalyzer, AccessAnalyzerFinding
from idcensus.model.records import Item

EXTERNAL = frozenset({"ACCOUNT", "ORGANIZATION"})  # the analyzer types whose findings are external access
ACTIVE = {"status": {"eq": ["ACTIVE"]}}
Raw = list[tuple[dict, list[dict]]]  # (ListAnalyzers entry, its ACTIVE findings)


def get(ctx: Context, region: str | None) -> Raw:
    client = ctx.client("accessanalyzer", region)
    analyzers = paginate(client, "list_analyzers", "analyzers")

    def findings(a: dict) -> list[dict]:
        if a.get("status") not in (None, "ACTIVE"):
            return []  # creating or disabled: no findings to read yet
        operation = "list_findings" if a["type"] in EXTERNAL else "list_findings_v2"
        return paginate(client, operation, "findings", analyzerArn=a["arn"], filter=ACTIVE)

    return list(zip(analyzers, each(findings, analyzers, ctx.workers), strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    return [("accessanalyzer.analyzer", a["arn"], AccessAnalyzer(
        arn=a["arn"], name=a["name"], region=scope.region or "", type=a["type"], status=a.get("status"),
        created_at=timestamp(a.get("createdAt")), last_resource_analyzed_at=timestamp(a.get("lastResourceAnalyzedAt")),
        active_findings=sorted((finding(f, a["type"]) for f in found), key=lambda f: f.id),
    )) for a, found in raw]


def finding(f: dict, analyzer_type: str) -> AccessAnalyzerFinding:
    return AccessAnalyzerFinding(
        id=f["id"], type=f.get("findingType") or ("ExternalAccess" if analyzer_type in EXTERNAL else None),
        resource=f.get("resource"), resource_type=f.get("resourceType"), status=f.get("status") or "ACTIVE",
        principal=f.get("principal") or {}, action=sorted(f.get("action") or []), is_public=f.get("isPublic"),
        condition=f.get("condition") or {}, created_at=timestamp(f.get("createdAt")),
        updated_at=timestamp(f.get("updatedAt")), resource_owner_account=f.get("resourceOwnerAccount"),
    )
