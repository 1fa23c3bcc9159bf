"""Seed Tier 3 resources into an emulated account (demo, tests, benchmark). EKS access entries,
which moto lacks, go to a `Recorded` for its hooks to answer (gaps.py)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from idcensus_emulator.gaps import Recorded

DEMO_AMI = "ami-12c6146b"  # one of moto's built-in images (listing them all costs seconds)
OUTSIDER = "444455556666"  # a vendor account outside the organization, granted on purpose
TRUST = {"lambda": "lambda.amazonaws.com", "ec2": "ec2.amazonaws.com", "eks": "eks.amazonaws.com",
         "bedrock": "bedrock.amazonaws.com", "rds": "rds.amazonaws.com"}
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def access_entries(cluster: str, account_id: str) -> list[dict[str, Any]]:
    """Two entries in real shape: the account's platform admins, and a vendor role from outside."""
    def entry(principal, username, groups, policy, scope):
        return {"accessEntry": {
            "clusterName": cluster, "principalArn": principal, "kubernetesGroups": groups, "type": "STANDARD",
            "accessEntryArn": f"arn:aws:eks:us-east-1:{account_id}:access-entry/{cluster}/role/{account_id}/x",
            "createdAt": 1764000000.0, "modifiedAt": 1764000000.0, "tags": {}, "username": username},
            "policies": [{"policyArn": policy, "accessScope": scope,
                          "associatedAt": 1764000000.0, "modifiedAt": 1764000000.0}]}
    return [
        entry(f"arn:aws:iam::{account_id}:role/platform-admins", "platform-admins", [], ADMIN_POLICY,
              {"type": "cluster", "namespaces": []}),
        entry(f"arn:aws:iam::{OUTSIDER}:role/vendor-observer", "vendor-observer", ["viewers"], VIEW_POLICY,
              {"type": "namespace", "namespaces": ["monitoring"]}),
    ]


def _policy(account_id: str, action: str, resource: str, principal: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Vendor", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}]})


def _roles(iam, account_id: str) -> dict[str, str]:
    roles = {}
    for kind, service in TRUST.items():
        name = f"idcensus-demo-{kind}"
        doc = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
        try:
            roles[kind] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            roles[kind] = f"arn:aws:iam::{account_id}:role/{name}"
    try:
        iam.create_instance_profile(InstanceProfileName="idcensus-demo-ec2")
        iam.add_role_to_instance_profile(InstanceProfileName="idcensus-demo-ec2", RoleName="idcensus-demo-ec2")
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    return roles


def seed_resources(session, account_id: str, regions: tuple[str, ...] | list[str],
                   recorded: Recorded | None = None) -> dict[str, Any]:
    """One resource of each service in each region (S3 once), some granting an outside account.

    Returns {"roles": {kind: arn}, "resources": {record type: [arn, ...]}}; EKS access entries go to
    `recorded` (returned as "recorded").
    """
    recorded = recorded if recorded is not None else Recorded()
    roles = _roles(session.client("iam"), account_id)
    made: dict[str, list[str]] = {}

    def note(type_, arn):
        made.setdefault(type_, []).append(arn)

    bucket = f"idcensus-demo-{account_id}"
    s3 = session.client("s3", region_name=regions[0])
    s3.create_bucket(Bucket=bucket, **({} if regions[0] == "us-east-1" else
                                       {"CreateBucketConfiguration": {"LocationConstraint": regions[0]}}))
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(
        account_id, "s3:GetObject", f"arn:aws:s3:::{bucket}/*", {"AWS": f"arn:aws:iam::{OUTSIDER}:root"}))
    note("resource.s3.bucket", f"arn:aws:s3:::{bucket}")
    for region in regions:
        _seed_region(session, account_id, region, roles, note, recorded)
    return {"roles": roles, "resources": made, "recorded": recorded}


def _seed_region(session, account_id: str, region: str, roles: dict[str, str], note, recorded: Recorded) -> None:
    ec2 = session.client("ec2", region_name=region)
    run = ec2.run_instances(ImageId=DEMO_AMI, MinCount=1, MaxCount=1,
                            IamInstanceProfile={"Name": "idcensus-demo-ec2"},
                            TagSpecifications=[{"ResourceType": "instance",
                                                "Tags": [{"Key": "Name", "Value": "web"}]}])
    note("resource.ec2.instance", f"arn:aws:ec2:{region}:{account_id}:instance/{run['Instances'][0]['InstanceId']}")

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam = session.client("lambda", region_name=region)
    fn = lam.create_function(FunctionName="ingest", Runtime="python3.12", Role=roles["lambda"],
                             Handler="app.handler", Code={"ZipFile": code.getvalue()})
    lam.add_permission(FunctionName="ingest", StatementId="vendor", Action="lambda:InvokeFunction",
                       Principal=OUTSIDER)
    note("resource.lambda.function", fn["FunctionArn"])

    kms = session.client("kms", region_name=region)
    root = f"arn:aws:iam::{account_id}:root"
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
         "Action": "kms:Decrypt", "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(key_policy), Description="exports")["KeyMetadata"]
    kms.create_alias(AliasName="alias/exports", TargetKeyId=key["KeyId"])
    note("resource.kms.key", key["Arn"])

    sm = session.client("secretsmanager", region_name=region)
    secret = sm.create_secret(Name="db-password", SecretString="emulated")["ARN"]
    sm.put_resource_policy(SecretId=secret, ResourcePolicy=_policy(
        account_id, "secretsmanager:GetSecretValue", "*", {"AWS": root}))
    note("resource.secretsmanager.secret", secret)

    rds = session.client("rds", region_name=region)
    db = rds.create_db_instance(DBInstanceIdentifier="orders", DBInstanceClass="db.t3.micro", Engine="postgres",
                                MasterUsername="app", MasterUserPassword="emulated-pw",
                                AllocatedStorage=20, EnableIAMDatabaseAuthentication=True)["DBInstance"]
    rds.add_role_to_db_instance(DBInstanceIdentifier="orders", RoleArn=roles["rds"], FeatureName="s3Import")
    note("resource.rds.instance", db["DBInstanceArn"])

    ddb = session.client("dynamodb", region_name=region)
    table = ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                             Tags=[{"Key": "data-class", "Value": "confidential"}])
    arn = table["TableDescription"]["TableArn"]
    ddb.put_resource_policy(ResourceArn=arn, Policy=_policy(account_id, "dynamodb:GetItem", arn, {"AWS": "*"}))
    note("resource.dynamodb.table", arn)
    stream = table["TableDescription"]["LatestStreamArn"]  # a vendor reads the change stream
    recorded.stream_policies[stream] = _policy(account_id, ["dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                                               stream, {"AWS": f"arn:aws:iam::{OUTSIDER}:root"})
    note("resource.dynamodb.stream", stream)

    eks = session.client("eks", region_name=region)
    cluster_name = f"platform-{account_id}-{region}"
    cluster = eks.create_cluster(name=cluster_name, roleArn=roles["eks"], resourcesVpcConfig={})["cluster"]
    recorded.eks_entries[cluster_name] = access_entries(cluster_name, account_id)
    note("resource.eks.cluster", cluster["arn"])

    _seed_messaging(session, account_id, region, note)
    _seed_bedrock(session, region, roles["bedrock"], bucket=f"idcensus-demo-{account_id}", note=note)
    for type_, arn in record_bedrock(session, account_id, region, roles["bedrock"], recorded).items():
        note(type_, arn)


def _seed_messaging(session, account_id: str, region: str, note) -> None:
    """An SNS topic a vendor may publish to, the SQS queue it feeds (open to the topic only), an ECR
    repository a vendor may pull from, a REST API open to anyone, and an event bus a vendor may put
    events on."""
    outsider = {"AWS": f"arn:aws:iam::{OUTSIDER}:root"}
    sns = session.client("sns", region_name=region)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                             AttributeValue=_policy(account_id, "sns:Publish", topic, outsider))
    note("resource.sns.topic", topic)
    sqs = session.client("sqs", region_name=region)
    url = sqs.create_queue(QueueName="alerts-intake")["QueueUrl"]
    queue = f"arn:aws:sqs:{region}:{account_id}:alerts-intake"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    note("resource.sqs.queue", queue)
    ecr = session.client("ecr", region_name=region)
    repo = ecr.create_repository(repositoryName="agent")["repository"]
    ecr.set_repository_policy(repositoryName="agent", policyText=_policy(
        account_id, ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "*", outsider))
    note("resource.ecr.repository", repo["repositoryArn"])
    api = session.client("apigateway", region_name=region).create_rest_api(
        name="public-webhooks", endpointConfiguration={"types": ["REGIONAL"]},
        policy=_policy(account_id, "execute-api:Invoke", "execute-api:/*", "*"))
    note("resource.apigateway.rest_api", f"arn:aws:apigateway:{region}::/restapis/{api['id']}")
    events = session.client("events", region_name=region)
    bus = events.create_event_bus(Name="partner-events")["EventBusArn"]
    events.put_permission(EventBusName="partner-events", Action="events:PutEvents", Principal=OUTSIDER,
                          StatementId="vendor")
    note("resource.events.event_bus", bus)
    note("resource.events.event_bus", events.describe_event_bus(Name="default")["Arn"])  # every region has one


def _seed_bedrock(session, region: str, role: str, bucket: str, note) -> None:
    agent_client = session.client("bedrock-agent", region_name=region)
    agent = agent_client.create_agent(agentName="support", agentResourceRoleArn=role,
                                      foundationModel="anthropic.claude-3-haiku-20240307-v1:0")["agent"]
    note("resource.bedrock.agent", agent["agentArn"])
    kb = agent_client.create_knowledge_base(
        name="handbook", roleArn=role,
        knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
            "embeddingModelArn": f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-embed-text-v2:0"}},
        storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
            "collectionArn": f"arn:aws:aoss:{region}:000000000000:collection/handbook", "vectorIndexName": "i",
            "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}},
    )["knowledgeBase"]
    note("resource.bedrock.knowledge_base", kb["knowledgeBaseArn"])
    bedrock = session.client("bedrock", region_name=region)
    bedrock.create_model_customization_job(
        jobName=f"tune-{region}", customModelName=f"support-tuned-{region}", roleArn=role,
        baseModelIdentifier="amazon.titan-text-express-v1", hyperParameters={},
        trainingDataConfig={"s3Uri": f"s3://{bucket}/train.jsonl"}, outputDataConfig={"s3Uri": f"s3://{bucket}/out/"})
    model = bedrock.get_custom_model(modelIdentifier=f"support-tuned-{region}")
    note("resource.bedrock.custom_model", model["modelArn"])


def record_bedrock(session, account_id: str, region: str, role: str, recorded: Recorded) -> dict[str, str]:
    """Recorded real-shape answers for the Bedrock kinds moto lacks, in one account and region: a
    guardrail, an application inference profile, provisioned throughput, an imported model (with
    the import job's role), a prompt, an alias of each agent moto holds, and an S3 data source of
    each knowledge base reading a vendor's bucket. Returns {record type: ARN} of what it recorded."""
    base = f"arn:aws:bedrock:{region}:{account_id}"
    when = "2026-10-01T08:00:00Z"
    agents = session.client("bedrock-agent", region_name=region)
    answers: dict[str, dict] = {
        "GET /guardrails": {"guardrails": [{
            "id": "gr7k2m9x1abc", "arn": f"{base}:guardrail/gr7k2m9x1abc", "status": "READY", "name": "pii-filter",
            "description": "blocks PII", "version": "DRAFT", "createdAt": when, "updatedAt": when}]},
        "GET /inference-profiles": {"inferenceProfileSummaries": [{
            "inferenceProfileName": "support-haiku", "createdAt": when, "updatedAt": when,
            "inferenceProfileArn": f"{base}:application-inference-profile/ip9z8y7x6w5v",
            "models": [{"modelArn": f"arn:aws:bedrock:{region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"}],
            "inferenceProfileId": "ip9z8y7x6w5v", "status": "ACTIVE", "type": "APPLICATION"}]},
        "GET /provisioned-model-throughputs": {"provisionedModelSummaries": [{
            "provisionedModelName": "support-pt", "provisionedModelArn": f"{base}:provisioned-model/pt1a2b3c4d5e",
            "modelArn": f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-text-express-v1",
            "desiredModelArn": f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-text-express-v1",
            "foundationModelArn": f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-text-express-v1",
            "modelUnits": 1, "desiredModelUnits": 1, "status": "InService", "commitmentDuration": "OneMonth",
            "commitmentExpirationTime": "2026-11-01T08:00:00Z", "creationTime": when, "lastModifiedTime": when}]},
        "GET /prompts": {"promptSummaries": [{
            "name": "triage", "id": "PR0MPT1234", "arn": f"{base}:prompt/PR0MPT1234", "version": "DRAFT",
            "createdAt": when, "updatedAt": when}]},
    }
    model_arn, job_arn = f"{base}:imported-model/im0a1b2c3d4e", f"{base}:model-import-job/ij0a1b2c3d4e"
    answers["GET /imported-models"] = {"modelSummaries": [{
        "modelArn": model_arn, "modelName": "llama-ft", "creationTime": when, "instructSupported": True,
        "modelArchitecture": "llama3"}]}
    answers[f"GET /imported-models/{model_arn}"] = {
        "modelArn": model_arn, "modelName": "llama-ft", "jobName": "import-llama", "jobArn": job_arn,
        "modelDataSource": {"s3DataSource": {"s3Uri": f"s3://idcensus-demo-{account_id}/llama/"}},
        "creationTime": when, "modelArchitecture": "llama3", "instructSupported": True}
    answers[f"GET /model-import-jobs/{job_arn}"] = {
        "jobArn": job_arn, "jobName": "import-llama", "importedModelName": "llama-ft", "importedModelArn": model_arn,
        "roleArn": role, "modelDataSource": {"s3DataSource": {"s3Uri": f"s3://idcensus-demo-{account_id}/llama/"}},
        "status": "Completed", "creationTime": when, "lastModifiedTime": when, "endTime": when}
    made = {"resource.bedrock.guardrail": f"{base}:guardrail/gr7k2m9x1abc",
            "resource.bedrock.inference_profile": f"{base}:application-inference-profile/ip9z8y7x6w5v",
            "resource.bedrock.provisioned_throughput": f"{base}:provisioned-model/pt1a2b3c4d5e",
            "resource.bedrock.prompt": f"{base}:prompt/PR0MPT1234", "resource.bedrock.imported_model": model_arn}
    for agent in agents.list_agents()["agentSummaries"]:
        answers[f"POST /agents/{agent['agentId']}/agentaliases"] = {"agentAliasSummaries": [{
            "agentAliasId": "LIVE000001", "agentAliasName": "live", "routingConfiguration": [{"agentVersion": "1"}],
            "agentAliasStatus": "PREPARED", "createdAt": when, "updatedAt": when}]}
        made["resource.bedrock.agent_alias"] = f"{base}:agent-alias/{agent['agentId']}/LIVE000001"
    for kb in agents.list_knowledge_bases()["knowledgeBaseSummaries"]:
        kb_id = kb["knowledgeBaseId"]
        answers[f"POST /knowledgebases/{kb_id}/datasources"] = {"dataSourceSummaries": [{
            "knowledgeBaseId": kb_id, "dataSourceId": "DS00000001", "name": "vendor-manuals", "status": "AVAILABLE",
            "updatedAt": when}]}
        answers[f"GET /knowledgebases/{kb_id}/datasources/DS00000001"] = {"dataSource": {
            "knowledgeBaseId": kb_id, "dataSourceId": "DS00000001", "name": "vendor-manuals", "status": "AVAILABLE",
            "dataSourceConfiguration": {"type": "S3", "s3Configuration": {
                "bucketArn": "arn:aws:s3:::vendor-manuals", "bucketOwnerAccountId": OUTSIDER}},
            "dataDeletionPolicy": "RETAIN", "createdAt": when, "updatedAt": when}}
        made["resource.bedrock.data_source"] = f"{base}:knowledge-base/{kb_id}/data-source/DS00000001"
    recorded.bedrock[f"{account_id}:{region}"] = answers
    return made
