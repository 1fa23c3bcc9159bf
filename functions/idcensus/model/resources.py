"""Record types of the resources collectors; they join RECORD_TYPES through register()."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from idcensus.model.records import Policy, _Data, register


class _Resource(_Data):
    arn: str
    region: str | None = Field(description="the region the resource lives in; None for a bucket ListBuckets did not place")
    name: str
    roles: list[str] = Field(default_factory=list, description="ARNs of the IAM roles the resource runs as")
    policy: Policy | None = Field(None, description="resource policy document; None when the resource has none")
    policy_refused: bool = Field(
        False, description="the resource's own policy refused the read role: policy unknown, not absent")
    external_principals: list[str] = Field(
        default_factory=list,
        description="principals outside the organization the policy lets in: account IDs, ARNs, '*', org IDs",
    )


class Ec2Instance(_Resource):
    instance_id: str
    state: str | None = None
    instance_profile: str | None = Field(None, description="instance profile ARN")


class LambdaFunction(_Resource):
    runtime: str | None = None


class S3Bucket(_Resource):
    created_at: datetime | None = None


class KmsKey(_Resource):
    key_id: str
    aws_managed: bool = Field(description="AWS-managed keys' policies are fixed by AWS and not read (policy None)")
    aliases: list[str] = Field(default_factory=list)


class Secret(_Resource):
    kms_key_id: str | None = None


class RdsInstance(_Resource):
    engine: str | None = None
    iam_database_auth: bool
    role_features: dict[str, str] = Field(default_factory=dict, description="role ARN -> feature name")


class AccessPolicy(_Data):
    policy_arn: str
    scope_type: str | None = None
    namespaces: list[str] = Field(default_factory=list)


class AccessEntry(_Data):
    principal_arn: str
    type: str | None = None
    username: str | None = None
    kubernetes_groups: list[str] = Field(default_factory=list)
    access_policies: list[AccessPolicy] = Field(default_factory=list)


class EksCluster(_Resource):
    authentication_mode: str | None = Field(None, description="API, API_AND_CONFIG_MAP or CONFIG_MAP")
    access_entries: list[AccessEntry] = Field(default_factory=list)


class DynamoDbTable(_Resource):
    tags: dict[str, str] | None = Field(None, description="None when the tagging API could not be read")


class DynamoDbStream(_Resource):
    table_name: str
    label: str | None = Field(None, description="the stream's label (its creation time)")


class BedrockAgent(_Resource):
    agent_id: str
    foundation_model: str | None = None


class BedrockKnowledgeBase(_Resource):
    knowledge_base_id: str


class BedrockCustomModel(_Resource):
    base_model_arn: str | None = None
    job_arn: str | None = None


register(
    {
        "resource.ec2.instance": Ec2Instance,
        "resource.lambda.function": LambdaFunction,
        "resource.s3.bucket": S3Bucket,
        "resource.kms.key": KmsKey,
        "resource.secretsmanager.secret": Secret,
        "resource.rds.instance": RdsInstance,
        "resource.eks.cluster": EksCluster,
        "resource.dynamodb.table": DynamoDbTable,
        "resource.bedrock.agent": BedrockAgent,
        "resource.bedrock.knowledge_base": BedrockKnowledgeBase,
        "resource.bedrock.custom_model": BedrockCustomModel,
    }
)


class SnsTopic(_Resource):
    display_name: str | None = None
    kms_key_id: str | None = None


class SqsQueue(_Resource):
    url: str
    kms_key_id: str | None = None


class EcrRepository(_Resource):
    uri: str | None = None
    created_at: datetime | None = None
    image_tag_mutability: str | None = None


class ApiGatewayRestApi(_Resource):
    api_id: str
    endpoint_types: list[str] = Field(default_factory=list, description="EDGE, REGIONAL or PRIVATE")
    created_at: datetime | None = None


class EventBus(_Resource):
    description: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None


register(
    {
        "resource.events.event_bus": EventBus,
        "resource.sns.topic": SnsTopic,
        "resource.sqs.queue": SqsQueue,
        "resource.ecr.repository": EcrRepository,
        "resource.apigateway.rest_api": ApiGatewayRestApi,
        "resource.dynamodb.stream": DynamoDbStream,
    }
)


class BedrockGuardrail(_Resource):
    guardrail_id: str
    status: str | None = None
    version: str | None = None


class BedrockInferenceProfile(_Resource):
    profile_id: str
    type: str | None = Field(None, description="APPLICATION (the customer's own; system-defined ones are not listed)")
    status: str | None = None
    models: list[str] = Field(default_factory=list, description="model ARNs the profile routes to")


class BedrockProvisionedThroughput(_Resource):
    model_arn: str | None = None
    foundation_model_arn: str | None = None
    model_units: int | None = None
    status: str | None = None
    commitment_duration: str | None = None
    commitment_expires_at: datetime | None = None


class BedrockImportedModel(_Resource):
    job_arn: str | None = None
    architecture: str | None = None


class BedrockPrompt(_Resource):
    prompt_id: str
    version: str | None = None


class BedrockAgentAlias(_Resource):
    agent_id: str
    alias_id: str
    status: str | None = None
    agent_versions: list[str] = Field(default_factory=list, description="the agent versions the alias routes to")


class BedrockDataSource(_Resource):
    """`arn` is the knowledge base's ARN + /data-source/<id>: data sources have no ARN of their own."""

    knowledge_base_id: str
    data_source_id: str
    status: str | None = None
    type: str | None = Field(None, description="S3, WEB, CONFLUENCE, SALESFORCE, SHAREPOINT, ...")
    bucket_arn: str | None = None
    bucket_owner_account: str | None = Field(None, description="set when the bucket belongs to another account")


register(
    {
        "resource.bedrock.guardrail": BedrockGuardrail,
        "resource.bedrock.inference_profile": BedrockInferenceProfile,
        "resource.bedrock.provisioned_throughput": BedrockProvisionedThroughput,
        "resource.bedrock.imported_model": BedrockImportedModel,
        "resource.bedrock.prompt": BedrockPrompt,
        "resource.bedrock.agent_alias": BedrockAgentAlias,
        "resource.bedrock.data_source": BedrockDataSource,
    }
)
