"""Privilege-escalation paths: which of a principal's allowed actions let it gain more permissions.

The techniques are the published ones (policy and trust writes, credentials for other users, passing a
role to compute it then controls); the actions behind each come from the IAM catalogue, so a wildcard
such as iam:Put* or iam:* is expanded against every real IAM action and its access level. Pure."""

from __future__ import annotations

from functools import lru_cache

from idcensus.findings import catalogue
from idcensus.findings.policy import Grants

# IAM "Permissions management" actions that only take permissions away (or create a policy nobody holds).
NOT_ESCALATING = ("iam:Detach", "iam:DeletePolicy", "iam:DeleteGroupPolicy", "iam:DeleteRolePolicy",
                  "iam:DeleteUserPolicy", "iam:DeleteAccountPasswordPolicy")
NOT_ESCALATING_EXACT = ("iam:CreatePolicy",)
CREDENTIALS_FOR_OTHERS = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
                          "iam:AddUserToGroup")
# Services that run code as a role passed to them (iam:PassRole + one of these = that role's permissions).
PASS_ROLE_TO = ("lambda:CreateFunction", "ec2:RunInstances", "glue:CreateDevEndpoint", "glue:CreateJob",
                "cloudformation:CreateStack", "ecs:RunTask", "sagemaker:CreateNotebookInstance",
                "codebuild:CreateProject", "datapipeline:CreatePipeline")
# Running new code inside something that already has a role.
CODE_IN_ROLE = ("lambda:UpdateFunctionCode", "glue:UpdateDevEndpoint", "ssm:SendCommand")


@lru_cache(maxsize=1)
def policy_writes() -> tuple[str, ...]:
    return tuple(a for a in catalogue.with_access_level("iam", "Permissions management")
                 if not a.startswith(NOT_ESCALATING) and a not in NOT_ESCALATING_EXACT)


def technique_actions() -> dict[str, tuple[str, ...]]:
    return {"policy_write": policy_writes(), "credentials_for_others": CREDENTIALS_FOR_OTHERS,
            "pass_role_to_compute": PASS_ROLE_TO, "code_in_role": CODE_IN_ROLE}


@lru_cache(maxsize=4096)
def _paths(grants: Grants) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((t, tuple(a)) for t, a in _find(grants).items())


def paths(grants: Grants) -> dict[str, list[str]]:
    """{technique: the allowed actions that make it}; empty when the principal has none. Principals
    with the same policies share one answer."""
    return {t: list(a) for t, a in _paths(grants)}


def _find(grants: Grants) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for technique, actions in technique_actions().items():
        held = [a for a in actions if grants.allows(a)]
        if technique == "pass_role_to_compute":
            held = held and grants.allows("iam:PassRole") and ["iam:PassRole", *held]
        if held:
            found[technique] = list(held)
    return found
