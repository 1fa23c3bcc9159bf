"""Benchmark: collection of one account on a moto server, against a per-principal baseline.

    make bench            (or: .venv/bin/python benchmarks/bench_collect.py [--skip-memory])

Prints API calls by operation, calls per principal, wall time, IAM calls per principal of a first
and of an unchanged second run (which reuses the state table), DynamoDB items written by an
unchanged second run, and peak Python memory collecting 10,000 users + 5,000 roles.
The moto server runs as a separate process, so memory figures are idcensus's own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import boto3

from idcensus.aws import ClientFactory
from idcensus.census import run_census, to_records
from idcensus.collect.account import collect_account
from idcensus.collect.contract import AccountInfo
from idcensus.store.export import Exporter
from idcensus.store.setup import ensure_bucket, ensure_table
from idcensus.store.state import StateTable
from idcensus_emulator.gaps import GapAnswers
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, allow, create_read_role, policy, trust
from idcensus_emulator.server import free_port

ACCOUNT = "123456789012"


def start_server():
    port = free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})
    for _ in range(100):
        try:
            boto3.client("sts").get_caller_identity()
            return proc
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.1)
    raise SystemExit("moto server did not start")


def reset(endpoint):
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).read()


def seed(users=500, roles=200, groups=20, policies=30, key_share=0.7, password_share=0.6, workers=8):
    iam = boto3.client("iam")
    arns = [iam.create_policy(PolicyName=f"cp{n}", PolicyDocument=policy(allow(f"s3:Get{n}")))["Policy"]["Arn"]
            for n in range(policies)]
    for g in range(groups):
        iam.create_group(GroupName=f"g{g}")
        iam.attach_group_policy(GroupName=f"g{g}", PolicyArn=arns[g % policies])

    def user(n):
        rnd = random.Random(n)  # per user, so thread order does not change the shape
        name = f"user{n:05d}"
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName=f"g{n % groups}", UserName=name)
        if rnd.random() < key_share:
            iam.create_access_key(UserName=name)
        if rnd.random() < password_share:
            iam.create_login_profile(UserName=name, Password="Bench-Passw0rd!")
            if n % 2:
                serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
                iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                                      AuthenticationCode2="654321")

    def role(n):
        iam.create_role(RoleName=f"role{n:05d}", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
        iam.attach_role_policy(RoleName=f"role{n:05d}", PolicyArn=arns[n % policies])

    def retried(fn):
        def call(n):
            for attempt in range(5):  # moto's server occasionally answers 500 under concurrent writes
                try:
                    return fn(n)
                except iam.exceptions.EntityAlreadyExistsException:
                    return None
                except Exception:  # noqa: BLE001
                    if attempt == 4:
                        raise
                    time.sleep(0.2)
        return call

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(retried(user), range(users)))
        list(pool.map(retried(role), range(roles)))
    create_read_role(iam, ACCOUNT)


def baseline_collect(factory: ClientFactory) -> int:
    """A per-principal collector (list, then ask about each principal), as many tools do."""
    iam = factory.client("iam")
    n = 0

    def pages(op, key, **kw):
        return [x for p in iam.get_paginator(op).paginate(**kw) for x in p[key]]

    users = pages("list_users", "Users")
    roles = pages("list_roles", "Roles")
    groups = pages("list_groups", "Groups")
    pages("list_policies", "Policies", Scope="Local")
    for u in users:
        name = u["UserName"]
        pages("list_access_keys", "AccessKeyMetadata", UserName=name)
        pages("list_mfa_devices", "MFADevices", UserName=name)
        pages("list_groups_for_user", "Groups", UserName=name)
        pages("list_attached_user_policies", "AttachedPolicies", UserName=name)
        pages("list_user_policies", "PolicyNames", UserName=name)
        try:
            iam.get_login_profile(UserName=name)
        except iam.exceptions.NoSuchEntityException:
            pass
        n += 1
    for r in roles:
        pages("list_attached_role_policies", "AttachedPolicies", RoleName=r["RoleName"])
        pages("list_role_policies", "PolicyNames", RoleName=r["RoleName"])
    for g in groups:
        pages("list_attached_group_policies", "AttachedPolicies", GroupName=g["GroupName"])
        pages("list_group_policies", "PolicyNames", GroupName=g["GroupName"])
    return len(users) + len(roles) + len(groups)


def shape_run():
    print("== shape: 1 account, 500 users (~70% keys, ~60% passwords, half MFA), 200 roles, 20 groups, 30 policies")
    t = time.perf_counter()
    seed()
    print(f"seeded in {time.perf_counter() - t:.1f}s")
    gaps = GapAnswers().hooks()

    base = ClientFactory(hooks=gaps)
    t = time.perf_counter()
    principals = baseline_collect(base)
    base_wall = time.perf_counter() - t
    base_calls = base.counter.total()

    ddb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    ensure_table(ddb, "bench", True)
    ensure_bucket(s3, "bench", "us-east-1", True)
    state = StateTable(boto3.resource("dynamodb"), "bench")
    exporter = Exporter(s3, "bench")

    factory = ClientFactory(hooks=gaps)
    t = time.perf_counter()
    result = collect_account(factory, AccountInfo(ACCOUNT), max_workers=8)
    collect_wall = time.perf_counter() - t
    calls = dict(sorted(factory.counter.calls.items()))
    total = sum(calls.values())
    print(f"principals (users+roles+groups): {principals}; records built: {len(to_records(result, 'r', 't'))}")
    print("idcensus API calls by operation:")
    for op, n in calls.items():
        print(f"  {op:45s} {n:6d}")
    per_user = sum(calls.get(f"iam.{op}", 0) for op in ("ListAccessKeys", "ListMFADevices", "ListSigningCertificates",
                                                          "ListSSHPublicKeys"))
    print(f"idcensus: {total} calls = {total / principals:.3f} per principal ({per_user} per-user key, MFA, "
          f"certificate and SSH key listings, {calls.get('iam.GetPolicy', 0)} policy descriptions); "
          f"collect wall {collect_wall:.2f}s")
    print(f"baseline (per-principal listing): {base_calls} calls = {base_calls / principals:.3f} per principal; "
          f"wall {base_wall:.2f}s")
    print(f"ratio idcensus/baseline: calls {total / base_calls:.3f}, wall {collect_wall / base_wall:.3f}")

    def once():
        f = ClientFactory(hooks=gaps)
        t = time.perf_counter()
        summary = run_census(f, [AccountInfo(ACCOUNT)], role_name=READ_ROLE, external_id=EXTERNAL_ID,
                             state=state, exporter=exporter)
        iam = {op: n for op, n in f.counter.calls.items() if op.startswith("iam.")}
        return summary, time.perf_counter() - t, iam

    first, first_wall, first_iam = once()
    second, second_wall, second_iam = once()
    changes = second.accounts[0].changes
    print(f"full run (collect + DynamoDB + S3): first {first_wall:.2f}s writing {first.items_written} items; "
          f"unchanged second run {second_wall:.2f}s writing {second.items_written} items {json.dumps(changes)}")
    for label, iam in (("first run", first_iam), ("unchanged re-run", second_iam)):
        per = {op: n for op, n in sorted(iam.items()) if n}
        print(f"{label}: {sum(iam.values())} IAM calls = {sum(iam.values()) / principals:.3f} per principal {per}")


def memory_run(users=10_000, roles=5_000):
    print(f"== memory: 1 account, {users} users + {roles} roles")
    t = time.perf_counter()
    seed(users=users, roles=roles, groups=20, policies=30, key_share=0.3, password_share=0.3, workers=8)
    print(f"seeded in {time.perf_counter() - t:.1f}s")
    factory = ClientFactory(hooks=GapAnswers().hooks())
    tracemalloc.start()
    t = time.perf_counter()
    result = collect_account(factory, AccountInfo(ACCOUNT), max_workers=8)
    records = to_records(result, "r", "t")
    wall = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{len(records)} records, {factory.counter.total()} calls, wall {wall:.1f}s, "
          f"peak Python memory {peak / 2**20:.0f} MiB ({peak / len(records) / 1024:.1f} KiB per record)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    proc = start_server()
    try:
        shape_run()
        if not args.skip_memory:
            reset(os.environ["AWS_ENDPOINT_URL"])
            memory_run()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
