"""An IAM Identity Center instance seeded into the emulator (demo, tests, benchmark); what moto
cannot hold (boundaries, tags) goes to a `Recorded` for its hooks to answer (gaps.py)."""

from __future__ import annotations

import json
import random
import secrets

import boto3

from idcensus.model.sso import SSO_ROLE_PREFIX, role_path
from idcensus_emulator.gaps import Recorded
from idcensus_emulator.seed import trust

SET_NAMES = ("AdministratorAccess", "ReadOnly", "Billing", "DataScientist", "NetworkAdmin", "SecurityAudit")
MANAGED = {
    "AdministratorAccess": "arn:aws:iam::aws:policy/AdministratorAccess",
    "ReadOnly": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "SecurityAudit": "arn:aws:iam::aws:policy/SecurityAudit",
}

# Recorded real-shape GetPermissionsBoundaryForPermissionSet / ListTagsForResource answers (values
# made up) for the sets seed_identity_center creates, by set name. moto has neither call.
EXTRAS = {
    "AdministratorAccess": {"tags": [{"Key": "owner", "Value": "security"}, {"Key": "break-glass", "Value": "true"}]},
    "DataScientist": {
        "boundary": {"CustomerManagedPolicyReference": {"Name": "DataScientistBoundary", "Path": "/boundaries/"}},
        "tags": [{"Key": "owner", "Value": "data-platform"}, {"Key": "cost-center", "Value": "4711"}],
    },
}


def _set_name(n: int) -> str:
    return SET_NAMES[n] if n < len(SET_NAMES) else f"Team{n:03d}Access"


def seed_identity_center(session: boto3.Session, account_ids: list[str], *, users: int = 6, groups: int = 2,
                         permission_sets: int = 3, assignments: int = 6, roles: bool = True,
                         recorded: Recorded | None = None) -> dict:
    """Fill the pre-made instance of the session's account: users in groups, permission sets with
    every kind of policy, `assignments` distinct (principal, set, account) triples spread over
    `account_ids`, and (roles=True) the AWSReservedSSO_* role of each (set, account) pair.
    The sets' boundaries and tags (EXTRAS) go to `recorded` (returned as "recorded")."""
    recorded = recorded if recorded is not None else Recorded()
    sso, store = session.client("sso-admin"), session.client("identitystore")
    inst = sso.list_instances()["Instances"][0]
    arn, sid = inst["InstanceArn"], inst["IdentityStoreId"]
    user_ids = {}
    for n in range(users):
        name = f"user{n:04d}"
        user_ids[name] = store.create_user(
            IdentityStoreId=sid, UserName=name, DisplayName=f"User {n}",
            Name={"GivenName": "User", "FamilyName": str(n)},
            Emails=[{"Value": f"{name}@example.com", "Type": "work", "Primary": True}],
        )["UserId"]
    group_ids = {f"group{n:03d}": store.create_group(IdentityStoreId=sid, DisplayName=f"group{n:03d}",
                                                     Description=f"team {n}")["GroupId"] for n in range(groups)}
    gids = list(group_ids.values())
    for n, uid in enumerate(user_ids.values()):
        if gids:
            store.create_group_membership(IdentityStoreId=sid, GroupId=gids[n % len(gids)], MemberId={"UserId": uid})
    sets = {}
    for n in range(permission_sets):
        name = _set_name(n)
        relay = {"RelayState": "https://console.aws.amazon.com/s3/"} if n == 1 else {}
        ps = sso.create_permission_set(Name=name, InstanceArn=arn, Description=f"{name} access",
                                       SessionDuration="PT8H" if n else "PT1H", **relay,
                                       )["PermissionSet"]["PermissionSetArn"]
        q = {"InstanceArn": arn, "PermissionSetArn": ps}
        if name in MANAGED:
            sso.attach_managed_policy_to_permission_set(ManagedPolicyArn=MANAGED[name], **q)
        if n % 3 == 2:
            sso.attach_customer_managed_policy_reference_to_permission_set(
                CustomerManagedPolicyReference={"Name": f"{name}Extra", "Path": "/idcensus/"}, **q)
        if n % 2 == 1:
            doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                             "Resource": f"arn:aws:s3:::{name.lower()}-data/*"}]}
            sso.put_inline_policy_to_permission_set(InlinePolicy=json.dumps(doc), **q)
        # moto provisions to the caller's account whatever the target; real AWS does this on assignment.
        sso.provision_permission_set(TargetType="ALL_PROVISIONED_ACCOUNTS", **q)
        sets[name] = ps
        if "boundary" in EXTRAS.get(name, {}):
            recorded.boundaries[ps] = EXTRAS[name]["boundary"]
        if "tags" in EXTRAS.get(name, {}):
            recorded.tags[ps] = EXTRAS[name]["tags"]
    principals = [("GROUP", g) for g in gids] + [("USER", u) for u in user_ids.values()]
    combos = [(ps, acct) for ps in sets.items() for acct in account_ids]
    # Distinct (principal, set, account) triples, spread at random (fixed seed) over all three.
    total = len(principals) * len(combos)
    picks = sorted(random.Random(7).sample(range(total), min(assignments, total)))
    made = []
    for i in picks:
        (name, ps), acct = combos[i % len(combos)]
        ptype, pid = principals[i // len(combos)]
        sso.create_account_assignment(InstanceArn=arn, TargetId=acct, TargetType="AWS_ACCOUNT",
                                      PermissionSetArn=ps, PrincipalType=ptype, PrincipalId=pid)
        made.append({"permission_set": name, "permission_set_arn": ps, "account_id": acct,
                     "principal_type": ptype, "principal_id": pid})
    role_arns = _roles(session, inst["OwnerAccountId"], {(a["permission_set"], a["account_id"]) for a in made},
                       session.region_name or "us-east-1") if roles else {}
    return {"instance_arn": arn, "identity_store_id": sid, "owner_account_id": inst["OwnerAccountId"],
            "users": user_ids, "groups": group_ids, "permission_sets": sets, "assignments": made,
            "roles": role_arns, "recorded": recorded}


def _roles(session, owner: str, pairs: set[tuple[str, str]], region: str) -> dict[tuple[str, str], str]:
    """The roles Identity Center would have created: AWSReservedSSO_<set>_<16 hex> in each account."""
    made = {}
    for acct in sorted({a for _, a in pairs}):
        iam = _member(session, acct, owner).client("iam")
        for name in sorted(n for n, a in pairs if a == acct):
            saml = f"arn:aws:iam::{acct}:saml-provider/AWSSSO_{secrets.token_hex(8)}_DO_NOT_DELETE"
            role = iam.create_role(
                RoleName=f"{SSO_ROLE_PREFIX}{name}_{secrets.token_hex(8)}", Path=role_path(region),
                AssumeRolePolicyDocument=trust({"Federated": saml}),
            )["Role"]
            made[(name, acct)] = role["Arn"]
    return made


def _member(session, account_id: str, owner: str) -> boto3.Session:
    if account_id == owner:
        return session
    creds = session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="seed-sso"
    )["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=session.region_name)


def applications(instance_arn: str, account_id: str, users: list[str], groups: list[str]) -> list[dict]:
    """Two applications in ListApplications' real shape (moto has none): a catalog SaaS app whose
    assignment is required, assigned to a group and a user, and one open to every user."""
    instance_id = instance_arn.rsplit("/", 1)[-1]
    part = instance_arn.split(":")[1]

    def app(app_id, name, provider):
        return {"ApplicationArn": f"arn:{part}:sso::{account_id}:application/{instance_id}/apl-{app_id}",
                "ApplicationProviderArn": f"arn:{part}:sso::aws:applicationProvider/{provider}", "Name": name,
                "ApplicationAccount": account_id, "InstanceArn": instance_arn, "Status": "ENABLED",
                "PortalOptions": {"Visibility": "ENABLED", "SignInOptions": {"Origin": "IDENTITY_CENTER"}},
                "Description": f"{name} through Identity Center", "CreatedDate": 1735689600.0}

    salesforce = app("1a2b3c4d5e6f7a8b", "Salesforce", "catalog/salesforce")
    return [
        {"application": salesforce, "assignment_required": True, "assignments": [
            {"ApplicationArn": salesforce["ApplicationArn"], "PrincipalId": groups[0], "PrincipalType": "GROUP"},
            {"ApplicationArn": salesforce["ApplicationArn"], "PrincipalId": users[0], "PrincipalType": "USER"}]},
        {"application": app("9f8e7d6c5b4a3f2e", "GitHub Enterprise", "custom"), "assignments": [],
         "assignment_required": False},
    ]
