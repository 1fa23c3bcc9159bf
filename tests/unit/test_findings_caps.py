"""Permissions boundaries and SCPs cap what the findings call an administrator or an escalation path:
an allow-list of services takes full administration away, a guardrail that denies a few actions by
name does not, and what the run did not read never hides an administrator."""

from __future__ import annotations

from tests.findings_records import (
    ADMIN_ARN,
    ADMIN_DOC,
    NOW,
    ORG_ROOT,
    A,
    B,
    allow,
    assignment,
    doc,
    org_node,
    permission_set,
    policy,
    role,
    scp,
    sso_instance,
    sso_user,
    trust,
    user,
)

from idcensus.findings.inventory import Inventory
from idcensus.findings.registry import by_id

C = "333333333333"
S3_ONLY = doc(allow(["s3:*", "cloudwatch:*"]))
FULL_ACCESS = doc(allow("*"))
GUARDRAIL = doc({"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "cloudtrail:StopLogging"],
                 "Resource": "*"})


def names(rule_id, *records):
    return {h.resource_arn.rsplit("/", 1)[-1] for h in by_id()[rule_id].check(Inventory(records, now=NOW))}


def admins(*records):
    return names("principal.administrator", *records)


def test_a_boundary_of_a_few_services_is_not_an_administrator():
    s3_boundary = policy("S3Boundary", document=S3_ONLY)
    records = [policy("AdministratorAccess", document=ADMIN_DOC, aws_managed=True), s3_boundary,
               user("capped", attached=[ADMIN_ARN], boundary=s3_boundary["data"]["arn"]),
               role("capped-role", trust=trust({"Service": "lambda.amazonaws.com"}), inline={"all": ADMIN_DOC},
                    boundary=s3_boundary["data"]["arn"]),
               user("admin", attached=[ADMIN_ARN]),
               user("admin-bounded-by-admin", attached=[ADMIN_ARN], boundary=ADMIN_ARN)]
    assert admins(*records) == {"admin", "admin-bounded-by-admin"}


def test_a_boundary_whose_document_was_not_read_hides_no_administrator():
    unread = f"arn:aws:iam::{A}:policy/NotCollected"
    assert admins(user("admin", inline={"all": ADMIN_DOC}, boundary=unread)) == {"admin"}


def test_a_boundary_takes_escalation_paths_away():
    writer = doc(allow(["iam:Put*", "iam:PassRole", "lambda:CreateFunction"]))
    no_iam = policy("NoIam", document=doc(allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))
    records = [no_iam, user("bounded", inline={"p": writer}, boundary=no_iam["data"]["arn"]),
               user("free", inline={"p": writer})]
    assert names("principal.privilege_escalation", *records) == {"free"}


def org(*sandbox, enabled=True):
    """A (management) and C at the root; B in the Sandbox OU, which holds the SCP documents `sandbox`
    (FullAWSAccess everywhere else, and a guardrail at the root)."""
    return [org_node(ORG_ROOT, "Root", accounts=[A, C], scps_enabled=enabled),
            org_node("ou-ab12-sandbox", "Sandbox", accounts=[B]),
            scp("FullAWSAccess", FULL_ACCESS, ORG_ROOT, A, B, C),
            scp("Guardrail", GUARDRAIL, ORG_ROOT),
            *(scp(f"Sandbox{n}", d, "ou-ab12-sandbox") for n, d in enumerate(sandbox))]


def test_an_scp_allow_list_above_the_account_takes_full_administration_away():
    # Every level from the root down must allow an action; the SCPs of one level add up.
    everyone = [user(f"admin-{n}", account, inline={"all": ADMIN_DOC}) for n, account in (("a", A), ("b", B), ("c", C))]
    assert admins(*org(S3_ONLY), *everyone) == {"admin-a", "admin-c"}
    assert admins(*org(S3_ONLY, FULL_ACCESS), *everyone) == {"admin-a", "admin-b", "admin-c"}
    # An allow-list at the root caps every member account; the management account is never under SCPs.
    records = [org_node(ORG_ROOT, "Root", accounts=[A, C]), org_node("ou-ab12-sandbox", "Sandbox", accounts=[B]),
               scp("RootOnly", S3_ONLY, ORG_ROOT), scp("FullAWSAccess", FULL_ACCESS, "ou-ab12-sandbox", A, B, C)]
    assert admins(*records, *everyone) == {"admin-a"}


def test_guardrails_that_deny_a_few_actions_leave_administrators_administrators():
    records = [*org(FULL_ACCESS),
               *(user(f"admin-{n}", account, inline={"all": ADMIN_DOC}) for n, account in (("a", A), ("b", B), ("c", C)))]
    assert admins(*records) == {"admin-a", "admin-b", "admin-c"}


def test_an_scp_deny_takes_an_escalation_path_away_in_its_accounts_only():
    keymaker = doc(allow("iam:CreateAccessKey"))
    records = [*org(FULL_ACCESS, doc({"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "*"})),
               user("keymaker-b", B, inline={"p": keymaker}), user("keymaker-c", C, inline={"p": keymaker})]
    assert names("principal.privilege_escalation", *records) == {"keymaker-c"}


def test_scps_not_enabled_or_not_read_cap_nothing():
    admin_b = user("admin-b", B, inline={"all": ADMIN_DOC})
    assert admins(*org(S3_ONLY, enabled=False), admin_b) == {"admin-b"}
    assert admins(*org(S3_ONLY, None), admin_b) == {"admin-b"}  # one of the OU's SCPs unread: that level is left out
    assert admins(admin_b) == {"admin-b"}  # no organization records (the run did not read them)


def test_identity_center_admin_capped_by_scp_or_by_its_boundary():
    admin_set = permission_set("Admin", managed=[ADMIN_ARN])
    bounded_set = permission_set("Bounded", managed=[ADMIN_ARN],
                                 boundary={"customer_managed_policy": {"name": "S3Boundary", "path": "/"}})
    records = [*org(S3_ONLY), sso_instance(), admin_set, bounded_set, policy("S3Boundary", C, document=S3_ONLY),
               sso_user("u1", "alice"), sso_user("u2", "bob"), sso_user("u3", "carol"),
               assignment(admin_set, B, "USER", "u1"),  # B: Sandbox's allow-list
               assignment(admin_set, C, "USER", "u2"),
               assignment(bounded_set, C, "USER", "u3")]  # C: its boundary allows S3 only
    assert admins(*records) == {"u2"}
