"""tests/speedups.py changes what the test processes cost, never what moto answers: checked here."""

from __future__ import annotations

import boto3
from tests import speedups
from tests.aws.conftest import ACCOUNT, moto_in_process


def memberships(iam) -> dict:
    users = sorted(u["UserName"] for u in iam.list_users()["Users"])
    return {
        "groups_of": {u: sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=u)["Groups"]) for u in users},
        "members_of": {g["GroupName"]: sorted(u["UserName"] for u in iam.get_group(GroupName=g["GroupName"])["Users"])
                       for g in iam.list_groups()["Groups"]},
        "gaad": sorted((u["UserName"], tuple(sorted(u["GroupList"])))
                       for u in iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]),
    }


def test_indexed_group_members_answer_as_moto_does():
    with moto_in_process():
        iam = boto3.client("iam", region_name="us-east-1")
        for g in ("admins", "devs"):
            iam.create_group(GroupName=g)
        for u in ("ann", "ben", "cat"):
            iam.create_user(UserName=u)
        for u, g in (("ann", "admins"), ("ann", "devs"), ("ben", "devs"), ("cat", "devs")):
            iam.add_user_to_group(UserName=u, GroupName=g)
        iam.add_user_to_group(UserName="ann", GroupName="admins")  # twice: moto keeps one
        iam.remove_user_from_group(UserName="cat", GroupName="devs")
        expected = {
            "groups_of": {"ann": ["admins", "devs"], "ben": ["devs"], "cat": []},
            "members_of": {"admins": ["ann"], "devs": ["ann", "ben"]},
            "gaad": [("ann", ("admins", "devs")), ("ben", ("devs",)), ("cat", ())],
        }
        assert memberships(iam) == expected
        from moto.iam.models import iam_backends
        assert type(iam_backends[ACCOUNT]["aws"].groups["devs"].users) is speedups._Members, "the speedup is off"
        state = speedups.snapshot()

    with moto_in_process():  # a restored copy counts its own members, not the originals'
        speedups.restore(state)
        iam = boto3.client("iam", region_name="us-east-1")
        assert memberships(iam) == expected
        iam.remove_user_from_group(UserName="ann", GroupName="devs")
        iam.add_user_to_group(UserName="cat", GroupName="admins")
        assert memberships(iam)["groups_of"] == {"ann": ["admins"], "ben": ["devs"], "cat": ["admins"]}
