"""Every findings rule on records built through the real models: what it flags and, as importantly,
what it must not (the false alarms peers raise)."""

from __future__ import annotations

import pytest
from tests.findings_records import (
    ADMIN_ARN,
    ADMIN_DOC,
    NOW,
    OUTSIDE,
    A,
    B,
    ago,
    allow,
    assignment,
    doc,
    group,
    key,
    permission_set,
    policy,
    role,
    root,
    sso_group,
    sso_instance,
    sso_user,
    trust,
    user,
)

from idcensus.findings.inventory import Inventory
from idcensus.findings.registry import all_rules, by_id

ADMIN_POLICY = policy("AdministratorAccess", document=ADMIN_DOC, aws_managed=True)


def hits(rule_id, *records):
    return list(by_id()[rule_id].check(Inventory(records, now=NOW)))


def flagged(rule_id, *records):
    return {(h.resource_arn.rsplit("/", 1)[-1], h.key) for h in hits(rule_id, *records)}


def test_every_rule_is_declared_completely():
    for r in all_rules():
        assert r.title and r.remediation and r.reads and r.check, r.id
        assert r.remediation.count(".") <= 3, f"{r.id}: remediation in one or two sentences"


def test_root_access_key_only_when_active():
    assert flagged("root.access_key", root(keys=[{"active": True}]))
    assert not flagged("root.access_key", root(keys=[{"active": False}]))


def test_root_without_mfa_but_not_without_a_password():
    assert flagged("root.no_mfa", root(mfa=False))
    assert not flagged("root.no_mfa", root(mfa=True))
    assert not flagged("root.no_mfa", root(mfa=False, password=False))  # centralized root access


def test_root_recent_use():
    assert flagged("root.recent_use", root(password_used=ago(2)))
    assert not flagged("root.recent_use", root(password_used=ago(200)))


def test_console_user_without_mfa_and_the_peers_false_alarm():
    assert flagged("user.console_without_mfa", user("alice", console=True)) == {("alice", None)}
    assert not flagged("user.console_without_mfa", user("bob", console=True, mfa=True))
    # hardware MFA, no console password: not a console user without MFA (Prowler flags it)
    assert not flagged("user.console_without_mfa", user("carol", hardware=True))
    assert not flagged("user.console_without_mfa", user("ci", keys=[key("AKIA1")]))


def test_credential_unused_45_days_or_never():
    u = user("dave", console=True, password_used=ago(60), keys=[
        key("AKIAOLD", created=ago(100), used=None), key("AKIAUSED", used=ago(10)),
        key("AKIAOFF", created=ago(100), used=None, status="Inactive"), key("AKIANEW", created=ago(5), used=None)])
    assert flagged("user.credential_unused", u) == {("dave", "password"), ("dave", "AKIAOLD")}
    assert not flagged("user.credential_unused", user("erin", console=True, password_used=ago(3)))


def test_two_active_keys():
    assert flagged("user.two_active_keys", user("f", keys=[key("AKIA1"), key("AKIA2")]))
    assert not flagged("user.two_active_keys", user("g", keys=[key("AKIA1"), key("AKIA2", status="Inactive")]))


def test_key_not_rotated_90_days():
    assert flagged("user.key_not_rotated", user("h", keys=[key("AKIA1", created=ago(120))])) == {("h", "AKIA1")}
    assert not flagged("user.key_not_rotated", user("i", keys=[key("AKIA1", created=ago(30))]))
    assert not flagged("user.key_not_rotated", user("j", keys=[key("AKIA1", created=ago(120), status="Inactive")]))


def test_policies_attached_directly():
    assert flagged("user.direct_policies", user("k", attached=[ADMIN_ARN]))
    assert flagged("user.direct_policies", user("k2", inline={"p": doc(allow("s3:GetObject"))}))
    assert not flagged("user.direct_policies", user("l", groups=["devs"]))


def test_inactive_user_90_days():
    assert flagged("user.inactive", user("m", last_activity=ago(120)))
    assert not flagged("user.inactive", user("n", last_activity=ago(10)))
    assert not flagged("user.inactive", user("o"))  # never active: orphaned, not inactive


def test_orphaned_user_never_active_without_owner_tag():
    assert flagged("user.orphaned", user("p"))
    assert not flagged("user.orphaned", user("q", tags={"Owner": "team-payments"}))
    assert not flagged("user.orphaned", user("r", tags={"created-by": "alice"}))
    assert not flagged("user.orphaned", user("s", keys=[key("AKIA1", used=ago(400))]))


def test_full_admin_policies_customer_inline_and_aws_managed():
    custom = policy("Everything", document=ADMIN_DOC, attached=0)
    scoped = policy("S3Only", document=doc(allow("s3:*")))
    assert flagged("policy.full_admin", custom, scoped) == {("Everything", None)}
    # AWS-managed AdministratorAccess is admin (cloudsplaining skips it) where it is attached
    assert flagged("policy.full_admin", ADMIN_POLICY) == {("AdministratorAccess", None)}
    assert not flagged("policy.full_admin", policy("AdministratorAccess", document=ADMIN_DOC, aws_managed=True,
                                                   attached=0))
    assert flagged("policy.full_admin", role("ops", trust=trust({"AWS": f"arn:aws:iam::{A}:root"}),
                                             inline={"all": doc({"Effect": "Allow", "Action": "*:*", "Resource": "*"})}))


def test_administrator_by_every_path():
    records = [
        ADMIN_POLICY,
        group("admins", members=["grace"], attached=[ADMIN_ARN]),
        user("grace", groups=["admins"], mfa=True),
        user("heidi", inline={"all": ADMIN_DOC}),
        user("ivan", mfa=True),
        user("judy", attached=["arn:aws:iam::aws:policy/AmazonS3FullAccess"]),
        role("breakglass", trust=trust({"AWS": f"arn:aws:iam::{A}:user/ivan"}), attached=[ADMIN_ARN]),
        role("lambda-admin", trust=trust({"Service": "lambda.amazonaws.com"}), inline={"all": ADMIN_DOC}),
    ]
    by = {h.resource_arn.rsplit("/", 1)[-1]: {p["via"] for p in h.evidence["paths"]}
          for h in hits("principal.administrator", *records)}
    assert by == {"grace": {"group"}, "heidi": {"inline"}, "ivan": {"assume_role"}, "breakglass": {"role_policy"},
                  "lambda-admin": {"role_policy"}}


def test_administrator_through_identity_center():
    ps = permission_set("Admin", managed=[ADMIN_ARN])
    custom = permission_set("Custom", customer=["OrgAdmin"])
    read = permission_set("Read", managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    records = [sso_instance(), ps, custom, read, policy("OrgAdmin", B, document=ADMIN_DOC),
               sso_user("u1", "alice"), sso_user("u2", "bob"), sso_user("u3", "carol", groups=["g1"]),
               sso_group("g1", "ops", members=["u3"]),
               assignment(ps, B, "USER", "u1"), assignment(custom, B, "GROUP", "g1"), assignment(read, B, "USER", "u2")]
    assert {h.resource_arn.rsplit("/", 1)[-1] for h in hits("principal.administrator", *records)} == {"u1", "u3"}
    assert {h.key for h in hits("sso.admin_assignment", *records)} == {f"{B}/USER/u1", f"{B}/GROUP/g1"}


def test_admin_without_mfa():
    records = [ADMIN_POLICY, group("admins", members=["a1", "a2"], attached=[ADMIN_ARN]),
               user("a1", groups=["admins"]), user("a2", groups=["admins"], hardware=True), user("plain")]
    assert flagged("principal.admin_without_mfa", *records) == {("a1", None)}


def test_privilege_escalation_names_principal_and_actions():
    records = [
        user("passer", inline={"p": doc(allow(["iam:PassRole", "lambda:Create*"]))}),
        user("writer", inline={"p": doc(allow("iam:Put*"))}),
        user("keymaker", inline={"p": doc(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*"))}),
        user("reader", inline={"p": doc(allow(["s3:*", "iam:Get*", "iam:List*"]))}),
        user("passonly", inline={"p": doc(allow("iam:PassRole"))}),
        user("denied", inline={"p": doc(allow("iam:*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})}),
        user("root-like", inline={"p": ADMIN_DOC}),
    ]
    found = {h.resource_arn.rsplit("/", 1)[-1]: h.evidence["paths"]
             for h in hits("principal.privilege_escalation", *records)}
    assert set(found) == {"passer", "writer", "keymaker"}
    assert found["passer"] == {"pass_role_to_compute": ["iam:PassRole", "lambda:CreateFunction"]}
    assert {"iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy"} <= set(found["writer"]["policy_write"])
    assert found["keymaker"] == {"credentials_for_others": ["iam:CreateAccessKey"]}


def test_cloudshell_full_access():
    arn = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
    assert flagged("principal.cloudshell_full_access", group("devs", attached=[arn]))
    assert not flagged("principal.cloudshell_full_access", group("devs", attached=[ADMIN_ARN]))


def test_no_support_role_per_account():
    support = role("support", trust=trust({"AWS": f"arn:aws:iam::{A}:root"}),
                   attached=["arn:aws:iam::aws:policy/AWSSupportAccess"])
    other = role("app", B, trust=trust({"Service": "ec2.amazonaws.com"}))
    assert {h.account_id for h in hits("account.no_support_role", support, other)} == {B}


def test_outside_trust_without_external_id_and_the_peers_false_alarms():
    outside = trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"})
    guarded = trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, {"StringEquals": {"sts:ExternalId": "x"}})
    org_wide = trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-123"}})
    rule_id = "role.trusts_outside_account_without_external_id"
    assert flagged(rule_id, role("vendor", trust=outside, external=[OUTSIDE])) == {("vendor", f"arn:aws:iam::{OUTSIDE}:root")}
    assert not flagged(rule_id, role("vendor-ok", trust=guarded, external=[OUTSIDE]))
    # a sister account of the organization is not "outside" (cloudsplaining flags it)
    assert not flagged(rule_id, role("sister", trust=trust({"AWS": f"arn:aws:iam::{B}:root"})))
    assert not flagged(rule_id, role("org", trust=org_wide))


def test_trust_of_anyone_without_conditions():
    assert flagged("role.trusts_anyone", role("open", trust=trust({"AWS": "*"})))
    assert flagged("role.trusts_anyone", role("open2", trust=trust("*")))
    org_only = trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-1"}})
    assert not flagged("role.trusts_anyone", role("cond", trust=org_only))


def test_service_trust_without_source_conditions():
    rule_id = "role.service_trust_without_source"
    assert flagged(rule_id, role("cfg", trust=trust({"Service": "config.amazonaws.com"})))
    assert not flagged(rule_id, role("cfg2", trust=trust({"Service": "config.amazonaws.com"},
                                                         {"StringEquals": {"aws:SourceAccount": A}})))
    assert not flagged(rule_id, role("fn", trust=trust({"Service": "lambda.amazonaws.com"})))
    assert not flagged(rule_id, role("slr", trust=trust({"Service": "config.amazonaws.com"}), service_linked=True))


def test_unused_role_90_days():
    t = trust({"Service": "ec2.amazonaws.com"})
    assert flagged("role.unused", role("old", trust=t, last_used=ago(120)))
    assert flagged("role.unused", role("never", trust=t, last_used=None))
    assert not flagged("role.unused", role("fresh", trust=t, last_used=None, created=ago(5)))
    assert not flagged("role.unused", role("slr", trust=t, last_used=None, service_linked=True))


def test_empty_groups_iam_and_identity_center():
    records = [group("empty"), group("full", members=["x"]), sso_group("g1", "nobody"),
               sso_group("g2", "somebody", members=["u1"]), sso_group("g3", "via-user"), sso_user("u2", "z", groups=["g3"])]
    assert {h.resource_arn.rsplit("/", 1)[-1] for h in hits("group.empty", *records)} == {"empty", "g1"}


def test_identity_center_user_without_assignment():
    ps = permission_set("Read")
    records = [sso_user("u1", "a"), sso_user("u2", "b", groups=["g1"]), sso_user("u3", "c"),
               sso_group("g1", "team", members=["u2"]), assignment(ps, B, "GROUP", "g1"), assignment(ps, B, "USER", "u1")]
    assert flagged("sso.user_without_assignment", *records) == {("u3", None)}


def test_console_users_beside_identity_center():
    rule_id = "account.console_users_beside_identity_center"
    assert flagged(rule_id, sso_instance(), user("web", console=True), user("ci"))  == {("web", None)}
    assert not flagged(rule_id, user("web", console=True))


def test_duplicate_identities_across_accounts_and_identity_center():
    records = [
        sso_instance(), sso_user("u1", "alice@example.com", emails=["alice@example.com"]),
        user("alice", A, console=True, tags={"email": "Alice@Example.com"}),
        user("alice", B, console=True),
        user("deploy", A), user("deploy", B),  # workloads without a console password: not people
        user("bot1", A, tags={"owner": "bob@example.com"}), user("bot2", B, tags={"owner": "bob@example.com"}),
    ]
    found = hits("identity.duplicate", *records)
    assert len(found) == 1
    ev = found[0].evidence
    assert {(i["type"], i["account_id"]) for i in ev["identities"]} == {("sso.user", A), ("iam.user", A), ("iam.user", B)}
    assert ev["confidence"] == "medium"  # the second alice joined on her name only
    assert {m["on"] for m in ev["matched_on"]} == {"email", "user_name"}


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.id)
def test_no_rule_fires_on_a_clean_account(r):
    """A clean control: MFA everywhere, one fresh key, permissions through groups, owned, used, assigned."""
    records = [
        root(), user("clean", console=True, mfa=True, groups=["devs"], keys=[key("AKIA1")], tags={"owner": "x"},
                     last_activity=ago(1), password_used=ago(1)),
        group("devs", members=["clean"], attached=["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
        role("support", trust=trust({"AWS": f"arn:aws:iam::{A}:root"}), attached=["arn:aws:iam::aws:policy/AWSSupportAccess"]),
        role("vendor", trust=trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, {"StringEquals": {"sts:ExternalId": "e"}}),
             external=[OUTSIDE]),
    ]
    assert hits(r.id, *records) == []


def account_record(account, capabilities):
    from tests.findings_records import rec

    from idcensus.model.records import Account, Collection

    return rec("aws.account", f"arn:aws:organizations:::account/{account}", account, Account(
        account_id=account, collection=Collection(status="ok", capabilities=capabilities)))


def password_policy(account, **fields):
    """An iam.password_policy record as collect/password_policy.py exports it."""
    return {"type": "iam.password_policy", "id": f"arn:aws:iam::{account}:account-password-policy",
            "account_id": account, "deleted": False, "data": fields}


def test_password_policy_missing_or_weak_only_where_it_was_read():
    read = {"iam.password_policy": "ok"}
    rule_id = "account.password_policy_weak"
    assert {h.account_id for h in hits(rule_id, account_record(A, read))} == {A}  # read, none: missing
    assert not hits(rule_id, account_record(A, {"iam.authorization_details": "ok"}))  # not read: unknown
    assert {h.account_id for h in hits(rule_id, account_record(A, read), password_policy(A, exists=False))} == {A}
    weak = hits(rule_id, account_record(A, read), password_policy(A, exists=True, minimum_length=8,
                                                                   reuse_prevention=24))
    assert weak[0].evidence["problems"] == ["minimum length 8 < 14"]
    assert not hits(rule_id, account_record(A, read), password_policy(A, exists=True, minimum_length=14,
                                                                       reuse_prevention=24))
