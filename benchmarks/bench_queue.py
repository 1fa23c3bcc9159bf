"""Benchmark: an organization of 50 accounts x 100 principals through the queue path
(planner -> SQS -> account collector -> finisher) on a moto server in a separate process.

    .venv/bin/python benchmarks/bench_queue.py [--accounts 50] [--users 60 --roles 30 --groups 10]

Prints wall time per stage, per-account collector latency (p50/p95/max) and API calls by operation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).parent))
from bench_collect import start_server  # noqa: E402

from idcensus.aws import ClientFactory  # noqa: E402
from idcensus.pipeline import Pipeline  # noqa: E402
from idcensus.settings import Settings  # noqa: E402
from idcensus_emulator.gaps import Recorded  # noqa: E402
from idcensus_emulator.local import configure  # noqa: E402
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, create_read_role, member_session, trust  # noqa: E402


def seed_org(accounts: int, users: int, roles: int, groups: int) -> list[str]:
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    management = boto3.client("sts").get_caller_identity()["Account"]
    ids = [management] + [
        org.create_account(AccountName=f"acct{n}", Email=f"a{n}@example.com")["CreateAccountStatus"]["AccountId"]
        for n in range(accounts - 1)
    ]

    def one(account_id):
        iam = member_session(account_id, management).client("iam")
        create_read_role(iam, management)
        for g in range(groups):
            iam.create_group(GroupName=f"g{g}")
        for u in range(users):
            iam.create_user(UserName=f"u{u}")
            iam.add_user_to_group(GroupName=f"g{u % groups}", UserName=f"u{u}")
            if u % 3 == 0:
                iam.create_access_key(UserName=f"u{u}")
        for r in range(roles):
            iam.create_role(RoleName=f"r{r}", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, ids))
    return ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--roles", type=int, default=30)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="collector invocations at once")
    args = parser.parse_args()
    proc = start_server()
    try:
        t = time.perf_counter()
        ids = seed_org(args.accounts, args.users, args.roles, args.groups)
        print(f"seeded {len(ids)} accounts x {args.users + args.roles + args.groups} principals "
              f"in {time.perf_counter() - t:.1f}s")
        configure("bench-queue", "bench-queue", READ_ROLE, EXTERNAL_ID)
        factory = ClientFactory.from_environment(hooks=Recorded().hooks())
        pipeline = Pipeline(Settings.from_env(), factory)
        sqs = boto3.client("sqs")
        url = Settings.from_env().account_queue_url

        start = time.perf_counter()
        run = pipeline.plan()
        planned = time.perf_counter()
        messages = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in batch:
                messages.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

        local = threading.local()  # one Pipeline per thread, as each Lambda invocation has its own

        def collect(message):
            if not hasattr(local, "pipeline"):
                local.pipeline = Pipeline(Settings.from_env(), factory)
            t0 = time.perf_counter()
            status = local.pipeline.collect(message)
            return status, time.perf_counter() - t0

        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(collect, messages))
        collected = time.perf_counter()
        finish = sqs.receive_message(QueueUrl=Settings.from_env().finish_queue_url).get("Messages", [])
        manifest = pipeline.close(json.loads(finish[0]["Body"])["run_id"]) if finish else None
        done = time.perf_counter()

        latencies = sorted(s for _, s in results)
        calls = factory.counter.calls
        principals = len(ids) * (args.users + args.roles + args.groups)
        print(f"run {run['run_id']}: {len(messages)} account messages, statuses "
              f"{ {s: sum(r == s for r, _ in results) for s in {r for r, _ in results}} }, "
              f"manifest {'written' if manifest else 'MISSING'} with {len(manifest['files']) if manifest else 0} files")
        print(f"wall: plan {planned - start:.2f}s, collect {collected - planned:.1f}s "
              f"({args.concurrency} at once), close {done - collected:.2f}s, total {done - start:.1f}s")
        print(f"per-account collector latency: p50 {statistics.median(latencies):.2f}s, "
              f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.2f}s, max {latencies[-1]:.2f}s")
        total = sum(calls.values())
        print(f"API calls: {total} total, {total / len(ids):.1f} per account, {total / principals:.3f} per principal")
        for op, n in sorted(calls.items(), key=lambda kv: -kv[1]):
            print(f"  {op:45s} {n:6d}")
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
