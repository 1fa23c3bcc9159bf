"""Deploy the SAM-transformed central stack and the member StackSet into moto, in-process.

moto's CloudFormation skips some resource types and properties (MOTO_NOTES.md); those are held
to the template statically below, so every property the brief names is checked one way or the other.
"""

import copy
import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from idcensus.collect import registry
from idcensus.store.state import table_definition
from tests.templates.cfn import CODE_BUCKET, CODE_KEY, MEMBER, resources_of_type

ACCOUNT = "123456789012"  # moto's default, the management account below
REGION = "us-east-1"
# Not created by moto's CloudFormation (or, for the TLS-only bucket policy, enforced without its
# Condition so it would block every request): checked statically instead.
NOT_IN_MOTO = {"AWS::CloudWatch::Alarm", "AWS::CloudFormation::StackSet", "AWS::S3::BucketPolicy"}
PARAMETERS = {
    "OrganizationId": "o-exampleorg1",
    "ExternalId": "external-id-for-tests-0001",
    "MemberOrganizationalUnitIds": "ou-exam-11111111",
    "VendorPrincipalArn": "arn:aws:iam::111111111111:root",
    "VendorExternalId": "vendor-external-id-0002",
}
HANDLERS = {
    "PlannerFunction": "idcensus.handlers.planner.handler",
    "AccountCollectorFunction": "idcensus.handlers.account.handler",
    "FinisherFunction": "idcensus.handlers.finisher.handler",
}


def moto_template(transformed):
    template = copy.deepcopy(transformed)
    template["Resources"] = {k: v for k, v in template["Resources"].items() if v["Type"] not in NOT_IN_MOTO}
    return template


def upload_code():
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=CODE_BUCKET)
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as zf:
        zf.writestr("idcensus/__init__.py", "")
    s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=blob.getvalue())


def deploy(transformed, **overrides) -> dict[str, str]:
    upload_code()
    cf = boto3.client("cloudformation", region_name=REGION)
    params = {**PARAMETERS, **overrides}
    cf.create_stack(
        StackName="idcensus",
        TemplateBody=json.dumps(moto_template(transformed)),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cf.describe_stacks(StackName="idcensus")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def physical_ids() -> dict[str, str]:
    cf = boto3.client("cloudformation", region_name=REGION)
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cf.list_stack_resources(StackName="idcensus")["StackResourceSummaries"]
    }


@pytest.fixture(scope="class")
def stack(transformed):
    # One deployment for the read-only checks of TestCentralStack; its moto state ends with the class.
    with mock_aws():
        outputs = deploy(transformed)
        yield outputs, physical_ids()


# ---------------------------------------------------------------- central stack in moto
class TestCentralStack:
    def test_outputs(self, stack):
        outputs, _ = stack
        assert set(outputs) == {
            "ExportBucketName",
            "ExportPrefix",
            "VendorQueueUrl",
            "VendorReadRoleArn",
            "StateTableName",
            "AccountQueueUrl",
            "AccountDeadLetterQueueUrl",
            "CollectorRoleArn",
        }
        assert outputs["ExportPrefix"] == "idcensus/v1/"

    def test_state_table(self, stack):
        outputs, _ = stack
        table = boto3.client("dynamodb").describe_table(TableName=outputs["StateTableName"])["Table"]
        want = table_definition(outputs["StateTableName"])
        assert table["KeySchema"] == want["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(want["AttributeDefinitions"], key=str)

    def test_export_bucket_encrypted_with_the_stack_key(self, stack):
        outputs, ids = stack
        rules = boto3.client("s3").get_bucket_encryption(Bucket=outputs["ExportBucketName"])["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms"
        assert default["KMSMasterKeyID"].endswith(f"key/{ids['ExportKey']}")

    def test_queues_and_redrive(self, stack):
        outputs, ids = stack
        sqs = boto3.client("sqs")

        def attrs(url):
            return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

        account, dlq = attrs(outputs["AccountQueueUrl"]), attrs(outputs["AccountDeadLetterQueueUrl"])
        assert json.loads(account["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 3}
        assert int(account["VisibilityTimeout"]) > 6 * 900
        finish, finish_dlq = attrs(ids["FinishQueue"]), attrs(ids["FinishDeadLetterQueue"])
        assert json.loads(finish["RedrivePolicy"])["deadLetterTargetArn"] == finish_dlq["QueueArn"]
        for url in (
            outputs["AccountQueueUrl"],
            outputs["AccountDeadLetterQueueUrl"],
            outputs["VendorQueueUrl"],
            ids["FinishQueue"],
            ids["FinishDeadLetterQueue"],
        ):
            assert attrs(url)["SqsManagedSseEnabled"] == "true"

    def test_functions(self, stack):
        outputs, ids = stack
        lam = boto3.client("lambda")
        for logical, handler in HANDLERS.items():
            config = lam.get_function_configuration(FunctionName=ids[logical])
            assert config["Handler"] == handler
            assert config["Runtime"] == "python3.13"
            env = config["Environment"]["Variables"]
            assert env["TABLE_NAME"] == outputs["StateTableName"]
            assert env["BUCKET_NAME"] == outputs["ExportBucketName"]
            assert env["EXPORT_PREFIX"] == outputs["ExportPrefix"]
            assert env["ROLE_NAME"] == "IdcensusReadOnly"
            assert env["EXTERNAL_ID"] == PARAMETERS["ExternalId"]
            assert env["POWERTOOLS_SERVICE_NAME"] == env["POWERTOOLS_METRICS_NAMESPACE"] == "idcensus"
        planner = lam.get_function_configuration(FunctionName=ids["PlannerFunction"])
        assert planner["Environment"]["Variables"]["ACCOUNT_QUEUE_URL"] == outputs["AccountQueueUrl"]
        collector = lam.get_function_configuration(FunctionName=ids["AccountCollectorFunction"])
        assert (collector["Timeout"], collector["MemorySize"]) == (900, 1024)
        assert collector["Role"] == outputs["CollectorRoleArn"]
        assert collector["Environment"]["Variables"]["FINISH_QUEUE_URL"] == ids["FinishQueue"]
        finisher = lam.get_function_configuration(FunctionName=ids["FinisherFunction"])["Environment"]["Variables"]
        assert finisher["VENDOR_QUEUE_URL"] == outputs["VendorQueueUrl"]
        assert finisher["ACCOUNT_DLQ_URL"] == outputs["AccountDeadLetterQueueUrl"]
        assert finisher["FINISH_QUEUE_URL"] == ids["FinishQueue"]

    def test_event_source_mappings(self, stack):
        outputs, ids = stack
        lam, sqs = boto3.client("lambda"), boto3.client("sqs")

        def arn(url):
            return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        mappings = {
            (m["EventSourceArn"], m["FunctionArn"].rsplit(":", 1)[-1]): m
            for m in lam.list_event_source_mappings()["EventSourceMappings"]
        }
        collector = mappings[(arn(outputs["AccountQueueUrl"]), ids["AccountCollectorFunction"])]
        assert collector["BatchSize"] == 1
        assert collector["ScalingConfig"] == {"MaximumConcurrency": 20}
        assert collector["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        for queue in (ids["FinishQueue"], outputs["AccountDeadLetterQueueUrl"]):
            assert mappings[(arn(queue), ids["FinisherFunction"])]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert len(mappings) == 3

    def test_schedule_starts_the_planner(self, stack):
        _, ids = stack
        events = boto3.client("events")
        rule = events.describe_rule(Name=ids["PlannerFunctionSchedule"])
        assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
        (target,) = events.list_targets_by_rule(Rule=ids["PlannerFunctionSchedule"])["Targets"]
        assert target["Arn"].endswith(f":function:{ids['PlannerFunction']}")

    def test_log_groups_keep_logs_for_the_retention(self, stack):
        _, ids = stack
        groups = {g["logGroupName"]: g for g in boto3.client("logs").describe_log_groups()["logGroups"]}
        for logical in ("PlannerLogGroup", "AccountCollectorLogGroup", "FinisherLogGroup"):
            assert groups[ids[logical]]["retentionInDays"] == 30

    def test_vendor_role(self, stack):
        outputs, _ = stack
        iam = boto3.client("iam")
        name = outputs["VendorReadRoleArn"].rsplit("/", 1)[-1]
        (statement,) = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"AWS": PARAMETERS["VendorPrincipalArn"]}
        assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": PARAMETERS["VendorExternalId"]}}
        assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["idcensus-vendor-read"]
        assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []


# ---------------------------------------------------------------- what moto does not materialise
def test_static_function_settings(transformed):
    for logical in HANDLERS:
        props = transformed["Resources"][logical]["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogGroup"]["Ref"].endswith("LogGroup")


def test_static_table_settings(transformed):
    props = transformed["Resources"]["StateTable"]["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["DeletionProtectionEnabled"] == {"Ref": "TableDeletionProtection"}


def test_static_bucket_settings(transformed):
    bucket = transformed["Resources"]["ExportBucket"]
    props = bucket["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["BucketKeyEnabled"] is True
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    retention = {"Ref": "ExportRetentionDays"}
    assert rules["ExpireExports"]["Prefix"] == {"Ref": "ExportPrefix"}
    assert rules["ExpireExports"]["ExpirationInDays"] == retention
    assert all(r["NoncurrentVersionExpiration"] == {"NoncurrentDays": retention} for r in rules.values())
    assert bucket["DeletionPolicy"] == "Retain"
    key = transformed["Resources"]["ExportKey"]["Properties"]
    assert key["EnableKeyRotation"] is True


def test_static_bucket_policy_is_tls_only(transformed):
    policy = transformed["Resources"]["ExportBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ExportBucket"}
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Resource"] == [{"Fn::GetAtt": ["ExportBucket", "Arn"]}, {"Fn::Sub": "${ExportBucket.Arn}/*"}]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_static_alarms(transformed):
    alarms = resources_of_type(transformed, "AWS::CloudWatch::Alarm")
    dlq = alarms["AccountDeadLetterAlarm"]["Properties"]
    assert (dlq["Namespace"], dlq["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["AccountDeadLetterQueue", "QueueName"]}}]
    failed = alarms["FailedAccountsAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == ("idcensus", "FailedAccounts")
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        no_actions = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
        assert props["AlarmActions"] == no_actions


def test_static_stackset(transformed):
    props = transformed["Resources"]["MemberStackSet"]["Properties"]
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert set(props["OperationPreferences"]) >= {"FailureTolerancePercentage", "MaxConcurrentPercentage"}
    (group,) = props["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {"OrganizationalUnitIds": {"Ref": "MemberOrganizationalUnitIds"}}
    assert group["Regions"] == [{"Ref": "MemberRegion"}]


# ---------------------------------------------------------------- member StackSet in moto
def resolve(value, refs):
    """Resolve the Ref/GetAtt values the StackSet passes, from deployed facts."""
    if isinstance(value, dict) and "Ref" in value:
        return refs[value["Ref"]]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return refs[".".join(value["Fn::GetAtt"])]
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    return value


def member_iam(account_id):
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="idcensus-test"
    )["Credentials"]
    return boto3.client(
        "iam",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def assert_collector_role(iam, central_role_arn, org_id):
    role = iam.get_role(RoleName="IdcensusReadOnly")["Role"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": central_role_arn}
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == PARAMETERS["ExternalId"]
    assert statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == org_id
    (attached,) = iam.list_attached_role_policies(RoleName="IdcensusReadOnly")["AttachedPolicies"]
    policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    (granted,) = document["Document"]["Statement"]
    assert sorted(granted["Action"]) == registry.actions_for_tier("identity")


def test_member_stackset_reaches_every_account_of_the_ou(transformed):
    with mock_aws():
        org = boto3.client("organizations")
        org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root = org.list_roots()["Roots"][0]["Id"]
        ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
        members = []
        for name in ("alpha", "beta", "gamma"):
            account_id = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ou)
            members.append(account_id)
        outputs = deploy(transformed, OrganizationId=org_id, MemberOrganizationalUnitIds=ou)

        # moto has no AWS::CloudFormation::StackSet resource: make the same calls it would.
        props = transformed["Resources"]["MemberStackSet"]["Properties"]
        refs = {
            **PARAMETERS,
            "OrganizationId": org_id,
            "MemberOrganizationalUnitIds": [ou],
            "MemberRegion": REGION,
            "CollectorRoleName": "IdcensusReadOnly",
            "AWS::AccountId": ACCOUNT,
            "AccountCollectorRole.Arn": outputs["CollectorRoleArn"],
            "EnableIdentityCenterTier": "false",
            "EnableResourcesTier": "false",
            "EnableActivityTier": "false",
        }
        cf = boto3.client("cloudformation", region_name=REGION)
        cf.create_stack_set(
            StackSetName="idcensus-member",
            TemplateBody=MEMBER.read_text(),
            PermissionModel=props["PermissionModel"],
            AutoDeployment=props["AutoDeployment"],
            Capabilities=props["Capabilities"],
            Parameters=[
                {"ParameterKey": p["ParameterKey"], "ParameterValue": resolve(p["ParameterValue"], refs)}
                for p in props["Parameters"]
            ],
        )
        (group,) = props["StackInstancesGroup"]
        cf.create_stack_instances(
            StackSetName="idcensus-member",
            DeploymentTargets={"OrganizationalUnitIds": resolve(group["DeploymentTargets"]["OrganizationalUnitIds"], refs)},
            Regions=resolve(group["Regions"], refs),
            OperationPreferences=props["OperationPreferences"],
        )

        instances = cf.list_stack_instances(StackSetName="idcensus-member")["Summaries"]
        assert sorted(i["Account"] for i in instances) == sorted(members)
        for account_id in members:
            assert_collector_role(member_iam(account_id), outputs["CollectorRoleArn"], org_id)

        # StackSets skip the management account; the same template deploys there as a plain stack.
        iam = boto3.client("iam")
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName="IdcensusReadOnly")
        cf.create_stack(
            StackName="idcensus-member",
            TemplateBody=MEMBER.read_text(),
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Parameters=[
                {"ParameterKey": p["ParameterKey"], "ParameterValue": resolve(p["ParameterValue"], refs)}
                for p in props["Parameters"]
            ],
        )
        assert_collector_role(iam, outputs["CollectorRoleArn"], org_id)
