"""Targeted refresh of Identity Center records in moto: an assignment or permission-set event
re-reads only that set (never the directory or every set), writes with StateTable semantics under
the instance owner's account, and lands in the activity changes export, like an IAM refresh."""

import copy
import json

import boto3
import pytest
from tests import speedups
from tests.aws.conftest import ACCOUNT, moto_in_process

from idcensus.aws import ClientFactory
from idcensus.census import collect_one
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus.collect.registry import CAPABILITIES
from idcensus.model.findings import DERIVED_TYPES
from idcensus.settings import Settings
from idcensus.store.commit import publish_run
from idcensus.store.export import Exporter, decode_lines
from idcensus.store.state import table_definition
from idcensus.stream.service import ActivityService
from idcensus_emulator.demo_activity import cloudtrail, eventbridge, role_session
from idcensus_emulator.gaps import GapAnswers, SsoGapAnswers, json_answer
from idcensus_emulator.seed_sso import seed_identity_center

OTHER = "210987654321"
READ_ROLE = "IdcensusReadOnly"
ORG = (ACCOUNT, OTHER)
ADMIN = role_session(ACCOUNT, "AWSReservedSSO_AdministratorAccess_0123456789abcdef", "jane@example.com")
# The only calls one assignment refresh may make (plus its one AssumeRole).
ASSIGNMENT_CALLS = {"sso-admin.ListInstances": 1, "sso-admin.DescribePermissionSet": 1,
                    "sso-admin.ListPermissionSetsProvisionedToAccount": 1, "sso-admin.ListAccountAssignments": 1}


def make_factory(*hooks) -> ClientFactory:
    return ClientFactory(hooks=[*GapAnswers().hooks(), *SsoGapAnswers().hooks(), *hooks], account_id=ACCOUNT)


def settings(**extra) -> Settings:
    return Settings(table_name="state", bucket_name="exports", role_name=READ_ROLE, **extra)


@pytest.fixture(scope="module")
def collected():
    """The seeded instance collected by the census, once per module: each test gets a copy of that
    moto state (speedups.restore) instead of seeding and collecting again."""
    with moto_in_process():
        seeded = seed_identity_center(boto3.Session(), list(ORG), users=4, groups=2, permission_sets=3, assignments=6)
        boto3.client("dynamodb").create_table(**table_definition("state"))
        boto3.client("s3").create_bucket(Bucket="exports")
        exporter = Exporter(boto3.client("s3"), "exports")
        outcome = collect_one(make_factory(), AccountInfo(ACCOUNT), role_name=READ_ROLE, external_id=None, run_id="r1",
                              state=ActivityService(settings(), make_factory()).state, exporter=exporter,
                              options=CollectOptions(org_accounts=ORG))
        publish_run(exporter, run_id="r1", base_run_id=None, started_at="2026-12-01T00:00:00Z",
                    finished_at="2026-12-01T00:00:01Z", files=outcome.files, accounts=[outcome.manifest_entry()])
        return speedups.snapshot(), seeded


@pytest.fixture
def census(aws, collected):
    """An instance with users, groups, sets and assignments over two accounts, collected once by the census."""
    state, seeded = collected
    speedups.restore(state)
    return ActivityService(settings(), make_factory()), copy.deepcopy(seeded)


def sso_event(name: str, **request) -> str:
    record = cloudtrail(ACCOUNT, ADMIN, name, source="sso.amazonaws.com", request=request)
    return json.dumps(eventbridge(record))


def assignment_event(name: str, seeded: dict, ps: str, account: str, principal_type: str, principal_id: str) -> str:
    return sso_event(name, instanceArn=seeded["instance_arn"], targetId=account, targetType="AWS_ACCOUNT",
                     permissionSetArn=ps, principalType=principal_type, principalId=principal_id)


def assign(seeded, call: str, ps: str, account: str, user: str) -> None:
    getattr(boto3.client("sso-admin"), call)(InstanceArn=seeded["instance_arn"], TargetId=account,
                                             TargetType="AWS_ACCOUNT", PermissionSetArn=ps, PrincipalType="USER",
                                             PrincipalId=user)


def unassigned(seeded, account: str, count: int = 1) -> tuple[str, str, list[str]]:
    """(set name, set ARN, user ids) of `count` users not yet assigned that set in `account`, for a
    set already used there (so its AWSReservedSSO_ role exists, as after a real first assignment)."""
    taken = {(a["permission_set"], a["account_id"], a["principal_id"]) for a in seeded["assignments"]}
    for name in sorted({a["permission_set"] for a in seeded["assignments"] if a["account_id"] == account}):
        free = [uid for uid in seeded["users"].values() if (name, account, uid) not in taken]
        if len(free) >= count:
            return name, seeded["permission_sets"][name], free[:count]
    raise AssertionError("the seed leaves no free user")


def census_view(type_: str, id_: str):
    """The record a full census would make now (the refresh must make the same)."""
    items = collect_items(make_factory(), AccountInfo(ACCOUNT), Outcomes(), CollectOptions(org_accounts=ORG),
                          tiers=("identity_center",))
    return next(d.model_dump(mode="json") for t, i, d in items if (t, i) == (type_, id_))


# What the member role grants for Tier 2 (stacksets/member.yaml is held to the same registry).
TIER2 = {a for c in CAPABILITIES if c.tier == "identity_center" for a in c.actions}


def delta(factory, before) -> dict[str, int]:
    """Member-account calls since `before`; each must be a Tier 2 action the read role already has."""
    made = {k: v - before.get(k, 0) for k, v in factory.counter.calls.items()
            if v - before.get(k, 0) and k.split(".")[0] in ("sso-admin", "identitystore", "iam", "sts")}
    prefixes = {"sso-admin": "sso", "identitystore": "identitystore", "iam": "iam"}
    assert {prefixes[k.split(".")[0]] + ":" + k.split(".")[1] for k in made if not k.startswith("sts.")} <= TIER2
    return made


@pytest.mark.parametrize("account", [OTHER, ACCOUNT])
def test_create_assignment_is_refreshed_with_only_that_sets_calls(census, account):
    service, seeded = census
    name, ps, (user,) = unassigned(seeded, account)
    assign(seeded, "create_account_assignment", ps, account, user)
    before = dict(service.factory.counter.calls)
    result = service.process([assignment_event("CreateAccountAssignment", seeded, ps, account, "USER", user)])

    # In the owner account the census links the AWSReservedSSO_ role with one iam:ListRoles; so does this.
    assert delta(service.factory, before) == {"sts.AssumeRole": 1, **ASSIGNMENT_CALLS,
                                              **({"iam.ListRoles": 1} if account == ACCOUNT else {})}
    assignment_id = f"{ps}/{account}/USER/{user}"
    (change,) = result.changes
    assert (change["type"], change["id"], change["change"]) == ("sso.account_assignment", assignment_id, "created")
    assert change["account_id"] == ACCOUNT and change["data"]["account_id"] == account  # kept under the owner
    stored = service.state.get(ACCOUNT, "sso.account_assignment", assignment_id)
    assert stored["data"]["principal_name"] == next(k for k, v in seeded["users"].items() if v == user)
    assert stored["data"]["permission_set_name"] == name
    assert (stored["data"]["role_arn"] is not None) == (account == ACCOUNT)
    assert stored["data"] == census_view("sso.account_assignment", assignment_id)

    # Published as a refresh run on the chain (store/commit.py), under the instance owner's account.
    manifest = json.loads(boto3.client("s3").get_object(Bucket="exports", Key=result.refresh_manifest_key)["Body"].read())
    assert (manifest["kind"], manifest["previous_run_id"]) == ("refresh", "r1")
    (part,) = [f for f in manifest["files"] if f["kind"] == "changes" and f["type"] not in DERIVED_TYPES]
    assert f"/type=sso.account_assignment/account={ACCOUNT}/" in part["key"]
    (line,) = decode_lines(boto3.client("s3").get_object(Bucket="exports", Key=part["key"])["Body"].read())
    assert (line["id"], line["change"]) == (assignment_id, "created")


def test_delete_assignment_marks_only_it_deleted(census):
    service, seeded = census
    gone = next(a for a in seeded["assignments"] if a["principal_type"] == "USER")
    ps, account, user = gone["permission_set_arn"], gone["account_id"], gone["principal_id"]
    kept = [a for a in seeded["assignments"] if (a["permission_set_arn"], a["account_id"]) == (ps, account)
            and a["principal_id"] != user]
    assign(seeded, "delete_account_assignment", ps, account, user)
    result = service.process([assignment_event("DeleteAccountAssignment", seeded, ps, account, "USER", user)])

    (change,) = result.changes
    assert (change["id"], change["change"], change["deleted"]) == (f"{ps}/{account}/USER/{user}", "deleted", True)
    assert service.state.get(ACCOUNT, "sso.account_assignment", change["id"])["deleted"] is True
    for a in kept:  # same set, same account, still assigned: untouched
        other = service.state.get(ACCOUNT, "sso.account_assignment",
                                  f"{ps}/{account}/{a['principal_type']}/{a['principal_id']}")
        assert other["deleted"] is False and other["run_id"] == "r1"
    # A replay of the same change writes nothing more.
    again = service.process([assignment_event("DeleteAccountAssignment", seeded, ps, account, "USER", user)])
    assert again.changes == []


def test_inline_policy_updates_the_set_record_only(census):
    service, seeded = census
    ps = seeded["permission_sets"]["AdministratorAccess"]
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    boto3.client("sso-admin").put_inline_policy_to_permission_set(
        InstanceArn=seeded["instance_arn"], PermissionSetArn=ps, InlinePolicy=json.dumps(doc))
    before = dict(service.factory.counter.calls)
    result = service.process([sso_event("PutInlinePolicyToPermissionSet", instanceArn=seeded["instance_arn"],
                                        permissionSetArn=ps)])

    made = delta(service.factory, before)
    assert made == {"sts.AssumeRole": 1, "sso-admin.ListInstances": 1,
                    **{f"sso-admin.{op}": 1 for op in ("DescribePermissionSet", "ListManagedPoliciesInPermissionSet",
                                                       "ListCustomerManagedPolicyReferencesInPermissionSet",
                                                       "GetInlinePolicyForPermissionSet",
                                                       "GetPermissionsBoundaryForPermissionSet",
                                                       "ListTagsForResource")}}
    (change,) = result.changes
    assert (change["type"], change["id"], change["change"]) == ("sso.permission_set", ps, "updated")
    assert change["data"]["inline_policy"] == doc
    assert service.state.get(ACCOUNT, "sso.permission_set", ps)["data"] == census_view("sso.permission_set", ps)


def test_deleted_permission_set_is_marked_deleted(census):
    service, seeded = census
    ps = seeded["permission_sets"]["Billing"]
    boto3.client("sso-admin").delete_permission_set(InstanceArn=seeded["instance_arn"], PermissionSetArn=ps)
    result = service.process([sso_event("DeletePermissionSet", instanceArn=seeded["instance_arn"],
                                        permissionSetArn=ps)])
    (change,) = result.changes
    assert (change["id"], change["change"]) == (ps, "deleted")
    assert service.state.get(ACCOUNT, "sso.permission_set", ps)["deleted"] is True


def test_assignments_are_debounced_per_set_and_account(census):
    """Two assignments of one set in one account inside the window: one request, and its one
    refresh sees both (it reads all the set's assignments in that account)."""
    service, seeded = census
    queue = boto3.client("sqs").create_queue(QueueName="refresh")["QueueUrl"]
    # DelaySeconds 0 so the test can read the request at once; the debounce window stays 60 s.
    service = ActivityService(settings(refresh_queue_url=queue, refresh_debounce_seconds=0), make_factory())
    service.effects.debounce_seconds = 60
    _, ps, (first, second) = unassigned(seeded, OTHER, count=2)
    for user in (first, second):
        assign(seeded, "create_account_assignment", ps, OTHER, user)
    result = service.process([assignment_event("CreateAccountAssignment", seeded, ps, OTHER, "USER", u)
                              for u in (first, second)])
    assert (result.counts["refresh_requested"], result.counts["refresh_debounced"]) == (1, 1)

    (message,) = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    request = json.loads(message["Body"])
    assert (request["account_id"], request["kind"], request["name"]) == (ACCOUNT, "sso.account_assignment",
                                                                         f"{ps}/{OTHER}")
    batch = service.refresh_batch("rb-1")
    batch.add_message(message["Body"])
    refreshed = batch.finish()
    assert sorted((c["id"], c["change"]) for c in refreshed.changes) == \
        sorted((f"{ps}/{OTHER}/USER/{u}", "created") for u in (first, second))
    assert refreshed.counts["refreshed"] == 1 and refreshed.counts["created"] == 2


def store_event(name: str, seeded: dict, **request) -> str:
    record = cloudtrail(ACCOUNT, ADMIN, name, source="identitystore.amazonaws.com",
                        request={"identityStoreId": seeded["identity_store_id"], **request})
    return json.dumps(eventbridge(record))


def test_group_membership_updates_the_group_and_its_new_member(census):
    service, seeded = census
    gid = seeded["groups"]["group000"]
    group_arn = f"arn:aws:identitystore:::group/{gid}"
    before_group = service.state.get(ACCOUNT, "sso.group", group_arn)["data"]
    uid = next(u for u in seeded["users"].values() if u not in before_group["members"])
    boto3.client("identitystore").create_group_membership(IdentityStoreId=seeded["identity_store_id"], GroupId=gid,
                                                          MemberId={"UserId": uid})
    calls = dict(service.factory.counter.calls)
    result = service.process([store_event("CreateGroupMembership", seeded, groupId=gid, memberId={"userId": uid})])

    assert delta(service.factory, calls) == {"sts.AssumeRole": 1, "sso-admin.ListInstances": 1,
                                             "identitystore.ListGroupMemberships": 1}  # no ListUsers / ListGroups
    assert sorted((c["type"], c["change"]) for c in result.changes) == [("sso.group", "updated"),
                                                                       ("sso.user", "updated")]
    user_arn = f"arn:aws:identitystore:::user/{uid}"
    for type_, id_ in (("sso.group", group_arn), ("sso.user", user_arn)):
        assert service.state.get(ACCOUNT, type_, id_)["data"] == census_view(type_, id_)
    assert gid in service.state.get(ACCOUNT, "sso.user", user_arn)["data"]["groups"]


def test_deleted_group_drops_out_of_its_members(census):
    service, seeded = census
    gid = seeded["groups"]["group001"]
    store = boto3.client("identitystore")
    members = [m["MemberId"]["UserId"] for m in store.list_group_memberships(
        IdentityStoreId=seeded["identity_store_id"], GroupId=gid)["GroupMemberships"]]
    assert members  # the seed put users in every group
    store.delete_group(IdentityStoreId=seeded["identity_store_id"], GroupId=gid)

    def gone(request, **_):
        # moto 5.2 keeps a deleted group's memberships listable; AWS answers this (real shape).
        if json.loads(request.body)["GroupId"] != gid:
            return None
        return json_answer(request, 400, {"__type": "ResourceNotFoundException", "Message": "GROUP not found",
                                          "ResourceType": "GROUP", "ResourceId": gid})

    service = ActivityService(settings(), make_factory(("before-send.identitystore.ListGroupMemberships", gone)))
    result = service.process([store_event("DeleteGroup", seeded, groupId=gid)])
    changes = {(c["type"], c["id"]): c["change"] for c in result.changes}
    assert changes == {("sso.group", f"arn:aws:identitystore:::group/{gid}"): "deleted",
                       **{("sso.user", f"arn:aws:identitystore:::user/{u}"): "updated" for u in members}}
    assert all(gid not in service.state.get(ACCOUNT, "sso.user", f"arn:aws:identitystore:::user/{u}")["data"]["groups"]
               for u in members)


def test_unknown_group_is_logged_and_skipped(census, caplog):
    service, seeded = census
    new = boto3.client("identitystore").create_group(IdentityStoreId=seeded["identity_store_id"],
                                                     DisplayName="late")["GroupId"]
    with caplog.at_level("INFO", logger="idcensus"):
        result = service.process([store_event("CreateGroup", seeded, groupId=new)])
    assert result.changes == [] and result.counts["refreshed"] == 1
    assert "a group the census has not seen" in caplog.text


def test_denied_instance_listing_fails_the_refresh_not_the_batch(census):
    service, seeded = census

    def denied(request, **_):
        return json_answer(request, 400, {"__type": "AccessDeniedException", "Message": "not authorized"})

    service = ActivityService(settings(), make_factory(("before-send.sso-admin.ListInstances", denied)))
    name, ps, (user,) = unassigned(seeded, OTHER)
    result = service.process([assignment_event("CreateAccountAssignment", seeded, ps, OTHER, "USER", user)])
    assert (result.counts["normalized"], result.counts["refresh_failed"], result.changes) == (1, 1, [])


# One user's refresh: its instance found by the event's store ID, then two identitystore reads.
USER_CALLS = {"sts.AssumeRole": 1, "sso-admin.ListInstances": 1, "identitystore.DescribeUser": 1,
              "identitystore.ListGroupMembershipsForMember": 1}


def user_event(name: str, seeded: dict, uid: str) -> str:
    record = cloudtrail(ACCOUNT, ADMIN, name, source="identitystore.amazonaws.com",
                        request={"identityStoreId": seeded["identity_store_id"],
                                 **({} if name == "CreateUser" else {"userId": uid})})
    if name == "CreateUser":  # the new user's ID is only in the response
        record["responseElements"] = {"userId": uid, "identityStoreId": seeded["identity_store_id"]}
    return json.dumps(eventbridge(record))


def test_created_user_gets_a_record_with_its_groups(census):
    service, seeded = census
    store, sid = boto3.client("identitystore"), seeded["identity_store_id"]
    uid = store.create_user(IdentityStoreId=sid, UserName="late.joiner", DisplayName="Late Joiner",
                            Name={"GivenName": "Late", "FamilyName": "Joiner"},
                            Emails=[{"Value": "late@example.com", "Type": "work", "Primary": True}])["UserId"]
    gids = sorted(seeded["groups"].values())
    for gid in gids:
        store.create_group_membership(IdentityStoreId=sid, GroupId=gid, MemberId={"UserId": uid})
    before = dict(service.factory.counter.calls)
    result = service.process([user_event("CreateUser", seeded, uid)])

    assert delta(service.factory, before) == USER_CALLS  # no ListUsers, ListGroups or ListGroupMemberships
    arn = f"arn:aws:identitystore:::user/{uid}"
    (change,) = result.changes
    assert (change["type"], change["id"], change["change"], change["account_id"]) == ("sso.user", arn, "created",
                                                                                       ACCOUNT)
    stored = service.state.get(ACCOUNT, "sso.user", arn)["data"]
    assert stored["groups"] == gids and stored["user_name"] == "late.joiner"
    assert stored == census_view("sso.user", arn)


def test_updated_user_display_name_is_updated(census):
    service, seeded = census
    uid = next(iter(seeded["users"].values()))
    arn = f"arn:aws:identitystore:::user/{uid}"
    previous = service.state.get(ACCOUNT, "sso.user", arn)["data"]
    # moto 5.2 has no UpdateUser: DescribeUser answers the user as AWS would after it (real shape).
    shape = boto3.client("identitystore").describe_user(IdentityStoreId=seeded["identity_store_id"], UserId=uid)
    shape = {k: v for k, v in shape.items() if k != "ResponseMetadata"} | {"DisplayName": "Renamed Person"}

    def renamed(request, **_):
        return json_answer(request, 200, shape) if json.loads(request.body)["UserId"] == uid else None

    service = ActivityService(settings(), make_factory(("before-send.identitystore.DescribeUser", renamed)))
    result = service.process([user_event("UpdateUser", seeded, uid)])
    assert delta(service.factory, {}) == USER_CALLS  # a fresh factory: every call it made
    (change,) = result.changes
    assert (change["id"], change["change"]) == (arn, "updated")
    assert change["data"] == previous | {"display_name": "Renamed Person"}
    assert previous["groups"]  # the seed put every user in a group; the refresh kept them
    # The same event again: nothing changed since, nothing written.
    assert service.process([user_event("UpdateUser", seeded, uid)]).changes == []


def test_deleted_user_is_marked_deleted(census):
    service, seeded = census
    uid = next(iter(seeded["users"].values()))
    arn = f"arn:aws:identitystore:::user/{uid}"
    boto3.client("identitystore").delete_user(IdentityStoreId=seeded["identity_store_id"], UserId=uid)
    before = dict(service.factory.counter.calls)
    result = service.process([user_event("DeleteUser", seeded, uid)])

    # DescribeUser answers ResourceNotFoundException: the memberships are not read.
    assert delta(service.factory, before) == {"sts.AssumeRole": 1, "sso-admin.ListInstances": 1,
                                              "identitystore.DescribeUser": 1}
    (change,) = result.changes
    assert (change["type"], change["id"], change["change"], change["deleted"]) == ("sso.user", arn, "deleted", True)
    assert service.state.get(ACCOUNT, "sso.user", arn)["deleted"] is True
    assert service.process([user_event("DeleteUser", seeded, uid)]).changes == []  # a replay writes nothing


def test_user_without_store_id_uses_the_only_instance(census):
    """A bare user ID (an event without identityStoreId) is refreshed in the account's only instance;
    an unchanged user rebuilds exactly the census's record, so nothing is written."""
    service, seeded = census
    batch = service.refresh_batch("rb-1")
    before = dict(service.factory.counter.calls)
    assert [batch.add(ACCOUNT, "sso.user", uid) for uid in seeded["users"].values()] == [None] * len(seeded["users"])
    made = delta(service.factory, before)
    assert made == {"sts.AssumeRole": 1, **{k: len(seeded["users"]) for k in USER_CALLS if k != "sts.AssumeRole"}}
    assert batch.finish().manifest_key is None
