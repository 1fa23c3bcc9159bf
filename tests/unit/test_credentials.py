from datetime import UTC, datetime

from idcensus.collect import credentials as cred


def report(data_dir):
    return cred.parse_credential_report((data_dir / "credential_report.csv").read_text())


def test_root_row_sentinels_become_none(data_dir):
    root = cred.transform_root(cred.root_row(report(data_dir)))
    assert root.arn == "arn:aws:iam::210987654321:root"
    assert root.mfa_enabled is False
    assert root.password_enabled is None  # not_supported is "unknown", not False
    assert root.password_last_used_at == datetime(2026, 10, 30, 17, 2, 44, tzinfo=UTC)
    assert len(root.access_keys) == 1  # the second slot is N/A: no key
    assert root.access_keys[0].active is True
    assert root.access_keys[0].last_used_at == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_no_information_and_na_are_no_value(data_dir):
    bob = report(data_dir)["arn:aws:iam::210987654321:user/bob"]
    assert cred.timestamp(bob["password_last_used"]) is None  # no_information
    assert cred.timestamp(bob["password_next_rotation"]) is None  # N/A
    assert cred.report_holds_keys(bob) is False


def test_inactive_key_slot_still_counts_as_held(data_dir):
    alice = report(data_dir)["arn:aws:iam::210987654321:user/alice"]
    keys = cred.report_keys(alice)
    assert [k.active for k in keys] == [True, False]
    assert keys[1].last_used_service == "iam"


def test_merge_keys_matches_ids_by_creation_time(data_dir):
    alice = report(data_dir)["arn:aws:iam::210987654321:user/alice"]
    listed = [  # listed in the opposite order of the report's slots
        {"AccessKeyId": "AKIANEW", "Status": "Active", "CreateDate": datetime(2024, 1, 5, 12, 0, tzinfo=UTC)},
        {"AccessKeyId": "AKIAOLD", "Status": "Inactive", "CreateDate": datetime(2021, 2, 3, 11, 5, tzinfo=UTC)},
    ]
    keys = {k.id: k for k in cred.merge_keys(listed, alice)}
    assert keys["AKIANEW"].last_used_region == "eu-west-1"
    assert keys["AKIANEW"].last_used_service == "sts"
    assert keys["AKIAOLD"].last_used_at == datetime(2022, 6, 1, 10, 0, tzinfo=UTC)
    assert keys["AKIAOLD"].status == "Inactive"


def test_merge_keys_without_listing_keeps_report_facts(data_dir):
    ci = report(data_dir)["arn:aws:iam::210987654321:user/automation/ci-deploy"]
    keys = cred.merge_keys(None, ci)
    assert len(keys) == 1 and keys[0].id is None and keys[0].status == "Active"
    assert keys[0].last_used_region is None  # N/A


def test_merge_keys_with_neither_source_is_unknown():
    assert cred.merge_keys(None, None) is None


def test_mfa_types():
    assert cred.mfa_type("arn:aws:iam::210987654321:mfa/alice") == "virtual"
    assert cred.mfa_type("arn:aws:iam::210987654321:u2f/user/alice/key-ABC") == "u2f"
    assert cred.mfa_type("GAHT12345678") == "hardware"
