"""A small, realistic organization seeded into the emulator for the demo, tests and benchmarks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import boto3

from idcensus.collect.registry import TIERS, tier_policy

OUTSIDE_ACCOUNT = "999988887777"  # made up: stands for a vendor outside the organization
READ_ROLE = "IdcensusReadOnly"
EXTERNAL_ID = "idcensus-demo"


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal: dict, condition: dict | None = None) -> str:
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return policy(st)


@dataclass
class SeededOrg:
    management_id: str
    accounts: dict[str, str] = field(default_factory=dict)  # name -> account id


def member_session(account_id: str, management_id: str) -> boto3.Session:
    if account_id == management_id:
        return boto3.Session()
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def seed_organization(members: tuple[str, ...] = ("security", "prod", "dev")) -> SeededOrg:
    """An organization with OUs and accounts; every account gets the read role and identities."""
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    management_id = boto3.client("sts").get_caller_identity()["Account"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    security = org.create_organizational_unit(ParentId=root_id, Name="Security")["OrganizationalUnit"]["Id"]
    workloads = org.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]["Id"]
    seeded = SeededOrg(management_id=management_id, accounts={"management": management_id})
    for name in members:
        status = org.create_account(AccountName=name, Email=f"aws+{name}@example.com")["CreateAccountStatus"]
        account_id = status["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root_id,
                         DestinationParentId=security if name == "security" else workloads)
        seeded.accounts[name] = account_id
    for account_id in seeded.accounts.values():
        iam = member_session(account_id, management_id).client("iam")
        create_read_role(iam, management_id)
        seed_identities(iam, account_id, seeded)
    return seeded


# moto enforces IAM with "<service>:<Operation>" for every call; API Gateway's real actions are HTTP
# verbs (apigateway:GET). The emulated role also gets moto's spelling, so a granted tier reads as
# granted there; the registry and member.yaml keep AWS's actions.
MOTO_ACTION_ALIASES = {"apigateway:GET": ["apigateway:GetRestApis"]}


def emulated_tier_policy(tier: str) -> dict:
    """A tier's policy as the registry writes it, plus moto's spellings of HTTP-verb actions."""
    doc = tier_policy(tier)
    actions = doc["Statement"][0]["Action"]
    doc["Statement"][0]["Action"] = actions + [a for x in actions for a in MOTO_ACTION_ALIASES.get(x, [])]
    return doc


def create_read_role(iam, central_account: str, role_name: str = READ_ROLE,
                     tiers: tuple[str, ...] = tuple(TIERS)) -> None:
    iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=trust(
            {"AWS": f"arn:aws:iam::{central_account}:root"}, {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
        ),
    )
    # Each tier's policy exactly as stacksets/member.yaml grants it, generated from the registry.
    for tier in tiers:
        iam.put_role_policy(RoleName=role_name, PolicyName=f"idcensus-{tier}",
                            PolicyDocument=json.dumps(emulated_tier_policy(tier)))


def seed_identities(iam, account_id: str, org: SeededOrg) -> None:
    arn = f"arn:aws:iam::{account_id}:policy"
    iam.create_policy(PolicyName="reports-read", PolicyDocument=policy(allow(["s3:GetObject", "s3:ListBucket"])))
    iam.create_policy(PolicyName="deploy-pipeline", Path="/ci/",
                      PolicyDocument=policy(allow(["cloudformation:*", "iam:PassRole"])))
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_group(GroupName="developers")
    iam.attach_group_policy(GroupName="developers", PolicyArn=f"{arn}/reports-read")
    iam.put_group_policy(GroupName="developers", PolicyName="logs",
                         PolicyDocument=policy(allow("logs:Get*")))

    # alice: console + MFA + an active key, admin
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "platform"}])
    iam.create_login_profile(UserName="alice", Password="Demo-Passw0rd!")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.create_access_key(UserName="alice")
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    # bob: console without MFA, developer, inline policy
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Demo-Passw0rd!")
    iam.add_user_to_group(GroupName="developers", UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="sqs-debug", PolicyDocument=policy(allow("sqs:ReceiveMessage")))
    # ci-deploy: programmatic only, two keys (one inactive), customer policy
    iam.create_user(UserName="ci-deploy", Path="/automation/")
    iam.attach_user_policy(UserName="ci-deploy", PolicyArn=f"{arn}/ci/deploy-pipeline")
    iam.create_access_key(UserName="ci-deploy")
    old = iam.create_access_key(UserName="ci-deploy")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="ci-deploy", AccessKeyId=old, Status="Inactive")
    # carol: no credentials at all
    iam.create_user(UserName="carol")
    iam.add_user_to_group(GroupName="developers", UserName="carol")

    iam.create_role(RoleName="app-instance", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.attach_role_policy(RoleName="app-instance", PolicyArn=f"{arn}/reports-read")
    iam.create_instance_profile(InstanceProfileName="app-instance")
    iam.add_role_to_instance_profile(InstanceProfileName="app-instance", RoleName="app-instance")
    others = [a for a in org.accounts.values() if a != account_id]
    if others:
        iam.create_role(RoleName="org-auditor", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{others[0]}:root"}))
        iam.attach_role_policy(RoleName="org-auditor", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.create_role(
        RoleName="vendor-access",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"}),
        PermissionsBoundary=f"{arn}/reports-read",
    )
    iam.put_role_policy(RoleName="vendor-access", PolicyName="read-reports",
                        PolicyDocument=policy(allow("s3:GetObject", "arn:aws:s3:::reports/*")))

