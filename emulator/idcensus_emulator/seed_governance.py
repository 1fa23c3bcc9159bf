"""Account settings and guardrails for the emulated organization: a password policy, SAML and OIDC
providers with the roles that trust them, SCPs and an RCP, and - as recorded real-shape answers,
since moto has no Access Analyzer - an organization-wide external-access analyzer and an
unused-access analyzer with ACTIVE and ARCHIVED findings (a `Recorded` answers them, gaps.py)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from idcensus_emulator.gaps import Recorded

# SAML metadata as an IdP publishes it (IAM wants at least 1,000 characters: real ones are ~1.3 KB).
SAML_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
  entityID="http://www.okta.com/exk1example" validUntil="2027-06-01T00:00:00Z">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate>
  </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
   Location="https://example.okta.com/app/amazon_aws/exk1example/sso/saml"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>""".replace("{cert}", "MIIDpDCCAoygAwIBAgIGAY" + "A" * 600)
GITHUB = "https://token.actions.githubusercontent.com"
DENY_LEAVE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "StayInTheOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}


def _document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_providers(iam) -> tuple[str, str]:
    """A SAML provider (Okta) and GitHub's OIDC provider, each trusted by one role."""
    saml = iam.create_saml_provider(Name="okta", SAMLMetadataDocument=SAML_METADATA)["SAMLProviderArn"]
    oidc = iam.create_open_id_connect_provider(Url=GITHUB, ClientIDList=["sts.amazonaws.com"],
                                               ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])
    oidc = oidc["OpenIDConnectProviderArn"]
    iam.create_role(RoleName="okta-admins", AssumeRolePolicyDocument=_document(
        {"Effect": "Allow", "Principal": {"Federated": saml}, "Action": "sts:AssumeRoleWithSAML"}))
    iam.create_role(RoleName="github-deploy", AssumeRolePolicyDocument=_document(
        {"Effect": "Allow", "Principal": {"Federated": oidc}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:example/app:*"}}}))
    return saml, oidc


def seed_org_policies(org) -> dict[str, str]:
    """An SCP on the Workloads OU and the security account, an RCP on the root."""
    root = org.list_roots()["Roots"][0]["Id"]
    for kind in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        org.enable_policy_type(RootId=root, PolicyType=kind)
    ous = {o["Name"]: o["Id"] for o in org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]}
    scp = org.create_policy(Name="deny-leave-organization", Description="members stay", Type="SERVICE_CONTROL_POLICY",
                            Content=json.dumps(DENY_LEAVE))["Policy"]["PolicySummary"]["Id"]
    for target in ous.values():
        org.attach_policy(PolicyId=scp, TargetId=target)
    org_id = org.describe_organization()["Organization"]["Id"]
    rcp = org.create_policy(Name="org-only-s3", Description="S3 reachable from inside only",
                            Type="RESOURCE_CONTROL_POLICY", Content=_document(
                                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                 "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id}}}),
                            )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp, TargetId=root)
    return {"scp": scp, "rcp": rcp}


def seed_governance(management: boto3.Session, member: boto3.Session, member_id: str, regions,
                    recorded: Recorded) -> None:
    """The demo's settings: a password policy and the providers in the management account, the
    organization's policies, and Access Analyzer in `member` (recorded)."""
    iam = management.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       MaxPasswordAge=90, PasswordReusePrevention=24)
    seed_providers(iam)
    seed_org_policies(management.client("organizations"))
    seed_access_analyzers(member_id, regions, recorded)

OUTSIDER = "444455556666"


def access_analyzers(account_id: str, region: str, org_id: str = "o-example") -> list[dict[str, Any]]:
    base = f"arn:aws:access-analyzer:{region}:{account_id}:analyzer"
    when = "2026-11-02T09:14:07Z"
    external = {"arn": f"{base}/org-external", "name": "org-external", "type": "ORGANIZATION",
                "createdAt": "2025-04-10T12:00:00Z", "lastResourceAnalyzed": f"arn:aws:s3:::idcensus-demo-{account_id}",
                "lastResourceAnalyzedAt": when, "status": "ACTIVE", "tags": {}}
    unused = {"arn": f"{base}/unused-90d", "name": "unused-90d", "type": "ACCOUNT_UNUSED_ACCESS",
              "createdAt": "2025-04-10T12:00:00Z", "status": "ACTIVE", "tags": {},
              "configuration": {"unusedAccess": {"unusedAccessAge": 90}}}
    return [
        {"analyzer": external, "findings": [
            {"id": "5c6f0c1e-0b7a-4b8e-9a57-2f0d8c1a0001", "principal": {"AWS": OUTSIDER},
             "action": ["s3:GetObject"], "resource": f"arn:aws:s3:::idcensus-demo-{account_id}", "isPublic": False,
             "resourceType": "AWS::S3::Bucket", "condition": {}, "createdAt": when, "analyzedAt": when,
             "updatedAt": when, "status": "ACTIVE", "resourceOwnerAccount": account_id,
             "sources": [{"type": "POLICY"}]},
            {"id": "5c6f0c1e-0b7a-4b8e-9a57-2f0d8c1a0002", "principal": {"AWS": "*"}, "action": ["sqs:SendMessage"],
             "resource": f"arn:aws:sqs:{region}:{account_id}:old-intake", "isPublic": True,
             "resourceType": "AWS::SQS::Queue", "condition": {}, "createdAt": when, "analyzedAt": when,
             "updatedAt": when, "status": "ARCHIVED", "resourceOwnerAccount": account_id}]},
        {"analyzer": unused, "findings": [
            {"id": "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d0003", "resource": f"arn:aws:iam::{account_id}:role/vendor-access",
             "resourceType": "AWS::IAM::Role", "resourceOwnerAccount": account_id, "status": "ACTIVE",
             "findingType": "UnusedIAMRole", "createdAt": when, "analyzedAt": when, "updatedAt": when},
            {"id": "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d0004", "resource": f"arn:aws:iam::{account_id}:user/carol",
             "resourceType": "AWS::IAM::User", "resourceOwnerAccount": account_id, "status": "ACTIVE",
             "findingType": "UnusedPermission", "createdAt": when, "analyzedAt": when, "updatedAt": when}]},
    ]


def seed_access_analyzers(account_id: str, regions, recorded: Recorded) -> Recorded:
    for region in regions:
        recorded.access_analyzers[f"{account_id}:{region}"] = access_analyzers(account_id, region)
    return recorded
