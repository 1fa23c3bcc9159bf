"""`idcensus check` in a child process against the moto server, with moto's permission enforcement on
while it runs: the central identity is an IAM user allowed exactly the check function's actions."""

import json
import os
import pty
import re
import subprocess
import sys
import threading

import boto3
import pytest
from moto.core import set_initial_no_auth_action_count
from tests.e2e.conftest import emulator_cli
from tests.tables import table_rows

from idcensus.collect.registry import BY_NAME, TIERS, tier_policy
from idcensus.permissions import CENTRAL_ACTIONS
from idcensus_emulator.gaps import PROBES_ANSWERED_BY_HOOKS
from idcensus_emulator.seed import READ_ROLE, emulated_tier_policy, member_session

ROLE = "IdcensusCheckE2e"
BARE_ROLE = "IdcensusCheckE2eBare"  # in dev only, trusted but with no policy at all
CENTRAL_USER = "idcensus-check-e2e"
WITHHELD = ("dev", "identity_center")  # the dev account's role lacks Tier 2


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def central(org):
    """Keys of the central user; the check role in every account (dev without one tier). Removed after."""
    iam = boto3.client("iam")
    arn = iam.create_user(UserName=CENTRAL_USER)["User"]["Arn"]
    iam.put_user_policy(UserName=CENTRAL_USER, PolicyName="check", PolicyDocument=doc(
        {"Effect": "Allow", "Action": list(CENTRAL_ACTIONS["check"]), "Resource": "*"}))
    key = iam.create_access_key(UserName=CENTRAL_USER)["AccessKey"]
    tiers = [t for t in TIERS if tier_policy(t)["Statement"][0]["Action"]]
    clients = {name: member_session(a, org.management_id).client("iam") for name, a in org.accounts.items()}
    for name, member in clients.items():
        member.create_role(RoleName=ROLE, AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}))
        for tier in tiers:
            if (name, tier) != WITHHELD:
                member.put_role_policy(RoleName=ROLE, PolicyName=tier, PolicyDocument=json.dumps(emulated_tier_policy(tier)))
    clients["dev"].create_role(RoleName=BARE_ROLE, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}))
    yield {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    for member in clients.values():
        for name in member.list_role_policies(RoleName=ROLE)["PolicyNames"]:
            member.delete_role_policy(RoleName=ROLE, PolicyName=name)
        member.delete_role(RoleName=ROLE)
    clients["dev"].delete_role(RoleName=BARE_ROLE)
    iam.delete_access_key(UserName=CENTRAL_USER, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=CENTRAL_USER, PolicyName="check")
    iam.delete_user(UserName=CENTRAL_USER)


def check(central, *args):
    env = {**os.environ, **central, "COLUMNS": "250"}
    env.pop("AWS_SESSION_TOKEN", None)  # a long-term user key carries no session token

    @set_initial_no_auth_action_count(0)  # the server runs in this process: enforced while the child runs
    def run():
        return emulator_cli("check", *args, env=env)

    return run()


def test_withheld_tier_shows_denied_with_the_fix(central, org):
    done = check(central, "--accounts", "all", "--role-name", ROLE, "--external-id", "e2e-external-id")
    assert done.returncode == 0, done.stdout + done.stderr  # Tier 1 works everywhere
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    out = done.stdout
    rows = table_rows(out)  # one row per account
    assert set(rows) == set(org.accounts.values())
    dev = rows[org.accounts["dev"]]
    # sso.applications' probe is answered by an emulator hook, before moto's enforcement (PROBES_ANSWERED_BY_HOOKS)
    assert dev[2] == "partial" and re.search(r"\[\d+\] sso\.instances denied \(sso:ListInstances\)", dev[3])
    assert not any("identity_center" in row[3] for account, row in rows.items() if account != org.accounts["dev"])
    assert out.count("EnableIdentityCenterTier=true") == 1
    fix = " ".join(out[out.index("EnableIdentityCenterTier=true"):].split())
    assert "for sso.instances (sso:ListInstances)" in fix and f"in 1 account: {org.accounts['dev']}" in fix
    assert "Tier 1 works everywhere" in out


def test_wide_shows_the_capability_by_account_matrix(central, org):
    done = check(central, "--accounts", "all", "--role-name", ROLE, "--external-id", "e2e-external-id", "--wide")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert table_rows(out, key=1)["sso.instances"].count("denied (sso:ListInstances)") == 1  # dev's column only
    assert f"{org.accounts['dev']} sso.instances" in out
    assert "EnableIdentityCenterTier=true" in out
    assert "Tier 1 works everywhere" in out


def test_progress_on_a_terminal(central, org):
    """On a terminal, a progress bar over the accounts goes to stderr; the report still goes to stdout."""
    env = {**os.environ, **central, "COLUMNS": "250", "TERM": "xterm"}
    env.pop("AWS_SESSION_TOKEN", None)
    leader, follower = pty.openpty()
    seen = bytearray()

    def drain():
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child is gone and the terminal closed
                return
            if not chunk:
                return
            seen.extend(chunk)

    @set_initial_no_auth_action_count(0)
    def run():
        with subprocess.Popen([sys.executable, "-m", "idcensus_emulator.cli", "check", "--accounts", "all",
                               "--role-name", ROLE], stdout=subprocess.PIPE, stderr=follower, env=env) as child:
            os.close(follower)
            reader = threading.Thread(target=drain)
            reader.start()
            out = child.communicate(timeout=300)[0].decode()
            reader.join(timeout=30)
            return child.returncode, out

    try:
        code, out = run()
    finally:
        os.close(leader)
    assert code == 0, out
    assert b"checking accounts" in seen and f"/{len(org.accounts)}".encode() in seen
    assert set(table_rows(out)) == set(org.accounts.values())


def test_json_names_every_outcome(central, org):
    done = check(central, "--accounts", "all", "--role-name", ROLE, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    accounts = {a["account_id"]: a for a in data["accounts"]}
    assert set(accounts) == set(org.accounts.values())
    for name, account_id in org.accounts.items():
        caps = accounts[account_id]["capabilities"]
        identity = {c["outcome"] for k, c in caps.items() if c["tier"] == "identity" and not BY_NAME[k].management_only}
        assert identity == {"ok"}
        assert caps["org.policies"]["outcome"] == ("ok" if account_id == org.management_id else "skipped")
        sso = {c["outcome"] for k, c in caps.items()
               if c["tier"] == "identity_center" and k not in PROBES_ANSWERED_BY_HOOKS}
        assert sso == ({"denied"} if name == WITHHELD[0] else {"ok"})
        billing = caps["billing.marketplace"]["outcome"]
        assert billing == ("ok" if account_id == org.management_id else "skipped")
    assert accounts[org.management_id]["management"]


def test_role_without_tier1_exits_1(central, org):
    dev = org.accounts["dev"]
    done = check(central, "--accounts", dev, "--role-name", BARE_ROLE)
    assert done.returncode == 1, done.stdout + done.stderr
    status, broken = table_rows(done.stdout)[dev][2:]
    assert status == "Tier 1 fails"
    assert broken.startswith("[1] iam.authorization_details denied (iam:GetAccountAuthorizationDetails)")
    assert f"Tier 1 (required) fails in: {dev}" in done.stdout


def test_untrusted_role_is_explained(central, org):
    # The seeded read role in the management account trusts the account root with an ExternalId, not this
    # user: moto evaluates same-account trust policies, so AssumeRole is really denied there.
    done = check(central, "--accounts", org.management_id, "--role-name", READ_ROLE)
    assert done.returncode == 1
    out = " ".join(done.stdout.split())
    assert "cannot assume" in out and "trust policy" in out and "ExternalId" in out
    assert "stacksets/member.yaml" in out


@pytest.mark.parametrize("args", [["--accounts", "12"], ["--regions", "nowhere"]])
def test_usage_errors_exit_2(central, args):
    done = check(central, "--role-name", ROLE, *args)
    assert done.returncode == 2
    assert "expected" in done.stderr


def test_tier_filter_probes_only_that_tier(central, org):
    done = check(central, "--accounts", org.accounts["dev"], "--role-name", ROLE, "--tier", "identity_center",
                 "--json")
    assert done.returncode == 0, done.stderr  # Tier 1 was not asked about: nothing required failed
    (account,) = json.loads(done.stdout)["accounts"]
    assert {c["tier"] for c in account["capabilities"].values()} == {"identity_center"}
    assert {c["outcome"] for k, c in account["capabilities"].items() if k not in PROBES_ANSWERED_BY_HOOKS} == {"denied"}
