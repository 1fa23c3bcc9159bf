"""Lambda functions: execution role and resource policy."""

from __future__ import annotations

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Refused, Scope, policies, readable, unless
from idcensus.collect.documents import policy_document
from idcensus.collect.resources.policies import external_principals
from idcensus.model.records import Item
from idcensus.model.resources import LambdaFunction

# A function without a policy answers ResourceNotFoundException, as does one deleted mid-run.
NO_POLICY = frozenset({"ResourceNotFoundException"})
Raw = list[tuple[dict, dict | Refused | None]]  # (ListFunctions entry, its policy)


def get_functions(lam) -> list[dict]:
    return paginate(lam, "list_functions", "Functions")


def get_policy(lam, function_arn: str) -> dict | None:
    found = unless(NO_POLICY, lambda: lam.get_policy(FunctionName=function_arn))
    return policy_document(found["Policy"]) if found else None


def get(ctx: Context, region: str | None) -> Raw:
    lam = ctx.client("lambda", region)
    functions = get_functions(lam)
    return list(zip(functions, policies(lambda f: get_policy(lam, f["FunctionArn"]), functions, ctx.workers),
                    strict=True))


def transform(raw: Raw, scope: Scope) -> list[Item]:
    items: list[Item] = []
    for f, result in raw:
        policy, refused = readable(result)
        items.append(("resource.lambda.function", f["FunctionArn"], LambdaFunction(
            arn=f["FunctionArn"], region=scope.region, name=f["FunctionName"], runtime=f.get("Runtime"),
            roles=[f["Role"]] if f.get("Role") else [], policy=policy, policy_refused=refused,
            external_principals=external_principals(policy, scope.org),
        )))
    return items
