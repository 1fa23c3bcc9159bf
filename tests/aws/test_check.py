"""`idcensus check` against moto with permission enforcement on: a read role without one tier gets
real AccessDenied answers for exactly that tier's capabilities; a role that cannot be assumed is explained."""

import json

import boto3
import pytest
from moto.core import set_initial_no_auth_action_count

from idcensus import access_check as check
from idcensus.aws import ClientFactory
from idcensus.collect.org import list_active_accounts
from idcensus.collect.registry import CAPABILITIES, TIERS, tier_policy
from idcensus.model.records import Account, Collection
from idcensus.permissions import CENTRAL_ACTIONS
from idcensus.store.state import StateTable, table_definition
from idcensus_emulator.gaps import GapAnswers
from idcensus_emulator.seed import emulated_tier_policy, member_session, seed_organization

CHECK_ROLE = "IdcensusCheckTest"
WITHHELD = "identity_center"  # the tier the prod account's role lacks


def central_user(iam, name="idcensus-central") -> tuple[str, dict]:
    """A central identity allowed exactly what the check function is granted."""
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="check", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(CENTRAL_ACTIONS["check"]),
                                                 "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def read_role(iam, trusted_arn: str, tiers) -> None:
    iam.create_role(RoleName=CHECK_ROLE, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": trusted_arn},
                                                 "Action": "sts:AssumeRole"}]}))
    for tier in tiers:
        iam.put_role_policy(RoleName=CHECK_ROLE, PolicyName=f"idcensus-{tier}",
                            PolicyDocument=json.dumps(emulated_tier_policy(tier)))


@pytest.fixture
def enforced(aws):
    """An organization (management + prod) whose prod read role lacks one tier, and a central identity."""
    org = seed_organization(members=("prod",))
    arn, keys = central_user(boto3.client("iam"))
    tiers = [t for t in TIERS if tier_policy(t)["Statement"][0]["Action"]]
    for name, account_id in org.accounts.items():
        iam = member_session(account_id, org.management_id).client("iam")
        read_role(iam, arn, [t for t in tiers if not (name == "prod" and t == WITHHELD)])
    session = boto3.Session(region_name="us-east-1", aws_session_token=None, **keys)
    return org, ClientFactory(session=session, hooks=GapAnswers().hooks())


def run(factory, role=CHECK_ROLE):
    @set_initial_no_auth_action_count(0)
    def enforced_run():
        accounts = list_active_accounts(factory.client("organizations"))
        return check.run_check(factory, accounts, role_name=role, external_id="ext-id-0123456789",
                               regions=("us-east-1", "eu-west-1"))

    return enforced_run()


def test_withheld_tier_is_denied_with_its_action_and_the_rest_works(enforced):
    org, factory = enforced
    report = run(factory)
    by_id = {a.account_id: a for a in report.accounts}
    prod, mgmt = by_id[org.accounts["prod"]], by_id[org.management_id]
    assert mgmt.management and not prod.management
    for result in prod.results:
        cap = next(c for c in CAPABILITIES if c.name == result.capability)
        if cap.tier == WITHHELD:
            assert result.outcome == "denied", result
            assert result.action in cap.actions  # the missing action, as AWS named it
            assert "EnableIdentityCenterTier=true" in result.fix
        elif cap.management_only:
            assert result.outcome == "skipped"
        else:
            assert result.outcome != "denied", result
    assert "denied" not in mgmt.outcomes().values()  # everything granted there
    for tier in ("identity", "billing"):
        assert {r.outcome for r in mgmt.results if r.tier == tier} == {"ok"}
        assert {r.outcome for r in prod.results if r.tier == tier} <= {"ok", "skipped"}
    assert report.ok  # Tier 1 works everywhere: the withheld tier is a warning
    assert mgmt.outcomes()["billing.marketplace"] == "ok"

    # Exactly one call per capability per account, plus the AssumeRole.
    calls = factory.counter.calls
    assert calls["sts.AssumeRole"] == len(org.accounts)
    probes = sum(1 for a in report.accounts for r in a.results if r.outcome != "skipped")
    member_calls = sum(n for k, n in calls.items() if not k.startswith(("sts.", "organizations.")))
    org_probes = sum(1 for a in report.accounts for r in a.results  # org.policies probes Organizations itself
                     if r.outcome != "skipped" and r.capability.startswith("org."))
    assert member_calls == probes - org_probes
    assert probes == sum(1 for a in report.accounts for c in CAPABILITIES
                         if c.probe and (a.management or not c.management_only))


def test_tier1_denied_fails_the_check(enforced):
    org, factory = enforced
    iam = member_session(org.accounts["prod"], org.management_id).client("iam")
    iam.delete_role_policy(RoleName=CHECK_ROLE, PolicyName="idcensus-identity")
    report = run(factory)
    prod = next(a for a in report.accounts if a.account_id == org.accounts["prod"])
    assert not prod.tier1_ok and not report.ok
    denied = {r.capability: r.action for r in prod.results if r.outcome == "denied"}
    assert denied["iam.authorization_details"] == "iam:GetAccountAuthorizationDetails"
    assert denied["iam.account_summary"] == "iam:GetAccountSummary"


def test_assume_failure_is_explained(enforced):
    org, factory = enforced
    # The management account's role trusts someone else: moto evaluates same-account trust policies.
    iam = boto3.client("iam")
    iam.update_assume_role_policy(RoleName=CHECK_ROLE, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                                                 "Action": "sts:AssumeRole"}]}))
    report = run(factory)
    mgmt = next(a for a in report.accounts if a.account_id == org.management_id)
    assert not mgmt.reachable and mgmt.results == [] and not report.ok
    assert "AccessDenied" in mgmt.error and "trust policy" in mgmt.error and "ExternalId" in mgmt.error
    assert "stacksets/member.yaml" in mgmt.error
    assert factory.counter.calls["sts.AssumeRole"] == len(org.accounts)  # no probe without the role


def test_result_recorded_and_attached_to_the_account(enforced):
    org, factory = enforced
    report = run(factory)
    dynamodb = boto3.resource("dynamodb")
    dynamodb.create_table(**table_definition("state"))
    table = dynamodb.Table("state")
    assert check.save_checks(table, report) == len(org.accounts)
    account = Account(account_id=org.accounts["prod"], collection=Collection(status="ok", capabilities={}))
    state = StateTable(dynamodb, "state")
    recorded = check.attach_check(account, state.current(account.account_id)).check
    assert recorded.reachable and recorded.capabilities["sso.instances"] == "denied"
    assert "EnableIdentityCenterTier" in recorded.problems["sso.instances"]
    other = account.model_copy(update={"account_id": "000011112222"})
    assert check.attach_check(other, state.current(other.account_id)).check is None
    # In the account's partition, yet never part of the diff: an empty run deletes nothing of it.
    diff = state.apply(account.account_id, [], authoritative={"aws.account", "iam.user"}, keep=set(),
                       now="2026-11-25T00:00:00Z")
    assert diff.items_written == 0 and check.load_check(table, account.account_id) is not None

