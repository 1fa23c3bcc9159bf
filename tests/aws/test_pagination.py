"""moto returns GAAD and list calls in one page; real AWS pages them. Stubber feeds real-shape pages."""

import json

import boto3
from botocore.stub import Stubber

from idcensus.collect import credentials as cred
from idcensus.collect import iam


def page(data_dir, users, marker=None):
    base = json.loads((data_dir / "gaad_page.json").read_text())
    body = {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
            "IsTruncated": marker is not None}
    if marker:
        body["Marker"] = marker
    return body, base


def user(n):
    return {"Path": "/", "UserName": f"u{n}", "UserId": f"AIDA{n:017d}", "Arn": f"arn:aws:iam::210987654321:user/u{n}",
            "CreateDate": "2024-01-01T00:00:00Z", "GroupList": [], "UserPolicyList": [], "AttachedManagedPolicies": []}


def test_gaad_follows_every_page(data_dir):
    client = boto3.client("iam", region_name="us-east-1")
    with Stubber(client) as stub:
        first, base = page(data_dir, [user(1), user(2)], marker="m1")
        second, _ = page(data_dir, [user(3)], marker="m2")
        third = {**base, "UserDetailList": [user(4)]}
        stub.add_response("get_account_authorization_details", first, {"Filter": iam.GAAD_FILTERS})
        stub.add_response("get_account_authorization_details", second, {"Filter": iam.GAAD_FILTERS, "Marker": "m1"})
        stub.add_response("get_account_authorization_details", third, {"Filter": iam.GAAD_FILTERS, "Marker": "m2"})
        details = iam.get_authorization_details(client)
        stub.assert_no_pending_responses()
    assert [u["UserName"] for u in details.users] == ["u1", "u2", "u3", "u4"]
    assert len(details.groups) == 2 and len(details.roles) == 1 and len(details.policies) == 3


def test_service_specific_credentials_follow_markers():
    client = boto3.client("iam", region_name="us-east-1")

    def cred_(user, n):
        return {"UserName": user, "Status": "Active", "ServiceUserName": f"{user}-at-1",
                "CreateDate": "2025-01-01T00:00:00Z", "ServiceSpecificCredentialId": f"ACCA{n:017d}",
                "ServiceName": "codecommit.amazonaws.com"}

    with Stubber(client) as stub:
        stub.add_response("list_service_specific_credentials",
                          {"ServiceSpecificCredentials": [cred_("a", 1)], "IsTruncated": True, "Marker": "x"},
                          {"AllUsers": True})
        stub.add_response("list_service_specific_credentials",
                          {"ServiceSpecificCredentials": [cred_("a", 2), cred_("b", 3)], "IsTruncated": False},
                          {"AllUsers": True, "Marker": "x"})
        by_user = cred.list_service_specific_credentials(client)
        stub.assert_no_pending_responses()
    assert {u: len(c) for u, c in by_user.items()} == {"a": 2, "b": 1}


def test_virtual_mfa_pages_and_unassigned_devices(data_dir):
    client = boto3.client("iam", region_name="us-east-1")
    assigned = {"SerialNumber": "arn:aws:iam::210987654321:mfa/u1", "EnableDate": "2025-01-01T00:00:00Z",
                "User": {"Path": "/", "UserName": "u1", "UserId": "AIDAEXAMPLEUSER00001",
                         "Arn": "arn:aws:iam::210987654321:user/u1",
                         "CreateDate": "2024-01-01T00:00:00Z"}}
    with Stubber(client) as stub:
        stub.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": [assigned], "IsTruncated": True,
                          "Marker": "n"}, {"AssignmentStatus": "Assigned"})
        spare = {"SerialNumber": "arn:aws:iam::210987654321:mfa/spare"}  # unassigned: no User
        stub.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": [spare], "IsTruncated": False},
                          {"AssignmentStatus": "Assigned", "Marker": "n"})
        devices = cred.list_virtual_mfa_devices(client)
    assert list(devices) == ["arn:aws:iam::210987654321:user/u1"]
    assert devices["arn:aws:iam::210987654321:user/u1"].type == "virtual"
