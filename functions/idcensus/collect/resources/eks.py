"""EKS clusters: the cluster role and the access entries with their access policies."""

from __future__ import annotations

from dataclasses import dataclass, field

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each
from idcensus.collect.resources.policies import account_of
from idcensus.model.records import Item
from idcensus.model.resources import AccessEntry, AccessPolicy, EksCluster


@dataclass(frozen=True)
class Cluster:
    cluster: dict  # DescribeCluster's cluster
    # (principal ARN, DescribeAccessEntry's accessEntry, ListAssociatedAccessPolicies' policies)
    entries: list[tuple[str, dict, list[dict]]] = field(default_factory=list)


def get_clusters(eks) -> list[str]:
    return paginate(eks, "list_clusters", "clusters")


def get_access_entries(eks, cluster: str, workers: int) -> list[tuple[str, dict, list[dict]]]:
    principals = paginate(eks, "list_access_entries", "accessEntries", clusterName=cluster)

    def one(principal: str) -> tuple[str, dict, list[dict]]:
        entry = eks.describe_access_entry(clusterName=cluster, principalArn=principal)["accessEntry"]
        policies = paginate(eks, "list_associated_access_policies", "associatedAccessPolicies",
                            clusterName=cluster, principalArn=principal)
        return principal, entry, policies

    return each(one, principals, workers)


def get_cluster(eks, name: str, workers: int) -> Cluster:
    cluster = eks.describe_cluster(name=name)["cluster"]
    mode = (cluster.get("accessConfig") or {}).get("authenticationMode")
    # CONFIG_MAP-only clusters have no access entries (the listing would be refused).
    return Cluster(cluster, [] if mode == "CONFIG_MAP" else get_access_entries(eks, name, workers))


def get(ctx: Context, region: str | None) -> list[Cluster]:
    eks = ctx.client("eks", region)
    # Clusters are few: one at a time, each fanning out over its entries.
    return [get_cluster(eks, name, ctx.workers) for name in get_clusters(eks)]


def transform(raw: list[Cluster], scope: Scope) -> list[Item]:
    items: list[Item] = []
    for c in raw:
        entries = [transform_entry(*e) for e in c.entries]
        outside = sorted({e.principal_arn for e in entries
                          if (acct := account_of(e.principal_arn)) and not scope.org.internal_account(acct)})
        cluster = c.cluster
        items.append(("resource.eks.cluster", cluster["arn"], EksCluster(
            arn=cluster["arn"], region=scope.region, name=cluster["name"],
            roles=[cluster["roleArn"]] if cluster.get("roleArn") else [],
            authentication_mode=(cluster.get("accessConfig") or {}).get("authenticationMode"),
            access_entries=entries, external_principals=outside,
        )))
    return items


def transform_entry(principal: str, entry: dict, policies: list[dict]) -> AccessEntry:
    return AccessEntry(
        principal_arn=principal, type=entry.get("type"), username=entry.get("username"),
        kubernetes_groups=sorted(entry.get("kubernetesGroups", [])),
        access_policies=[
            AccessPolicy(policy_arn=p["policyArn"], scope_type=(p.get("accessScope") or {}).get("type"),
                         namespaces=sorted((p.get("accessScope") or {}).get("namespaces", [])))
            for p in policies
        ],
    )
