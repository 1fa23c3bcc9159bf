"""Benchmark: IAM Identity Center collection of one instance in moto (in-process).

    .venv/bin/python benchmarks/bench_identity_center.py [--users 1000 --groups 100 --sets 30
                                                          --assignments 500 --accounts 10]

Seeds one instance (users, groups with memberships, permission sets, assignments spread over
the organization's accounts, the AWSReservedSSO_* roles), collects it once and prints API calls
by operation, the total, wall time and calls per assignment.
"""

from __future__ import annotations

import argparse
import os
import time

for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1", "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}.items():
    os.environ[key] = value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

import boto3  # noqa: E402 - after the environment is pinned to the emulator
from moto import mock_aws  # noqa: E402
from moto.core.botocore_stubber import BotocoreStubber  # noqa: E402

from idcensus.aws import ClientFactory  # noqa: E402
from idcensus.collect.account import collect_items  # noqa: E402
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes  # noqa: E402
from idcensus_emulator.seed_sso import seed_identity_center  # noqa: E402

MANAGEMENT = "123456789012"  # moto's default account


def let_hooks_answer() -> None:
    # In-process moto answers every request even when a gap hook already did; let the hook's stand.
    real = BotocoreStubber.__call__

    def stand_aside(self, event_name, request, **kwargs):
        if getattr(request, "answered_by_hook", False):
            return None
        return real(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = stand_aside


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--groups", type=int, default=100)
    p.add_argument("--sets", type=int, default=30)
    p.add_argument("--assignments", type=int, default=500)
    p.add_argument("--accounts", type=int, default=10)
    a = p.parse_args()
    let_hooks_answer()
    accounts = [MANAGEMENT] + [f"{200000000000 + n:012d}" for n in range(1, a.accounts)]
    with mock_aws():
        t0 = time.perf_counter()
        seeded = seed_identity_center(boto3.Session(), accounts, users=a.users, groups=a.groups,
                                      permission_sets=a.sets, assignments=a.assignments)
        seed_s = time.perf_counter() - t0
        factory = ClientFactory(hooks=seeded["recorded"].hooks(), account_id=MANAGEMENT)
        out = Outcomes()
        t0 = time.perf_counter()
        items = collect_items(factory, AccountInfo(MANAGEMENT), out, CollectOptions(org_accounts=tuple(accounts)),
                              tiers=("identity_center",))
        wall = time.perf_counter() - t0
    counts: dict[str, int] = {}
    for type_, _, _ in items:
        counts[type_] = counts.get(type_, 0) + 1
    linked = sum(1 for t, _, d in items if t == "sso.account_assignment" and d.role_arn)
    calls = factory.counter.calls
    total = sum(calls.values())
    n_assign = counts.get("sso.account_assignment", 0)
    print(f"seeded {a.users} users, {a.groups} groups, {a.sets} permission sets, {len(seeded['assignments'])} "
          f"assignments over {len(accounts)} accounts in {seed_s:.1f} s")
    print(f"capabilities: {out.capabilities}")
    print(f"records: {dict(sorted(counts.items()))}  (assignments with exact role ARN: {linked})")
    print("API calls by operation:")
    for op, n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {op:62s} {n:6d}")
    print(f"total API calls: {total}")
    print(f"wall time: {wall:.2f} s (moto in-process, 8 workers)")
    print(f"calls per assignment: {total / max(n_assign, 1):.2f}  "
          f"(assignment listings only: {calls['sso-admin.ListAccountAssignments'] / max(n_assign, 1):.2f})")


if __name__ == "__main__":
    main()
