"""What idcensus can collect: each capability's permission tier, IAM actions, probe, record types
and the collector module that runs it. This one list drives collection (collect/account.py),
`idcensus check`, the member policies and least-privilege tests, the README capability table and
the record-type check against the model (tests/unit/test_registry.py).

A leaf: collector modules are named by dotted path and imported only when their entry runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

IDENTITY = "idcensus.collect.identity"
IDENTITY_CENTER = "idcensus.collect.identity_center"
COSTS = "idcensus.collect.costs"
PASSWORD_POLICY = "idcensus.collect.password_policy"
IDENTITY_PROVIDERS = "idcensus.collect.identity_providers"
ORGANIZATION = "idcensus.collect.organization"
ACCESS_ANALYZER = "idcensus.collect.access_analyzer"
IDENTITY_CENTER_APPS = "idcensus.collect.identity_center_apps"
RESOURCES = "idcensus.collect.resources"


@dataclass(frozen=True)
class Capability:
    name: str
    tier: str
    actions: tuple[str, ...]
    covers: tuple[str, ...]  # record types this capability is authoritative for (deletion)
    description: str
    # One cheap read that proves the capability works: (service, operation, params), for `idcensus check`.
    # params may be a callable of the ARN partition returning them, for probes that need today's date
    # (Cost Explorer) or a placeholder ARN in the caller's partition (Identity Center).
    probe: tuple[str, str, dict | Callable[[str], dict]] | None = None
    regional: bool = False  # collected in every enabled region, not once per account
    management_only: bool = False  # only the organization's management (payer) account has this data
    # The collector module (dotted path) whose get -> transform runs it; None: not part of a census.
    # Several capabilities may share one collector, which then records each one's outcome itself.
    collector: str | None = None
    produces: tuple[str, ...] = ()  # record types it produces; default: the ones it covers
    service: str = ""  # the boto3 service; a regional capability runs where it is offered. Default: the probe's

    def __post_init__(self) -> None:
        if not self.produces:
            object.__setattr__(self, "produces", self.covers)
        if not self.service and self.probe:
            object.__setattr__(self, "service", self.probe[0])


TIERS = {
    "identity": "Tier 1 - IAM identities and credentials (required)",
    "identity_center": "Tier 2 - IAM Identity Center",
    "resources": "Tier 3 - resources with resource policies",
    "activity": "Tier 4 - activity",
    # Its own tier: organization-wide spend is granted by finance, and only in the payer account.
    "billing": "Billing - AWS Marketplace charges from Cost Explorer (management account only)",
}

CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "iam.authorization_details",
        "identity",
        ("iam:GetAccountAuthorizationDetails",),
        ("iam.user", "iam.group", "iam.role", "iam.policy"),
        "users, groups, roles, managed and inline policies, boundaries, tags and role last use"
        " in one paginated call (all filters)",
        probe=("iam", "get_account_authorization_details", {"Filter": ["User"], "MaxItems": 1}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.credential_report",
        "identity",
        ("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
        ("iam.root_user",),
        "passwords, MFA flags, access-key use (date, service, region) and the root user, from one generated report",
        probe=("iam", "generate_credential_report", {}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.mfa_devices",
        "identity",
        ("iam:ListVirtualMFADevices", "iam:ListMFADevices"),
        (),
        "MFA device serials and types: one listing of virtual devices;"
        " ListMFADevices only for users it does not explain (hardware, U2F)",
        probe=("iam", "list_virtual_mfa_devices", {"MaxItems": 1}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.access_keys",
        "identity",
        ("iam:ListAccessKeys",),
        (),
        "access key IDs, only for users the credential report shows holding keys (the report has no key IDs)",
        # A user that does not exist: authorized callers get NoSuchEntity, others AccessDenied.
        probe=("iam", "list_access_keys", {"UserName": "idcensus-check-probe"}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.signing_certificates",
        "identity",
        ("iam:ListSigningCertificates",),
        (),
        "X.509 signing certificates, only for users the credential report shows holding one (cert_1, cert_2)",
        probe=("iam", "list_signing_certificates", {"UserName": "idcensus-check-probe"}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.ssh_public_keys",
        "identity",
        ("iam:ListSSHPublicKeys",),
        (),
        "SSH public keys, only for users whose policies may allow codecommit:GitPull/GitPush (the only use of"
        " one; there is no bulk listing)",
        probe=("iam", "list_ssh_public_keys", {"UserName": "idcensus-check-probe"}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.policy_descriptions",
        "identity",
        ("iam:GetPolicy",),
        (),
        "customer-managed policies' descriptions (GAAD has none), asked once per policy: a description never changes",
        probe=("iam", "get_policy", lambda part: {"PolicyArn": f"arn:{part}:iam::aws:policy/ReadOnlyAccess"}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.service_credentials",
        "identity",
        ("iam:ListServiceSpecificCredentials",),
        (),
        "service-specific credentials (CodeCommit, Keyspaces, Bedrock) of all users in one `AllUsers` listing",
        probe=("iam", "list_service_specific_credentials", {"UserName": "idcensus-check-probe"}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.role_sessions",
        "identity",
        ("iam:ListRoles",),
        (),
        "roles' maximum session duration and description, which GetAccountAuthorizationDetails leaves out",
        probe=("iam", "list_roles", {"MaxItems": 1}),
        collector=IDENTITY,
    ),
    Capability(
        "iam.account_summary",
        "identity",
        ("iam:ListAccountAliases", "iam:GetAccountSummary"),
        (),
        "account alias and IAM entity counters",
        probe=("iam", "get_account_summary", {}),
        collector=IDENTITY,
        produces=("aws.account",),  # alias and counters; the orchestrator adds the organization's facts
    ),
    Capability(
        "iam.password_policy",
        "identity",
        ("iam:GetAccountPasswordPolicy",),
        ("iam.password_policy",),
        "the account's password policy (none set is its own answer: a record saying so)",
        probe=("iam", "get_account_password_policy", {}),  # NoSuchEntity (no policy) proves the grant too
        collector=PASSWORD_POLICY,
    ),
    Capability(
        "iam.identity_providers",
        "identity",
        ("iam:ListSAMLProviders", "iam:GetSAMLProvider", "iam:ListOpenIDConnectProviders",
         "iam:GetOpenIDConnectProvider", "iam:ListRoles"),
        ("iam.identity_provider",),
        "SAML and OIDC providers: URL, client IDs, thumbprints, SAML metadata issuer and validity, and the"
        " roles whose trust policy names each (one ListRoles, only when a provider exists)",
        probe=("iam", "list_open_id_connect_providers", {}),
        collector=IDENTITY_PROVIDERS,
    ),
    Capability(
        "org.policies",
        "identity",
        ("organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent",
         "organizations:ListAccountsForParent", "organizations:ListPolicies", "organizations:DescribePolicy",
         "organizations:ListTargetsForPolicy"),
        ("org.organizational_unit", "org.policy"),
        "the OU tree, and service and resource control policies (documents) with their targets: root, OU,"
        " account (management account only)",
        probe=("organizations", "list_roots", {}),
        management_only=True,  # member accounts cannot read the organization's policies
        collector=ORGANIZATION,
    ),
)

# Tier 2: IAM Identity Center. Each part is its own capability, so a denial skips only that part.
def _sso_placeholder(part: str, **params) -> dict:
    return {"InstanceArn": f"arn:{part}:sso:::instance/ssoins-0000000000000000", **params}
CAPABILITIES += (
    Capability(
        "sso.instances",
        "identity_center",
        ("sso:ListInstances",),
        ("sso.instance",),
        "Identity Center instances owned by the account (none: not enabled, which is not denied)",
        probe=("sso-admin", "list_instances", {}),
        collector=IDENTITY_CENTER,
    ),
    Capability(
        "sso.identity_store",
        "identity_center",
        ("identitystore:ListUsers", "identitystore:ListGroups", "identitystore:ListGroupMemberships",
         "identitystore:DescribeUser", "identitystore:ListGroupMembershipsForMember"),
        ("sso.user", "sso.group"),
        "identity store users, groups and memberships (one membership listing per group); DescribeUser and"
        " ListGroupMembershipsForMember for the targeted refresh of one user",
        # Placeholder store: with the permission AWS answers ResourceNotFound/Validation, without it AccessDenied.
        probe=("identitystore", "list_groups", {"IdentityStoreId": "d-0000000000", "MaxResults": 1}),
        collector=IDENTITY_CENTER,
    ),
    Capability(
        "sso.permission_sets",
        "identity_center",
        ("sso:ListPermissionSets", "sso:DescribePermissionSet", "sso:ListManagedPoliciesInPermissionSet",
         "sso:ListCustomerManagedPolicyReferencesInPermissionSet", "sso:GetInlinePolicyForPermissionSet",
         "sso:GetPermissionsBoundaryForPermissionSet", "sso:ListTagsForResource"),
        ("sso.permission_set",),
        "permission sets: session duration, relay state, managed, customer-managed and inline policies, "
        "boundary, tags",
        probe=("sso-admin", "list_permission_sets", lambda part: _sso_placeholder(part, MaxResults=1)),
        collector=IDENTITY_CENTER,
    ),
    Capability(
        "sso.account_assignments",
        "identity_center",
        ("sso:ListPermissionSets", "sso:ListPermissionSetsProvisionedToAccount", "sso:ListAccountAssignments",
         "iam:ListRoles"),
        ("sso.account_assignment",),
        "principal -> permission set -> account, per instance and account, with provisioning status "
        "and the AWSReservedSSO_* role",
        probe=("sso-admin", "list_account_assignments", lambda part: _sso_placeholder(
            part, AccountId="000000000000", MaxResults=1,
            PermissionSetArn=f"arn:{part}:sso:::permissionSet/ssoins-0000000000000000/ps-0000000000000000")),
        collector=IDENTITY_CENTER,
    ),
    Capability(
        "sso.applications",
        "identity_center",
        ("sso:ListInstances", "sso:ListApplications", "sso:ListApplicationAssignments",
         "sso:GetApplicationAssignmentConfiguration"),
        ("sso.application",),
        "applications (SaaS, custom SAML, AWS-managed) with their user and group assignments and whether"
        " assignment is required",
        probe=("sso-admin", "list_applications", lambda part: _sso_placeholder(part, MaxResults=1)),
        collector=IDENTITY_CENTER_APPS,
    ),
)

# Tier 3: resources with their roles and resource policies. Each service (and kind) is granted
# separately; `regional` ones run in every region of CollectOptions.regions.
CAPABILITIES += (
    Capability(
        "resources.ec2.instances", "resources", ("ec2:DescribeInstances", "iam:ListInstanceProfiles"),
        ("resource.ec2.instance",), "EC2 instances and the role behind each instance profile",
        probe=("ec2", "describe_instances", {"MaxResults": 5}), regional=True,
        collector=f"{RESOURCES}.ec2",
    ),
    Capability(
        "resources.lambda.functions", "resources", ("lambda:ListFunctions", "lambda:GetPolicy"),
        ("resource.lambda.function",), "Lambda functions with execution role and resource policy",
        probe=("lambda", "list_functions", {"MaxItems": 1}), regional=True,
        collector=f"{RESOURCES}.lambda_",
    ),
    Capability(
        "resources.s3.buckets", "resources", ("s3:ListAllMyBuckets", "s3:GetBucketPolicy"),
        ("resource.s3.bucket",), "S3 buckets and bucket policies (one global listing)",
        probe=("s3", "list_buckets", {"MaxBuckets": 1}),
        collector=f"{RESOURCES}.s3",
    ),
    Capability(
        "resources.kms.keys", "resources", ("kms:ListKeys", "kms:ListAliases", "kms:GetKeyPolicy"),
        ("resource.kms.key",), "KMS keys and the key policies of customer-managed keys",
        probe=("kms", "list_keys", {"Limit": 1}), regional=True,
        collector=f"{RESOURCES}.kms",
    ),
    Capability(
        "resources.secretsmanager.secrets", "resources",
        ("secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy"),
        ("resource.secretsmanager.secret",), "Secrets Manager secrets and resource policies",
        probe=("secretsmanager", "list_secrets", {"MaxResults": 1}), regional=True,
        collector=f"{RESOURCES}.secrets",
    ),
    Capability(
        "resources.rds.instances", "resources", ("rds:DescribeDBInstances",),
        ("resource.rds.instance",), "RDS instances: IAM database authentication and associated roles",
        probe=("rds", "describe_db_instances", {"MaxRecords": 20}), regional=True,
        collector=f"{RESOURCES}.rds",
    ),
    Capability(
        "resources.eks.clusters", "resources",
        ("eks:ListClusters", "eks:DescribeCluster", "eks:ListAccessEntries", "eks:DescribeAccessEntry",
         "eks:ListAssociatedAccessPolicies"),
        ("resource.eks.cluster",), "EKS clusters, their access entries and access policies",
        probe=("eks", "list_clusters", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.eks",
    ),
    Capability(
        "resources.dynamodb.tables", "resources",
        ("dynamodb:ListTables", "dynamodb:GetResourcePolicy", "tag:GetResources"),
        ("resource.dynamodb.table",), "DynamoDB tables, resource policies and tags (one tagging listing per region)",
        probe=("dynamodb", "list_tables", {"Limit": 1}), regional=True,
        collector=f"{RESOURCES}.dynamodb",
    ),
    Capability(
        "resources.dynamodb.streams", "resources", ("dynamodb:ListStreams", "dynamodb:GetResourcePolicy"),
        ("resource.dynamodb.stream",), "DynamoDB streams and their own resource policies",
        probe=("dynamodbstreams", "list_streams", {"Limit": 1}), regional=True,
        collector=f"{RESOURCES}.dynamodb_streams",
    ),
    Capability(
        "resources.bedrock.agents", "resources", ("bedrock:ListAgents", "bedrock:GetAgent"),
        ("resource.bedrock.agent",), "Bedrock agents and their service roles",
        probe=("bedrock-agent", "list_agents", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_agents",
    ),
    Capability(
        "resources.bedrock.knowledge_bases", "resources", ("bedrock:ListKnowledgeBases", "bedrock:GetKnowledgeBase"),
        ("resource.bedrock.knowledge_base",), "Bedrock knowledge bases and their service roles",
        probe=("bedrock-agent", "list_knowledge_bases", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_knowledge_bases",
    ),
    Capability(
        "resources.bedrock.custom_models", "resources",
        ("bedrock:ListCustomModels", "bedrock:GetCustomModel", "bedrock:GetModelCustomizationJob"),
        ("resource.bedrock.custom_model",), "Bedrock custom models and the role their customization job used",
        probe=("bedrock", "list_custom_models", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_custom_models",
    ),
    Capability(
        "resources.bedrock.guardrails", "resources", ("bedrock:ListGuardrails",),
        ("resource.bedrock.guardrail",), "Bedrock guardrails",
        probe=("bedrock", "list_guardrails", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_guardrails",
    ),
    Capability(
        "resources.bedrock.inference_profiles", "resources", ("bedrock:ListInferenceProfiles",),
        ("resource.bedrock.inference_profile",), "Bedrock application inference profiles and the models they route to",
        probe=("bedrock", "list_inference_profiles", {"maxResults": 1, "typeEquals": "APPLICATION"}), regional=True,
        collector=f"{RESOURCES}.bedrock_inference_profiles",
    ),
    Capability(
        "resources.bedrock.agent_aliases", "resources", ("bedrock:ListAgents", "bedrock:ListAgentAliases"),
        ("resource.bedrock.agent_alias",), "Bedrock agent aliases and the agent versions they route to",
        probe=("bedrock-agent", "list_agents", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_agent_aliases",
    ),
    Capability(
        "resources.bedrock.data_sources", "resources",
        ("bedrock:ListKnowledgeBases", "bedrock:ListDataSources", "bedrock:GetDataSource"),
        ("resource.bedrock.data_source",), "Bedrock knowledge-base data sources, their buckets and bucket owners",
        probe=("bedrock-agent", "list_knowledge_bases", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_data_sources",
    ),
    Capability(
        "resources.bedrock.prompts", "resources", ("bedrock:ListPrompts",),
        ("resource.bedrock.prompt",), "Bedrock Prompt Management prompts",
        probe=("bedrock-agent", "list_prompts", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_prompts",
    ),
    Capability(
        "resources.bedrock.imported_models", "resources",
        ("bedrock:ListImportedModels", "bedrock:GetImportedModel", "bedrock:GetModelImportJob"),
        ("resource.bedrock.imported_model",), "Bedrock imported models and the role their import job used",
        probe=("bedrock", "list_imported_models", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_imported_models",
    ),
    Capability(
        "resources.bedrock.provisioned_throughput", "resources", ("bedrock:ListProvisionedModelThroughputs",),
        ("resource.bedrock.provisioned_throughput",), "Bedrock provisioned throughput",
        probe=("bedrock", "list_provisioned_model_throughputs", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.bedrock_provisioned_throughput",
    ),
    Capability(
        "resources.sns.topics", "resources", ("sns:ListTopics", "sns:GetTopicAttributes"),
        ("resource.sns.topic",), "SNS topics and their access policies",
        probe=("sns", "list_topics", {}), regional=True,
        collector=f"{RESOURCES}.sns",
    ),
    Capability(
        "resources.sqs.queues", "resources", ("sqs:ListQueues", "sqs:GetQueueAttributes"),
        ("resource.sqs.queue",), "SQS queues and their access policies",
        probe=("sqs", "list_queues", {"MaxResults": 1}), regional=True,
        collector=f"{RESOURCES}.sqs",
    ),
    Capability(
        "resources.ecr.repositories", "resources", ("ecr:DescribeRepositories", "ecr:GetRepositoryPolicy"),
        ("resource.ecr.repository",), "ECR repositories and their repository policies",
        probe=("ecr", "describe_repositories", {"maxResults": 1}), regional=True,
        collector=f"{RESOURCES}.ecr",
    ),
    Capability(
        # API Gateway's IAM actions are HTTP verbs: GET reads, and the listing carries every policy.
        "resources.apigateway.rest_apis", "resources", ("apigateway:GET",),
        ("resource.apigateway.rest_api",), "API Gateway REST APIs and their resource policies (one listing)",
        probe=("apigateway", "get_rest_apis", {"limit": 1}), regional=True,
        collector=f"{RESOURCES}.apigateway",
    ),
    Capability(
        "resources.events.buses", "resources", ("events:ListEventBuses",),
        ("resource.events.event_bus",), "EventBridge event buses and their resource policies (one listing)",
        probe=("events", "list_event_buses", {"Limit": 1}), regional=True,
        collector=f"{RESOURCES}.eventbridge",
    ),
    Capability(
        "accessanalyzer.findings", "resources",
        # ListFindingsV2 is authorized by access-analyzer:ListFindings, as AWS documents it.
        ("access-analyzer:ListAnalyzers", "access-analyzer:ListFindings"),
        ("accessanalyzer.analyzer",),
        "IAM Access Analyzer analyzers and their ACTIVE external-, unused- and internal-access findings, as"
        " reported (one finding listing per analyzer)",
        probe=("accessanalyzer", "list_analyzers", {"maxResults": 1}), regional=True,
        collector=ACCESS_ANALYZER,
    ),
)

# Billing: Marketplace charges, read once in the payer account (see collect/costs.py).
CAPABILITIES += (
    Capability(
        "billing.marketplace",
        "billing",
        ("ce:GetCostAndUsage",),
        (),  # months outside the queried window are kept, so absence never means deleted
        "AWS Marketplace charges by vendor, product and month (management account only)",
        probe=("ce", "get_cost_and_usage", lambda _part: _costs().probe_params()),
        management_only=True,
        collector=COSTS,
        produces=("billing.marketplace_charge",),
    ),
)

# Tier 4: activity. The targeted refresh (stream/refresh.py) re-reads one principal after an
# identity-changing CloudTrail event, with per-principal reads instead of the bulk GAAD.
CAPABILITIES += (
    Capability(
        "activity.targeted_refresh",
        "activity",
        ("iam:GetUser", "iam:ListGroupsForUser", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
         "iam:GetUserPolicy", "iam:ListAccessKeys", "iam:ListMFADevices", "iam:GetLoginProfile",
         "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy",
         "iam:ListInstanceProfilesForRole", "iam:GetGroup", "iam:ListAttachedGroupPolicies",
         "iam:ListGroupPolicies", "iam:GetGroupPolicy", "iam:GetPolicy", "iam:GetPolicyVersion"),
        (),  # refreshes one principal at a time: never authoritative for an absence
        "one user, role, group or policy re-read after a CloudTrail event changed it",
        # A user that does not exist: authorized callers get NoSuchEntity, others AccessDenied.
        probe=("iam", "get_user", {"UserName": "idcensus-check-probe"}),
    ),
)


def _costs():
    return importlib.import_module(COSTS)  # late, by name: the registry stays a leaf


BY_NAME = {c.name: c for c in CAPABILITIES}
COLLECTED = tuple(c for c in CAPABILITIES if c.collector)


def record_types() -> set[str]:
    """Every record type a census produces: the model must declare exactly these (RECORD_TYPES)."""
    return {t for c in COLLECTED for t in c.produces}


def actions_for_tier(tier: str) -> list[str]:
    return sorted({a for c in CAPABILITIES if c.tier == tier for a in c.actions})


def tier_policy(tier: str) -> dict:
    """The IAM policy document a member role needs for one tier."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": f"Idcensus{tier.title().replace('_', '')}", "Effect": "Allow",
             "Action": actions_for_tier(tier), "Resource": "*"}
        ],
    }
