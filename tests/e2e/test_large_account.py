"""No record too big, end to end: an account holding a group of 20,000 members, a user with 10 inline
policies of 2 KB and a role with a 10 KB trust policy is collected and exported whole through the CLI
and through the queue path (planner -> collectors -> finisher), and the vendor finds every member."""

import json

import boto3
import pytest
from tests.e2e.test_collect_cli import manifest_of, records_of

from idcensus.aws import ClientFactory
from idcensus.settings import Settings
from idcensus.store.state import StateTable
from idcensus_emulator.local import configure, run_pipeline
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, member_session

MEMBERS = 20_000
GROUP = "all-staff"


@pytest.fixture
def large(org):
    """The large identities, seeded into the dev account of the session's organization and removed
    afterwards (the other tests of this worker see the organization unchanged). The 20,000 users are
    made through moto's IAM backend (the server runs in this process): 20,000 CreateUser requests
    would take minutes and test moto, not idcensus."""
    from moto.iam.models import iam_backends

    account = org.accounts["dev"]
    backend = iam_backends[account]["global"]
    session = member_session(account, org.management_id).client("iam")
    session.create_group(GroupName=GROUP)
    names = [f"staff.member-{n:05d}@emea.example-subsidiary" for n in range(MEMBERS)]
    for name in names:
        backend.create_user(region_name="us-east-1", user_name=name, path="/staff/")
        backend.add_user_to_group(GROUP, name)
    statement = {"Effect": "Allow", "Action": ["s3:GetObject"],
                 "Resource": [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(62)]}
    session.create_user(UserName="wide")
    for i in range(10):
        session.put_user_policy(UserName="wide", PolicyName=f"p{i}",
                                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": [f"arn:aws:iam::{n:012d}:root"
                                                                            for n in range(1, 351)]}}]}
    session.create_role(RoleName="trusting", AssumeRolePolicyDocument=json.dumps(trust))
    try:
        yield account, set(names)
    finally:
        for name in names:
            backend.remove_user_from_group(GROUP, name)
            backend.delete_user(name)
        for i in range(10):
            session.delete_user_policy(UserName="wide", PolicyName=f"p{i}")
        session.delete_user(UserName="wide")
        session.delete_group(GroupName=GROUP)
        session.delete_role(RoleName="trusting")


def check_export(s3, bucket: str, manifest: dict, account: str, names: set[str]) -> None:
    entry = next(a for a in manifest["accounts"] if a["account_id"] == account)
    assert entry["status"] in ("ok", "partial"), entry
    records = [r for r in records_of(s3, bucket, manifest) if r["account_id"] == account]
    by_name = {(r["type"], r["data"]["name"]): r for r in records if "name" in r["data"]}
    group = by_name[("iam.group", GROUP)]
    assert {m.rsplit("/", 1)[-1] for m in group["data"]["members"]} == names  # every member, once
    assert len(group["data"]["members"]) == MEMBERS
    assert len(by_name[("iam.user", "wide")]["data"]["inline_policies"]) == 10
    principals = by_name[("iam.role", "trusting")]["data"]["trust_policy"]["Statement"][0]["Principal"]["AWS"]
    assert len(principals) == 350
    assert sum(1 for r in records if r["type"] == "iam.user") >= MEMBERS + 1


def test_large_account_through_the_cli_and_the_queue(org, large, cli, s3):
    account, names = large

    done = cli.run(args=["collect", "--accounts", account, "--role-name", READ_ROLE, "--external-id", EXTERNAL_ID,
                         "--table", cli.table, "--bucket", cli.bucket, "--create-storage", "--json"], timeout=900)
    assert done.returncode == 0, done.stderr
    check_export(s3, cli.bucket, manifest_of(s3, cli.bucket, json.loads(done.stdout)), account, names)

    env = configure("p-large-account", "p-large-account", READ_ROLE, EXTERNAL_ID)
    out = run_pipeline(env, ClientFactory.from_environment(hooks=org.gaps))
    assert out["collected"]["failed"] == 0, out
    (notice,) = out["vendor_notices"]
    check_export(s3, env["BUCKET_NAME"], manifest_of(s3, env["BUCKET_NAME"], notice), account, names)
    # The current state holds the group whole too: 1.7 MB of JSON, past DynamoDB's 400 KB item limit, stored
    # compressed (and in chunks when it does not compress enough: tests/aws/test_large_records.py).
    state = StateTable(boto3.resource("dynamodb"), Settings.from_env().table_name)
    group = next(r for r in state.records_of(account, "iam.group") if r["data"]["name"] == GROUP)
    assert len(group["data"]["members"]) == MEMBERS
