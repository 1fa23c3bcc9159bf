"""EKS clusters: the cluster role and the access entries with their access policies."""

from __future__ import annotations

from idcensus.collect.resources.base import Context, each, paginate
from idcensus.collect.resources.policies import account_of
from idcensus.model.records import Item
from idcensus.model.resources import AccessEntry, AccessPolicy, EksCluster

CAPABILITY = "resources.eks.clusters"


def get_clusters(eks) -> list[str]:
    return paginate(eks, "list_clusters", "clusters")


def get_access_entries(eks, cluster: str, workers: int) -> list[AccessEntry]:
    principals = paginate(eks, "list_access_entries", "accessEntries", clusterName=cluster)

    def one(principal: str) -> AccessEntry:
        entry = eks.describe_access_entry(clusterName=cluster, principalArn=principal)["accessEntry"]
        policies = paginate(eks, "list_associated_access_policies", "associatedAccessPolicies",
                            clusterName=cluster, principalArn=principal)
        return AccessEntry(
            principal_arn=principal, type=entry.get("type"), username=entry.get("username"),
            kubernetes_groups=sorted(entry.get("kubernetesGroups", [])),
            access_policies=[
                AccessPolicy(policy_arn=p["policyArn"], scope_type=(p.get("accessScope") or {}).get("type"),
                             namespaces=sorted((p.get("accessScope") or {}).get("namespaces", [])))
                for p in policies
            ],
        )

    return each(one, principals, workers)


def get_cluster(eks, name: str, workers: int) -> tuple[dict, list[AccessEntry]]:
    cluster = eks.describe_cluster(name=name)["cluster"]
    mode = (cluster.get("accessConfig") or {}).get("authenticationMode")
    # CONFIG_MAP-only clusters have no access entries (the listing would be refused).
    entries = [] if mode == "CONFIG_MAP" else get_access_entries(eks, name, workers)
    return cluster, entries


def collect(ctx: Context, region: str | None) -> list[Item]:
    eks = ctx.clients.get("eks", region)
    # Clusters are few: one at a time, each fanning out over its entries.
    clusters = [get_cluster(eks, name, ctx.workers) for name in get_clusters(eks)]
    items: list[Item] = []
    for c, entries in clusters:
        outside = sorted({e.principal_arn for e in entries
                          if (acct := account_of(e.principal_arn)) and not ctx.org.internal_account(acct)})
        items.append(("resource.eks.cluster", c["arn"], EksCluster(
            arn=c["arn"], region=region, name=c["name"], roles=[c["roleArn"]] if c.get("roleArn") else [],
            authentication_mode=(c.get("accessConfig") or {}).get("authenticationMode"),
            access_entries=entries, external_principals=outside,
        )))
    return items
