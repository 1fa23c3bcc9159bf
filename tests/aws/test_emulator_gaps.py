"""Emulator gap workarounds: the scoped signature waiver and the recorded Identity Center extras."""

import json
import re

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import IAMRequest
from tests.aws.conftest import ACCOUNT

from idcensus.aws import ClientFactory
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus_emulator.gaps import GapAnswers, SsoGapAnswers
from idcensus_emulator.seed_sso import EXTRAS, seed_identity_center
from idcensus_emulator.server import lenient_signatures


@pytest.fixture
def enforced(aws, monkeypatch):
    """A user allowed everything but eks:ListClusters; moto's enforcement on from here."""
    iam = boto3.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "eks:ListClusters", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    return key


def _session(key, secret=None):
    return boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=secret or key["SecretAccessKey"],
                         region_name="us-east-1")


def _code(call) -> str:
    try:
        call()
    except ClientError as exc:
        error = exc.response["Error"]
        # moto sends auth errors as XML, which REST-JSON clients leave unparsed in the message.
        found = re.search(r"<Code>(\w+)</Code>", error.get("Message") or "")
        return found.group(1) if found else error["Code"]
    return "ok"


def test_lenient_signatures_waives_only_gets_and_only_inside(enforced):
    good = _session(enforced)
    list_functions = good.client("lambda").list_functions
    strict = IAMRequest.__dict__["_raise_signature_does_not_match"]
    # The gap itself: if moto fixes it this fails, and lenient_signatures can go.
    assert _code(list_functions) == "SignatureDoesNotMatch"
    with lenient_signatures():
        assert _code(list_functions) == "ok"
        assert _code(good.client("bedrock").list_custom_models) == "ok"
        # Policies are still evaluated.
        assert _code(good.client("eks").list_clusters).startswith("AccessDenied")
        # A wrong secret still fails wherever the signature is right to check (a POST).
        bad = _session(enforced, secret="wrong-secret")
        assert _code(bad.client("iam").list_users) == "SignatureDoesNotMatch"
        assert _code(good.client("iam").list_users) == "ok"
    assert IAMRequest.__dict__["_raise_signature_does_not_match"] is strict
    assert _code(list_functions) == "SignatureDoesNotMatch"


def test_lenient_signatures_restores_on_error(enforced):
    strict = IAMRequest.__dict__["_raise_signature_does_not_match"]
    with pytest.raises(RuntimeError), lenient_signatures():
        raise RuntimeError("boom")
    assert IAMRequest.__dict__["_raise_signature_does_not_match"] is strict


def test_seeded_sets_answer_their_recorded_boundary_and_tags(aws):
    seeded = seed_identity_center(boto3.Session(), [ACCOUNT], users=2, groups=1, permission_sets=4, assignments=2)
    sets, recorded = seeded["permission_sets"], seeded["recorded"]
    assert recorded.boundaries[sets["DataScientist"]] == EXTRAS["DataScientist"]["boundary"]
    assert sets["ReadOnly"] not in recorded.boundaries and sets["ReadOnly"] not in recorded.tags

    factory = ClientFactory(hooks=recorded.hooks(), account_id=ACCOUNT)
    out = Outcomes()
    items = collect_items(factory, AccountInfo(ACCOUNT), out, CollectOptions(org_accounts=(ACCOUNT,)),
                          tiers=("identity_center",))
    got = {d.name: d for t, _, d in items if t == "sso.permission_set"}

    assert out.capabilities["sso.permission_sets"] == "ok"
    ds = got["DataScientist"]
    assert ds.permissions_boundary.customer_managed_policy.name == "DataScientistBoundary"
    assert ds.permissions_boundary.customer_managed_policy.path == "/boundaries/"
    assert ds.permissions_boundary.managed_policy_arn is None
    assert ds.tags == {"owner": "data-platform", "cost-center": "4711"}
    assert got["AdministratorAccess"].tags == {"owner": "security", "break-glass": "true"}
    assert got["AdministratorAccess"].permissions_boundary is None
    assert got["ReadOnly"].permissions_boundary is None and got["ReadOnly"].tags == {}
    # Explicit answers still replace the recorded ones.
    factory = ClientFactory(hooks=[*GapAnswers().hooks(), *SsoGapAnswers(boundaries={}, tags={}).hooks()],
                            account_id=ACCOUNT)
    items = collect_items(factory, AccountInfo(ACCOUNT), Outcomes(), CollectOptions(org_accounts=(ACCOUNT,)),
                          tiers=("identity_center",))
    assert all(d.permissions_boundary is None and d.tags == {} for t, _, d in items if t == "sso.permission_set")
