"""Planted problems and clean controls for the findings layer: each plant names the rules it must
trigger; each control is a principal no rule may flag (the peers' false alarms among them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from idcensus_emulator.seed import OUTSIDE_ACCOUNT, allow, policy, trust

AWS_POLICY = "arn:aws:iam::aws:policy/"
ADMIN = f"{AWS_POLICY}AdministratorAccess"
READ_ONLY = f"{AWS_POLICY}ReadOnlyAccess"
CLOUDSHELL = f"{AWS_POLICY}AWSCloudShellFullAccess"
SUPPORT = f"{AWS_POLICY}AWSSupportAccess"
STAR = {"Effect": "Allow", "Action": "*", "Resource": "*"}
OWNER = [{"Key": "owner", "Value": "platform-team@example.com"}]


@dataclass
class Planted:
    problems: set[tuple[str, str]] = field(default_factory=set)  # (rule id, principal ARN)
    controls: set[str] = field(default_factory=set)  # ARNs no finding may name
    duplicates: list[str] = field(default_factory=list)  # one person's users across accounts

    def expect_duplicates(self) -> None:
        """The person's finding names the user in the lowest account ID."""
        if len(self.duplicates) > 1:
            self.expect(min(self.duplicates, key=lambda arn: arn.split(":")[4]), "identity.duplicate")

    def expect(self, arn: str, *rules: str) -> None:
        self.problems |= {(r, arn) for r in rules}


def plant(iam, account_id: str, sister_account: str, planted: Planted, *, support_role: bool) -> Planted:
    """Problems and controls in one account (through its IAM client)."""
    user = f"arn:aws:iam::{account_id}:user/"
    role = f"arn:aws:iam::{account_id}:role/"

    def new_user(name, *, console=False, mfa=False, tags=(), group=None):
        iam.create_user(UserName=name, Tags=list(tags))
        if console:
            iam.create_login_profile(UserName=name, Password="Plant-Passw0rd!")
        if mfa:
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
            iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                                  AuthenticationCode1="123456", AuthenticationCode2="654321")
        if group:
            iam.add_user_to_group(GroupName=group, UserName=name)
        return user + name

    def new_role(name, trust_policy, *, attached=(), inline=None):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)
        for arn in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        if inline:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy(inline))
        return role + name

    iam.create_group(GroupName="plant-admins")
    iam.attach_group_policy(GroupName="plant-admins", PolicyArn=ADMIN)
    iam.create_group(GroupName="ctl-readers")
    iam.attach_group_policy(GroupName="ctl-readers", PolicyArn=READ_ONLY)
    iam.create_group(GroupName="plant-empty")
    planted.expect(f"arn:aws:iam::{account_id}:group/plant-empty", "group.empty")

    # --- problems
    arn = new_user("plant-nomfa", console=True, tags=OWNER, group="ctl-readers")
    planted.expect(arn, "user.console_without_mfa")
    arn = new_user("plant-twokeys", tags=OWNER, group="ctl-readers")
    iam.create_access_key(UserName="plant-twokeys")
    iam.create_access_key(UserName="plant-twokeys")
    planted.expect(arn, "user.two_active_keys")
    arn = new_user("plant-direct", tags=OWNER)
    iam.attach_user_policy(UserName="plant-direct", PolicyArn=READ_ONLY)
    planted.expect(arn, "user.direct_policies")
    arn = new_user("plant-inline-admin", tags=OWNER)
    iam.put_user_policy(UserName="plant-inline-admin", PolicyName="everything", PolicyDocument=policy(STAR))
    planted.expect(arn, "policy.full_admin", "principal.administrator", "principal.admin_without_mfa",
                   "user.direct_policies")
    arn = new_user("plant-group-admin", tags=OWNER, group="plant-admins")
    planted.expect(arn, "principal.administrator", "principal.admin_without_mfa")
    arn = new_user("plant-orphan", console=True, mfa=True, group="ctl-readers")
    planted.expect(arn, "user.orphaned")
    arn = new_user("plant-passrole", tags=OWNER)
    iam.put_user_policy(UserName="plant-passrole", PolicyName="deploy",
                        PolicyDocument=policy(allow(["iam:PassRole", "lambda:CreateFunction", "s3:GetObject"])))
    planted.expect(arn, "principal.privilege_escalation", "user.direct_policies")
    arn = new_user("plant-keymaker", tags=OWNER)
    iam.put_user_policy(UserName="plant-keymaker", PolicyName="helpdesk",
                        PolicyDocument=policy(allow(["iam:CreateAccessKey", "iam:List*"], "arn:aws:iam::*:user/*")))
    planted.expect(arn, "principal.privilege_escalation", "user.direct_policies")
    arn = new_user("plant-cloudshell", tags=OWNER)
    iam.attach_user_policy(UserName="plant-cloudshell", PolicyArn=CLOUDSHELL)
    planted.expect(arn, "principal.cloudshell_full_access", "user.direct_policies")
    star = iam.create_policy(PolicyName="plant-star", PolicyDocument=policy(STAR))["Policy"]["Arn"]
    planted.expect(star, "policy.full_admin")
    planted.expect(new_role("plant-aws-admin", trust({"Service": "ec2.amazonaws.com"}), attached=[ADMIN]),
                   "principal.administrator")  # AWS-managed AdministratorAccess is admin (cloudsplaining skips it)
    planted.expect(new_role("plant-inline-admin-role", trust({"Service": "lambda.amazonaws.com"}), inline=STAR),
                   "principal.administrator", "policy.full_admin")
    planted.expect(new_role("plant-vendor", trust({"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"}),
                            attached=[READ_ONLY]), "role.trusts_outside_account_without_external_id")
    planted.expect(new_role("plant-open", trust({"AWS": "*"}), attached=[READ_ONLY]), "role.trusts_anyone")
    planted.expect(new_role("plant-config", trust({"Service": "config.amazonaws.com"}), attached=[READ_ONLY]),
                   "role.service_trust_without_source")

    # the same person in every account planted: identity.duplicate names her user in the first account
    planted.duplicates.append(new_user("dana.smith", console=True, mfa=True, tags=OWNER, group="ctl-readers"))

    # --- controls: nothing may be said about these (names unique to the account: no duplicates)
    planted.controls.add(new_user(f"ctl-console-mfa-{account_id[-4:]}", console=True, mfa=True, tags=OWNER,
                                  group="ctl-readers"))
    planted.controls.add(new_user("ctl-mfa-no-console", mfa=True, tags=OWNER, group="ctl-readers"))  # Prowler's alarm
    planted.controls.add(new_user("ctl-one-key", tags=OWNER, group="ctl-readers"))
    iam.create_access_key(UserName="ctl-one-key")
    planted.controls.add(new_role("ctl-vendor-extid", trust({"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"},
                                                            {"StringEquals": {"sts:ExternalId": "vendor-123"}}),
                                  attached=[READ_ONLY]))
    planted.controls.add(new_role("ctl-sister", trust({"AWS": f"arn:aws:iam::{sister_account}:root"}),
                                  attached=[READ_ONLY]))  # in the organization: cloudsplaining's alarm
    planted.controls.add(new_role("ctl-config-source", trust({"Service": "config.amazonaws.com"},
                                                             {"StringEquals": {"aws:SourceAccount": account_id}}),
                                  attached=[READ_ONLY]))
    planted.controls.add(new_role("ctl-ec2", trust({"Service": "ec2.amazonaws.com"}), attached=[READ_ONLY]))
    planted.controls.add(f"arn:aws:iam::{account_id}:group/ctl-readers")
    if support_role:  # the clean account: a support role and a strong password policy
        planted.controls.add(new_role("ctl-support", trust({"AWS": f"arn:aws:iam::{account_id}:root"}),
                                      attached=[SUPPORT]))
        iam.update_account_password_policy(MinimumPasswordLength=16, PasswordReusePrevention=24, RequireSymbols=True)
        planted.controls.add(f"arn:aws:organizations:::account/{account_id}")  # no account-level finding here
    else:
        iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=24)
        planted.expect(f"arn:aws:organizations:::account/{account_id}", "account.no_support_role",
                       "account.password_policy_weak")
    return planted


def suppression_file(account_id: str) -> bytes:
    """A customer's suppressions.json accepting one planted finding."""
    return json.dumps({"suppressions": [{
        "rule": "user.two_active_keys", "principal": f"arn:aws:iam::{account_id}:user/plant-twokeys",
        "reason": "key rollover in progress", "expires": "2099-01-01"}]}).encode()
