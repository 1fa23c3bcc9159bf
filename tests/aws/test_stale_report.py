"""The credential report AWS serves may be up to 4 hours old: users it cannot speak for are asked directly."""

import time
from datetime import UTC, datetime, timedelta

import boto3
from tests.aws.conftest import ACCOUNT, factory

from idcensus.collect.account import collect_account
from idcensus.collect.contract import AccountInfo


def report_now() -> datetime:
    """The report's generation time: after the seeded users, a second before the test's own."""
    generated = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)  # AWS's are to the second
    time.sleep((generated - datetime.now(UTC)).total_seconds() + 0.05)
    return generated


def stale_report(generated: datetime, *missing: str, content: bytes | None = None):
    """The report as AWS serves it from its cache: generated earlier, without users created since
    (or `content`, a report read earlier)."""

    def handler(parsed, **_):
        lines = (content or parsed["Content"]).decode().splitlines()
        kept = [line for line in lines if line.split(",")[0] not in missing]
        parsed["Content"] = ("\n".join(kept) + "\n").encode()
        parsed["GeneratedTime"] = generated

    return ("after-call.iam.GetCredentialReport", handler)


def test_users_created_after_the_report_are_asked_for_keys_and_mfa(seeded):
    iam = boto3.client("iam")
    generated = report_now()
    iam.create_user(UserName="dave")
    key = iam.create_access_key(UserName="dave")["AccessKey"]["AccessKeyId"]
    iam.enable_mfa_device(UserName="dave", SerialNumber="GAKT12345678", AuthenticationCode1="123456",
                          AuthenticationCode2="654321")  # a hardware token: not in the virtual listing
    f = factory(stale_report(generated, "dave"))
    result = collect_account(f, AccountInfo(ACCOUNT))
    dave = next(u for u in result.users if u.name == "dave")
    assert [k.id for k in dave.access_keys] == [key]
    assert dave.mfa.enabled and [d.serial for d in dave.mfa.devices] == ["GAKT12345678"]
    assert dave.password is None  # the report has no row for dave: unknown, not "no password"
    assert result.account.credential_report_generated_at == generated
    assert f.counter.calls["iam.ListAccessKeys"] == 3  # alice and ci-deploy (report), dave (not in it)
    assert f.counter.calls["iam.ListMFADevices"] == 1  # dave only


def test_a_row_older_than_the_user_is_a_deleted_namesakes(seeded):
    # carol's row says "no keys"; but carol was (re)created after the report: her row cannot speak for her.
    iam = boto3.client("iam")
    generated = report_now()
    iam.generate_credential_report()
    before = factory().client("iam").get_credential_report()["Content"]  # carol: no keys
    iam.remove_user_from_group(GroupName="developers", UserName="carol")
    iam.delete_user(UserName="carol")
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    f = factory(stale_report(generated, content=before))
    result = collect_account(f, AccountInfo(ACCOUNT))
    carol = next(u for u in result.users if u.name == "carol")
    assert [k.id for k in carol.access_keys] == [key]


def test_a_fresh_report_asks_nobody_extra(seeded):
    f = factory()
    result = collect_account(f, AccountInfo(ACCOUNT))
    assert result.account.credential_report_generated_at is not None
    assert f.counter.calls["iam.ListAccessKeys"] == 2 and f.counter.calls["iam.ListMFADevices"] == 0
