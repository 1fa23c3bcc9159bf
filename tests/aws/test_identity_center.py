"""IAM Identity Center (Tier 2) against moto: records, scoping, pagination, denial, deletion mid-run."""

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto.core import set_initial_no_auth_action_count
from tests.aws.conftest import ACCOUNT

from idcensus.aws import ClientFactory
from idcensus.collect import identity_center as ic
from idcensus.collect.account import collect_items
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes
from idcensus.collect.registry import BY_NAME
from idcensus.model.records import make_record
from idcensus.model.sso import SsoInstance
from idcensus_emulator.gaps import GapAnswers, SsoGapAnswers, answer, json_answer
from idcensus_emulator.seed_sso import seed_identity_center

OTHER = "210987654321"
SSO_CAPS = ("sso.instances", "sso.identity_store", "sso.permission_sets", "sso.account_assignments", "sso.applications")


def run(factory, account=ACCOUNT, org=(ACCOUNT, OTHER)):
    out = Outcomes()
    items = collect_items(factory, AccountInfo(account), out, CollectOptions(org_accounts=org), tiers=("identity_center",))
    by_type = {}
    for type_, id_, data in items:
        by_type.setdefault(type_, {})[id_] = data
    return out, by_type


def make_factory(gaps=None, *hooks, session=None):
    gaps = gaps or SsoGapAnswers()
    kw = {"session": session} if session else {}
    return ClientFactory(hooks=[*GapAnswers().hooks(), *gaps.hooks(), *hooks], account_id=ACCOUNT, **kw)


@pytest.fixture
def seeded_sso(aws):
    return seed_identity_center(boto3.Session(), [ACCOUNT, OTHER], users=250, groups=3, permission_sets=3,
                                assignments=8)


def test_records_fields_and_call_counts(seeded_sso, data_dir):
    extras = json.loads((data_dir / "sso_permission_set_extras.json").read_text())
    ro = seeded_sso["permission_sets"]["ReadOnly"]
    gaps = SsoGapAnswers(boundaries={ro: extras["boundary_customer"]["PermissionsBoundary"]},
                         tags={ro: extras["tags"]["Tags"]}, outdated={OTHER: [ro]})
    factory = make_factory(gaps)
    out, recs = run(factory)

    assert out.capabilities == dict.fromkeys(SSO_CAPS, "ok")
    assert {k: len(v) for k, v in recs.items()} == {"sso.instance": 1, "sso.user": 250, "sso.group": 3,
                                                   "sso.permission_set": 3, "sso.account_assignment": 8}
    (inst,) = recs["sso.instance"].values()
    assert inst.instance_arn == seeded_sso["instance_arn"] and inst.owner_account_id == ACCOUNT
    assert inst.identity_store_id == seeded_sso["identity_store_id"] and inst.status == "ACTIVE"
    user = next(u for u in recs["sso.user"].values() if u.user_name == "user0004")
    assert user.display_name == "User 4" and user.emails[0].value == "user0004@example.com"
    assert user.groups == [seeded_sso["groups"]["group001"]]
    group = next(g for g in recs["sso.group"].values() if g.display_name == "group001")
    assert len(group.members) == 83 and user.user_id in group.members

    sets = {s.name: s for s in recs["sso.permission_set"].values()}
    assert sets["ReadOnly"].session_duration == "PT8H" and sets["ReadOnly"].relay_state.startswith("https://")
    assert sets["ReadOnly"].managed_policies == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert sets["ReadOnly"].inline_policy["Statement"][0]["Action"] == "s3:GetObject"  # decoded, not a string
    assert sets["ReadOnly"].permissions_boundary.customer_managed_policy.name == "DevBoundary"
    assert sets["ReadOnly"].tags == {"owner": "platform", "tier": "prod"}
    assert sets["Billing"].customer_managed_policies[0].path == "/idcensus/"
    assert sets["AdministratorAccess"].permissions_boundary is None and sets["AdministratorAccess"].inline_policy is None

    assigned = list(recs["sso.account_assignment"].values())
    assert {(a.permission_set_name, a.account_id, a.principal_name) for a in assigned} == {
        (a["permission_set"], a["account_id"], _name(seeded_sso, a["principal_id"])) for a in seeded_sso["assignments"]}
    for a in assigned:
        assert a.role_name_prefix == f"AWSReservedSSO_{a.permission_set_name}_"
        assert a.role_path == "/aws-reserved/sso.amazonaws.com/"
        # The exact role only where this run reads the account's IAM; the rest via link_roles.
        expected = seeded_sso["roles"][(a.permission_set_name, a.account_id)] if a.account_id == ACCOUNT else None
        assert a.role_arn == expected
        assert a.provisioning_status == ("outdated" if (a.account_id, a.permission_set_arn) == (OTHER, ro)
                                         else "provisioned")

    calls = {k: v for k, v in factory.counter.calls.items() if not k.startswith("sts.")}
    assert calls == {
        "sso-admin.ListInstances": 1,  # shared with the applications collector
        "sso-admin.ListApplications": 1,  # none recorded here: tests/aws/test_identity_center_apps.py
        "identitystore.ListUsers": 3,  # 250 users, moto pages by 100
        "identitystore.ListGroups": 1,
        "identitystore.ListGroupMemberships": 3,  # one per group, not one per user
        "sso-admin.ListPermissionSets": 1,  # shared by both capabilities (a failed listing is not cached)
        **{f"sso-admin.{op}": 3 for op in ("DescribePermissionSet", "ListManagedPoliciesInPermissionSet",
                                           "ListCustomerManagedPolicyReferencesInPermissionSet",
                                           "GetInlinePolicyForPermissionSet",
                                           "GetPermissionsBoundaryForPermissionSet", "ListTagsForResource")},
        "sso-admin.ListPermissionSetsProvisionedToAccount": 4,  # all + not-latest, per account
        "sso-admin.ListAccountAssignments": 6,  # provisioned (set x account) pairs
        "iam.ListRoles": 1,
    }
    # The registry names exactly the actions the code called, plus the two the targeted refresh of
    # one user calls (stream/refresh_sso.py), which a census never does.
    actions = {a for c in SSO_CAPS for a in BY_NAME[c].actions}
    called = {k.replace("sso-admin.", "sso:").replace("identitystore.", "identitystore:").replace("iam.", "iam:")
              for k in calls}
    refresh_only = {"identitystore:DescribeUser", "identitystore:ListGroupMembershipsForMember"}
    # per-application reads: no application is recorded here (tests/aws/test_identity_center_apps.py has them)
    per_app = {"sso:ListApplicationAssignments", "sso:GetApplicationAssignmentConfiguration"}
    assert refresh_only <= actions and called == actions - refresh_only - per_app


def _name(seeded, principal_id):
    names = {v: k for k, v in {**seeded["users"], **seeded["groups"]}.items()}
    return names[principal_id]


def test_assignment_is_scoped_to_its_account(aws):
    s = boto3.Session()
    seeded = seed_identity_center(s, [ACCOUNT, OTHER], users=2, groups=0, permission_sets=2, assignments=0)
    sso = boto3.client("sso-admin")
    admin, ro = seeded["permission_sets"]["AdministratorAccess"], seeded["permission_sets"]["ReadOnly"]
    alice, bob = seeded["users"]["user0000"], seeded["users"]["user0001"]
    for ps, acct, user in ((admin, ACCOUNT, alice), (ro, OTHER, bob)):
        sso.create_account_assignment(InstanceArn=seeded["instance_arn"], TargetId=acct, TargetType="AWS_ACCOUNT",
                                      PermissionSetArn=ps, PrincipalType="USER", PrincipalId=user)

    _, recs = run(make_factory())
    got = {(a.permission_set_arn, a.account_id, a.principal_id) for a in recs["sso.account_assignment"].values()}
    # moto lists both sets as provisioned in both accounts; still only the real pairs come back.
    assert got == {(admin, ACCOUNT, alice), (ro, OTHER, bob)}
    per_account = {}
    for a in recs["sso.account_assignment"].values():
        per_account.setdefault(a.account_id, set()).add((a.permission_set_arn, a.principal_id))
    assert per_account == {ACCOUNT: {(admin, alice)}, OTHER: {(ro, bob)}}  # Admin grants nothing in OTHER

    # Per instance: the member account's own (account) instance holds none of the management instance's data.
    member = make_factory().assume(f"arn:aws:iam::{OTHER}:role/OrganizationAccountAccessRole", None)
    out, theirs = run(member, account=OTHER, org=(ACCOUNT, OTHER))
    assert out.capabilities == dict.fromkeys(SSO_CAPS, "ok")
    (inst,) = theirs["sso.instance"].values()
    assert inst.owner_account_id == OTHER and inst.instance_arn != seeded["instance_arn"]
    assert "sso.account_assignment" not in theirs and "sso.user" not in theirs


def test_link_roles_matches_account_and_exact_set_name():
    def env(type_, id_, account, data):
        return make_record(type_, id_, account, data, run_id="r", collected_at="2026-01-01T00:00:00Z")

    a = ic.transform_assignment("arn:aws:sso:::instance/ssoins-1", {"PermissionSetArn": "ps-admin",
                                "PrincipalType": "USER", "PrincipalId": "u1"}, OTHER, "provisioned", {}, "Admin",
                                "eu-west-1")
    assert a.role_path == "/aws-reserved/sso.amazonaws.com/eu-west-1/"
    assignment = env("sso.account_assignment", ic.assignment_id(a), ACCOUNT, a)

    def role(account, name):
        arn = f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/{name}"
        return {"type": "iam.role", "account_id": account, "deleted": False,
                "data": {"name": name, "path": "/aws-reserved/sso.amazonaws.com/eu-west-1/", "arn": arn}}

    roles = [role(ACCOUNT, "AWSReservedSSO_Admin_0123456789abcdef"),  # same set, wrong account
             role(OTHER, "AWSReservedSSO_Admin_Read_0123456789abcdef"),  # prefix of another set
             role(OTHER, "AWSReservedSSO_Admin_fedcba9876543210")]
    assert ic.link_roles([assignment], roles) == {assignment["id"]: roles[2]["data"]["arn"]}
    assert ic.link_roles([assignment], roles[:2]) == {}


@pytest.mark.parametrize("shape", ["none", "delegated"])
def test_no_owned_instance_is_ok_not_denied(aws, data_dir, shape):
    body = {"Instances": []} if shape == "none" else json.loads(
        (data_dir / "sso_list_instances_delegated.json").read_text())["response"]

    def list_instances(request, **_):
        return json_answer(request, 200, body)

    factory = make_factory(None, ("before-send.sso-admin.ListInstances", list_instances))
    out, recs = run(factory)
    assert out.capabilities == dict.fromkeys(SSO_CAPS, "ok") and recs == {}
    assert factory.counter.total("identitystore") == 0 and factory.counter.total("sso-admin") == 1


def test_directory_follows_every_page(data_dir):
    pages = json.loads((data_dir / "sso_users_pages.json").read_text())
    store = boto3.client("identitystore", region_name="us-east-1")
    inst = SsoInstance(instance_arn="arn:aws:sso:::instance/ssoins-72230a1b2c3d4e5f", identity_store_id="d-9067000000",
                       owner_account_id="111111111111", region="us-east-1")
    sid = {"IdentityStoreId": "d-9067000000"}
    gid = pages["groups"]["Groups"][0]["GroupId"]
    with Stubber(store) as stub:
        stub.add_response("list_users", pages["users"][0], sid)
        stub.add_response("list_users", pages["users"][1], {**sid, "NextToken": "page-2"})
        stub.add_response("list_groups", pages["groups"], sid)
        stub.add_response("list_group_memberships", pages["memberships"][0], {**sid, "GroupId": gid})
        stub.add_response("list_group_memberships", pages["memberships"][1], {**sid, "GroupId": gid, "NextToken": "m-2"})
        found = ic.get_directory(store, inst.identity_store_id, Outcomes())
        records = ic.transform_directory(inst, found.users, found.groups, found.members)
        stub.assert_no_pending_responses()
    users = {r.user_name: r for r in records if hasattr(r, "user_name")}
    assert users["jdoe@example.com"].status == "ENABLED" and users["rroe@example.com"].status == "DISABLED"
    assert users["rroe@example.com"].emails == [] and users["rroe@example.com"].groups == [gid]
    (group,) = [r for r in records if hasattr(r, "members")]
    assert len(group.members) == 2 and group.arn == f"arn:aws:identitystore:::group/{gid}"


def moto_denial_as_json(operation_model, response_dict, **_):
    """moto's enforcement answers JSON-protocol services with its query-protocol XML error (code
    unparsable, "403"); AWS sends JSON. Rewrite only the wire format: the decision stays moto's."""
    body = response_dict.get("body") or b""
    if response_dict["status_code"] == 403 and body.startswith(b"<?xml") and \
            operation_model.service_model.protocol.startswith(("json", "rest-json")):
        message = body.split(b"<Message>")[1].split(b"</Message>")[0].decode()
        code = body.split(b"<Code>")[1].split(b"</Code>")[0].decode()
        response_dict["body"] = json.dumps({"__type": f"{code}Exception", "Message": message}).encode()


def test_denied_identity_store_skips_only_it(seeded_sso):
    # A read role allowed sso:* and iam:ListRoles but no identitystore action; moto enforces it.
    iam = boto3.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="sso-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sso:*", "iam:ListRoles"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            region_name="us-east-1")
    factory = make_factory(None, ("before-parse", moto_denial_as_json), session=session)

    out, recs = set_initial_no_auth_action_count(0)(run)(factory)

    assert out.capabilities == {**dict.fromkeys(SSO_CAPS, "ok"), "sso.identity_store": "denied"}
    assert "AccessDenied" in out.errors["sso.identity_store"]
    assert "sso.user" not in recs and "sso.group" not in recs
    assert len(recs["sso.permission_set"]) == 3 and len(recs["sso.account_assignment"]) == 8
    assert all(a.principal_name is None for a in recs["sso.account_assignment"].values())
    assert factory.counter.calls["identitystore.ListUsers"] == 1  # denied once, not retried per group


def test_denied_instances_skips_the_rest(aws):
    def denied(request, **_):
        return json_answer(request, 400, {"__type": "AccessDeniedException", "Message": "not authorized"})

    factory = make_factory(None, ("before-send.sso-admin.ListInstances", denied))
    out, recs = run(factory)
    assert out.capabilities == {"sso.instances": "denied", **dict.fromkeys(SSO_CAPS[1:], "skipped")}
    assert recs == {} and factory.counter.total() == 1


def test_permission_set_deleted_mid_run_is_skipped(seeded_sso):
    doomed = seeded_sso["permission_sets"]["Billing"]
    deleted = []

    def delete_after_listing(**_):
        if not deleted:  # the listing saw it; it is gone before it can be described
            boto3.client("sso-admin").delete_permission_set(InstanceArn=seeded_sso["instance_arn"],
                                                           PermissionSetArn=doomed)
            deleted.append(doomed)

    factory = make_factory(None, ("after-call.sso-admin.ListPermissionSets", delete_after_listing))
    out, recs = run(factory)
    assert out.capabilities == dict.fromkeys(SSO_CAPS, "ok")
    assert doomed in out.skipped
    assert {s.name for s in recs["sso.permission_set"].values()} == {"AdministratorAccess", "ReadOnly"}
    assert doomed not in {a.permission_set_arn for a in recs["sso.account_assignment"].values()}


def test_demo_view_shows_users_and_linked_assignments(seeded_sso):
    import io

    from rich.console import Console

    from idcensus_emulator.demo_sso import show_identity_center

    out = Outcomes()
    items = collect_items(make_factory(), AccountInfo(ACCOUNT), out, CollectOptions(org_accounts=(ACCOUNT, OTHER)),
                          tiers=("identity_center",))
    records = [make_record(t, i, ACCOUNT, d, run_id="r", collected_at="2026-01-01T00:00:00Z") for t, i, d in items]
    # The other account's roles, as that account's own run exports them.
    records += [{"type": "iam.role", "account_id": OTHER, "deleted": False,
                 "data": {"name": arn.rsplit("/", 1)[1], "path": "/aws-reserved/sso.amazonaws.com/", "arn": arn}}
                for (_, acct), arn in seeded_sso["roles"].items() if acct == OTHER]
    console = Console(file=io.StringIO(), width=250)
    show_identity_center(console, records, limit=500)
    text = console.file.getvalue()
    assert "user0004" in text and "user0004@example.com" in text
    assert "8 linked to their role" in text
    # The seed makes a role only for (set, account) pairs that hold an assignment: each must show.
    assert all(arn.split(":role", 1)[1] in text for arn in seeded_sso["roles"].values())


def test_account_instance_without_permission_sets_is_ok(aws):
    # An account instance answers ListPermissionSets with ValidationException (no AWS account access there).
    store_id = boto3.client("sso-admin").list_instances()["Instances"][0]["IdentityStoreId"]
    boto3.client("identitystore").create_user(IdentityStoreId=store_id, UserName="solo", DisplayName="Solo",
                                              Name={"GivenName": "S", "FamilyName": "Olo"})

    def unsupported(request, **_):
        return json_answer(request, 400, {"__type": "ValidationException",
                                          "Message": "The operation is not supported for this Identity Center instance"})

    factory = make_factory(None, ("before-send.sso-admin.ListPermissionSets", unsupported))
    out, recs = run(factory)
    assert out.capabilities == dict.fromkeys(SSO_CAPS, "ok")
    assert [u.user_name for u in recs["sso.user"].values()] == ["solo"]
    assert "sso.permission_set" not in recs and "sso.account_assignment" not in recs
    assert factory.counter.calls["sso-admin.ListPermissionSetsProvisionedToAccount"] == 0


def test_group_deleted_mid_run_is_skipped(seeded_sso):
    doomed = seeded_sso["groups"]["group002"]

    def gone(request, **_):
        if json.loads(request.body)["GroupId"] != doomed:
            return None
        return json_answer(request, 400, {"__type": "ResourceNotFoundException", "Message": "GROUP not found",
                                          "ResourceType": "GROUP", "ResourceId": doomed})

    out, recs = run(make_factory(None, ("before-send.identitystore.ListGroupMemberships", gone)))
    assert out.capabilities == dict.fromkeys(SSO_CAPS, "ok")
    assert out.skipped == [f"arn:aws:identitystore:::group/{doomed}"]
    assert {g.display_name for g in recs["sso.group"].values()} == {"group000", "group001"}
    assert len(recs["sso.user"]) == 250 and all(doomed not in u.groups for u in recs["sso.user"].values())


def test_denied_role_listing_keeps_assignments(seeded_sso):
    def denied(request, **_):
        body = (b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
                b"<Code>AccessDenied</Code><Message>not authorized to perform: iam:ListRoles</Message></Error>"
                b"<RequestId>r</RequestId></ErrorResponse>")
        return answer(request, 403, body)

    factory = make_factory(None, ("before-send.iam.ListRoles", denied))
    out, recs = run(factory)
    assert factory.counter.calls["iam.ListRoles"] == 1
    assert out.capabilities["sso.account_assignments"] == "ok"
    assert len(recs["sso.account_assignment"]) == 8
    assert all(a.role_arn is None for a in recs["sso.account_assignment"].values())
