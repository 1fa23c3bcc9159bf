"""An unchanged re-run reuses the per-user answers the state holds: it asks nobody, and its records are
the same as a run that asked everyone. Whatever the credential report shows changed is asked again."""

from __future__ import annotations

import boto3
import pytest
from tests.aws.conftest import ACCOUNT, factory
from tests.aws.test_carry_forward import run
from tests.aws.test_commit_point import storage  # noqa: F401 - the fixture

from idcensus.census import to_records
from idcensus.collect.account import collect_account
from idcensus.collect.contract import AccountInfo, CollectOptions

PER_USER = ("iam.ListAccessKeys", "iam.ListMFADevices")


def collect(previous=None):
    f = factory()
    result = collect_account(f, AccountInfo(ACCOUNT), options=CollectOptions(previous_users=previous))
    records = to_records(result, "run", "now")
    return f, records, {r["id"]: r["data"] for r in records if r["type"] == "iam.user"}


@pytest.fixture
def hardware_mfa(seeded):
    # bob's token is hardware: the virtual listing does not explain his MFA, so he is asked per user.
    boto3.client("iam").enable_mfa_device(UserName="bob", SerialNumber="GAKT12345678", AuthenticationCode1="123456",
                                          AuthenticationCode2="654321")
    return seeded


def test_unchanged_rerun_asks_nobody_and_gives_the_same_records(hardware_mfa):
    first, records, users = collect()
    assert first.counter.calls["iam.ListAccessKeys"] == 2 and first.counter.calls["iam.ListMFADevices"] == 1
    again, records_again, _ = collect(users)
    assert {op: again.counter.calls[op] for op in PER_USER} == {op: 0 for op in PER_USER}
    assert records_again[1:] == records[1:]  # the account's first: its report time moves with each report


def test_what_the_report_shows_changed_is_asked_again(hardware_mfa):
    _, _, users = collect()
    iam = boto3.client("iam")
    new = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]  # a second key slot
    ci_keys = iam.list_access_keys(UserName="ci-deploy")["AccessKeyMetadata"]
    active = next(k["AccessKeyId"] for k in ci_keys if k["Status"] == "Active")
    iam.update_access_key(UserName="ci-deploy", AccessKeyId=active, Status="Inactive")  # a slot's state
    f, _, found = collect(users)
    assert f.counter.calls["iam.ListAccessKeys"] == 2
    assert new in {k["id"] for k in found[f"arn:aws:iam::{ACCOUNT}:user/alice"]["access_keys"]}
    assert {k["status"] for k in found[f"arn:aws:iam::{ACCOUNT}:user/automation/ci-deploy"]["access_keys"]} \
        == {"Inactive"}


def test_a_recreated_namesake_is_asked(hardware_mfa):
    _, _, users = collect()
    bob = f"arn:aws:iam::{ACCOUNT}:user/bob"
    forged = {**users, bob: {**users[bob], "user_id": "AIDAOTHERBOBOTHERBOB"}}
    f, _, found = collect(forged)
    assert f.counter.calls["iam.ListMFADevices"] == 1 and found[bob] == users[bob]


def test_the_census_reuses_the_state_table(storage):  # noqa: F811
    storage.create_access_key(UserName="keep")
    run()
    calls = {}

    def count(model, params, **_):
        calls[model.name] = calls.get(model.name, 0) + 1

    summary = run(("before-call.iam", count))
    assert summary.all_ok and calls.get("ListAccessKeys", 0) == 0
