"""Lambda functions: execution role and resource policy."""

from __future__ import annotations

from idcensus.collect.documents import policy_document
from idcensus.collect.resources.base import Context, paginate, policies, readable, unless
from idcensus.model.records import Item
from idcensus.model.resources import LambdaFunction

CAPABILITY = "resources.lambda.functions"
# A function without a policy answers ResourceNotFoundException, as does one deleted mid-run.
NO_POLICY = frozenset({"ResourceNotFoundException"})


def get_functions(lam) -> list[dict]:
    return paginate(lam, "list_functions", "Functions")


def get_policy(lam, function_arn: str) -> dict | None:
    found = unless(NO_POLICY, lambda: lam.get_policy(FunctionName=function_arn))
    return policy_document(found["Policy"]) if found else None


def collect(ctx: Context, region: str | None) -> list[Item]:
    lam = ctx.clients.get("lambda", region)
    functions = get_functions(lam)
    results = policies(lambda f: get_policy(lam, f["FunctionArn"]), functions, ctx.workers)
    return [
        ("resource.lambda.function", f["FunctionArn"], LambdaFunction(
            arn=f["FunctionArn"], region=region, name=f["FunctionName"], runtime=f.get("Runtime"),
            roles=[f["Role"]] if f.get("Role") else [], policy=policy, policy_refused=refused,
            external_principals=ctx.external(policy),
        ))
        for f, (policy, refused) in zip(functions, map(readable, results), strict=True)
    ]
