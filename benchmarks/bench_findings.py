"""Benchmark: the findings rules over one run's records of a large organization (pure, in-process).

    .venv/bin/python benchmarks/bench_findings.py [--accounts 50] [--principals 1000]

Generates, per account, `principals` IAM principals (60% users with a mix of console, MFA, keys of
every age and groups, 35% roles with every kind of trust, 5% groups) plus customer policies, and an
Identity Center with users, groups, permission sets and assignments over the accounts; then times
findings.run.evaluate (every rule, people matching, finding records) and measures its peak memory
(tracemalloc, in a second pass). Prints the figures; asserts nothing about them.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.findings_records import (  # noqa: E402
    ADMIN_ARN,
    ADMIN_DOC,
    NOW,
    ago,
    allow,
    assignment,
    doc,
    group,
    key,
    permission_set,
    policy,
    role,
    root,
    sso_group,
    sso_instance,
    sso_user,
    trust,
    user,
)

from idcensus.findings.run import evaluate  # noqa: E402

READ = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def account_records(n: int, account: str, principals: int, rnd: random.Random) -> list[dict]:
    users, roles, groups = int(principals * 0.6), int(principals * 0.35), max(1, principals // 20)
    out = [root(account, mfa=rnd.random() > 0.1),
           policy("AdministratorAccess", account, document=ADMIN_DOC, aws_managed=True),
           policy("ReadOnlyAccess", account, document=doc(allow(["s3:Get*", "iam:List*"])), aws_managed=True)]
    out += [policy(f"p{i}", account, document=doc(allow(rnd.choice(
        [["s3:GetObject"], ["iam:PassRole", "lambda:CreateFunction"], ["iam:Put*"], "*", ["ec2:*", "logs:*"]]))))
        for i in range(30)]
    group_names = [f"g{i}" for i in range(groups)]
    members: dict[str, list[str]] = {g: [] for g in group_names}
    for i in range(users):
        name = f"person{i % 400}" if i < 40 else f"u{n}-{i}"  # a few people hold users in many accounts
        gs = rnd.sample(group_names, k=min(2, len(group_names)))
        for g in gs:
            members[g].append(name)
        keys = [key(f"AKIA{n:03d}{i:06d}{k}", created=ago(rnd.randint(1, 400)),
                    used=rnd.choice([None, ago(rnd.randint(0, 200))])) for k in range(rnd.choice([0, 1, 1, 2]))]
        out.append(user(name, account, console=rnd.random() < 0.5, mfa=rnd.random() < 0.6, keys=keys, groups=gs,
                        attached=[f"arn:aws:iam::{account}:policy/p{rnd.randrange(30)}"] if rnd.random() < 0.2 else (),
                        tags={"owner": "team@example.com"} if rnd.random() < 0.7 else {},
                        created=ago(rnd.randint(1, 900)), last_activity=rnd.choice([None, ago(rnd.randint(0, 300))])))
    out += [group(g, account, members=m, attached=[rnd.choice([READ, ADMIN_ARN, f"arn:aws:iam::{account}:policy/p1"])])
            for g, m in members.items()]
    trusts = [trust({"Service": "ec2.amazonaws.com"}), trust({"AWS": "arn:aws:iam::999988887777:root"}),
              trust({"AWS": "arn:aws:iam::999988887777:root"}, {"StringEquals": {"sts:ExternalId": "x"}}),
              trust({"Service": "config.amazonaws.com"}), trust({"AWS": f"arn:aws:iam::{account}:root"})]
    for i in range(roles):
        t = rnd.randrange(len(trusts))
        out.append(role(f"r{i}", account, trust=trusts[t], external=["999988887777"] if t in (1, 2) else [],
                        attached=[rnd.choice([READ, ADMIN_ARN, f"arn:aws:iam::{account}:policy/p{rnd.randrange(30)}"])],
                        last_used=rnd.choice([None, ago(rnd.randint(0, 300))])))
    return out


def identity_center(accounts: list[str], users: int, rnd: random.Random) -> list[dict]:
    mgmt = accounts[0]
    out = [sso_instance(mgmt)]
    out += [sso_user(f"su{i}", f"person{i}" if i < 400 else f"sso{i}", emails=[f"person{i}@example.com"], account=mgmt)
            for i in range(users)]
    groups = [sso_group(f"sg{i}", f"team{i}", members=[f"su{j}" for j in range(i, users, 200)], account=mgmt)
              for i in range(200)]
    sets = [permission_set(f"Set{i}", managed=[ADMIN_ARN if i == 0 else READ], account=mgmt) for i in range(20)]
    out += groups + sets
    out += [assignment(rnd.choice(sets), rnd.choice(accounts), "GROUP", f"sg{rnd.randrange(200)}", account=mgmt)
            for _ in range(2000)]
    return out


def organization_args(doc: str) -> argparse.Namespace:
    """The organization's size from the command line (shared with bench_report.py)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--principals", type=int, default=1000)
    parser.add_argument("--sso-users", type=int, default=5000)
    return parser.parse_args()


def organization(args: argparse.Namespace) -> tuple[list[str], list[dict]]:
    """(account IDs, records) of the generated organization: the same for the same sizes."""
    rnd = random.Random(7)
    accounts = [f"{100000000000 + n:012d}" for n in range(args.accounts)]
    records = [r for n, a in enumerate(accounts) for r in account_records(n, a, args.principals, rnd)]
    return accounts, records + identity_center(accounts, args.sso_users, rnd)


def main() -> int:
    args = organization_args(__doc__)
    started = time.perf_counter()
    accounts, records = organization(args)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    ev = evaluate(records, now=NOW, run_id="bench", collected_at=NOW.isoformat())
    seconds = time.perf_counter() - started
    tracemalloc.start()
    evaluate(records, now=NOW, run_id="bench", collected_at=NOW.isoformat())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    by_rule: dict[str, int] = {}
    for f in ev.findings:
        by_rule[f["data"]["rule_id"]] = by_rule.get(f["data"]["rule_id"], 0) + 1
    print(f"records: {len(records):,} ({args.accounts} accounts x {args.principals} principals, "
          f"{args.sso_users:,} Identity Center users; generated in {generated:.1f}s)")
    print(f"findings: {len(ev.findings):,}; people: {len(ev.people):,} "
          f"({sum(len(p['data']['identities']) > 1 for p in ev.people)} with several identities); rule errors: {len(ev.errors)}")
    print(f"evaluate: {seconds:.1f}s, {len(records) / seconds:,.0f} records/s; peak memory (tracemalloc) "
          f"{peak / 2**20:.0f} MiB beyond the records")
    for rule_id, count in sorted(by_rule.items(), key=lambda x: -x[1]):
        print(f"  {rule_id:50s} {count:>7,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
