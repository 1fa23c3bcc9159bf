"""ECR repositories and their repository policies."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, policies, readable, unless
from idcensus.collect.documents import policy_document, timestamp
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import EcrRepository

# No policy, or the repository went away between the listing and the read.
NO_POLICY = frozenset({"RepositoryPolicyNotFoundException", "RepositoryNotFoundException"})
Raw = list[tuple[dict, dict | Refused | None]]  # (DescribeRepositories entry, its policy)


def get_policy(ecr, repo: dict) -> dict | None:
    found = unless(NO_POLICY, lambda: ecr.get_repository_policy(repositoryName=repo["repositoryName"],
                                                                 registryId=repo["registryId"]))
    return policy_document(found["policyText"]) if found and found.get("policyText") else None


def get(ctx: Context, region: str | None) -> Raw:
    ecr = ctx.client("ecr", region)
    repos = paginate(ecr, "describe_repositories", "repositories")
    return list(zip(repos, policies(lambda r: get_policy(ecr, r), repos, ctx.workers), strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for r, result in raw:
        policy, refused = readable(result)
        items.append(("resource.ecr.repository", r["repositoryArn"], EcrRepository(
            arn=r["repositoryArn"], region=scope.region, name=r["repositoryName"], uri=r.get("repositoryUri"),
            created_at=timestamp(r.get("createdAt")), image_tag_mutability=r.get("imageTagMutability"),
            policy=policy, policy_refused=refused, external_principals=external_principals(policy, scope.org),
        )))
    return items
