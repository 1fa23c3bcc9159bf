"""Deploy the SAM-transformed central stack and the member StackSet into moto, in-process.

moto's CloudFormation skips some resource types and properties (MOTO_NOTES.md); those are held
to the template statically below, so every property the brief names is checked one way or the other.
"""

import ast
import copy
import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern

from idcensus.collect import registry
from idcensus.store.state import table_definition
from tests.templates.cfn import CODE_BUCKET, CODE_KEY, MEMBER, ROOT, evaluate, resources_of_type

ACCOUNT = "123456789012"  # moto's default, the management account below
REGION = "us-east-1"
# Not created by moto's CloudFormation (or, for the TLS-only bucket policy, enforced without its
# Condition so it would block every request): checked statically instead.
NOT_IN_MOTO = {"AWS::CloudWatch::Alarm", "AWS::CloudFormation::StackSet", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy",
               "AWS::Glue::Database", "AWS::Glue::Table", "AWS::Athena::WorkGroup"}  # tests/templates/test_athena.py
PARAMETERS = {
    "OrganizationId": "o-exampleorg1",
    "ExternalId": "external-id-for-tests-0001",
    "MemberOrganizationalUnitIds": "ou-exam-11111111",
    "VendorPrincipalArn": "arn:aws:iam::111111111111:root",
    "VendorExternalId": "vendor-external-id-0002",
    # The management account's role comes from a nested member stack when true (test_nested_member_stack...).
    "ManagementAccountRole": "false",
}
HANDLERS = {
    "PlannerFunction": "idcensus.handlers.planner.handler",
    "AccountCollectorFunction": "idcensus.handlers.account.handler",
    "FinisherFunction": "idcensus.handlers.finisher.handler",
    "NormalizerFunction": "idcensus.handlers.events.handler",
    "RefreshFunction": "idcensus.handlers.refresh.handler",
    "BackfillFunction": "idcensus.handlers.backfill.handler",
    "CheckFunction": "idcensus.handlers.check.handler",
}
# The functions that assume the member read role (census, targeted refresh, connection check).
ASSUMERS = {"AccountCollectorFunction", "RefreshFunction", "CheckFunction"}
LOG_GROUPS = ["PlannerLogGroup", "AccountCollectorLogGroup", "FinisherLogGroup", "NormalizerLogGroup", "RefreshLogGroup",
              "BackfillLogGroup", "CheckLogGroup"]


MEMBER_KEY = "stacksets/member.yaml"


def moto_template(transformed):
    template = copy.deepcopy(transformed)
    template["Resources"] = {k: v for k, v in template["Resources"].items() if v["Type"] not in NOT_IN_MOTO}
    nested = template["Resources"].get("ManagementAccountMemberStack")
    if nested:  # what `sam deploy` does with the local TemplateURL: upload it, point at the object
        assert nested["Properties"]["TemplateURL"] == MEMBER_KEY
        nested["Properties"]["TemplateURL"] = f"https://{CODE_BUCKET}.s3.amazonaws.com/{MEMBER_KEY}"
    return template


def upload_code():
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=CODE_BUCKET)
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as zf:
        zf.writestr("idcensus/__init__.py", "")
    s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=blob.getvalue())
    s3.put_object(Bucket=CODE_BUCKET, Key=MEMBER_KEY, Body=MEMBER.read_bytes())


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
            "RefreshRoleArn",
            "CheckRoleArn",
            "ActivityBusArn",
            "ActivityQueueUrl",
            "ActivityDeadLetterQueueUrl",
            "RefreshQueueUrl",
            "RefreshDeadLetterQueueUrl",
            "BackfillFunctionName",
            "CheckFunctionName",
        }
        assert outputs["ExportPrefix"] == "idcensus/v1/"
        assert outputs["ActivityBusArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/idcensus-activity"

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
        activity, activity_dlq = attrs(outputs["ActivityQueueUrl"]), attrs(outputs["ActivityDeadLetterQueueUrl"])
        assert json.loads(activity["RedrivePolicy"]) == {"deadLetterTargetArn": activity_dlq["QueueArn"], "maxReceiveCount": 5}
        assert int(activity["VisibilityTimeout"]) >= 6 * 60
        refresh, refresh_dlq = attrs(outputs["RefreshQueueUrl"]), attrs(outputs["RefreshDeadLetterQueueUrl"])
        assert json.loads(refresh["RedrivePolicy"]) == {"deadLetterTargetArn": refresh_dlq["QueueArn"], "maxReceiveCount": 3}
        assert int(refresh["VisibilityTimeout"]) >= 6 * 300
        for url in (
            outputs["AccountQueueUrl"],
            outputs["AccountDeadLetterQueueUrl"],
            outputs["VendorQueueUrl"],
            ids["FinishQueue"],
            ids["FinishDeadLetterQueue"],
            outputs["ActivityQueueUrl"],
            outputs["ActivityDeadLetterQueueUrl"],
            outputs["RefreshQueueUrl"],
            outputs["RefreshDeadLetterQueueUrl"],
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
            if logical in ASSUMERS:  # only they get the member role's name and ExternalId
                assert env["ROLE_NAME"] == "IdcensusReadOnly"
                assert env["EXTERNAL_ID"] == PARAMETERS["ExternalId"]
            else:
                assert "EXTERNAL_ID" not in env and "ROLE_NAME" not in env, logical
            assert env["RESOURCE_REGIONS"] == "us-east-1"
            assert env["POWERTOOLS_SERVICE_NAME"] == env["POWERTOOLS_METRICS_NAMESPACE"] == "idcensus"
        planner = lam.get_function_configuration(FunctionName=ids["PlannerFunction"])
        assert planner["Environment"]["Variables"]["ACCOUNT_QUEUE_URL"] == outputs["AccountQueueUrl"]
        collector = lam.get_function_configuration(FunctionName=ids["AccountCollectorFunction"])
        assert (collector["Timeout"], collector["MemorySize"]) == (900, 1024)
        assert collector["Role"] == outputs["CollectorRoleArn"]
        assert collector["Environment"]["Variables"]["FINISH_QUEUE_URL"] == ids["FinishQueue"]
        finisher = lam.get_function_configuration(FunctionName=ids["FinisherFunction"])["Environment"]["Variables"]
        assert finisher["VENDOR_QUEUE_URL"] == outputs["VendorQueueUrl"]
        assert finisher["FINISH_QUEUE_URL"] == ids["FinishQueue"]
        normalizer = lam.get_function_configuration(FunctionName=ids["NormalizerFunction"])["Environment"]["Variables"]
        assert normalizer["REFRESH_QUEUE_URL"] == outputs["RefreshQueueUrl"]
        assert normalizer["VENDOR_QUEUE_URL"] == outputs["VendorQueueUrl"]
        refresh = lam.get_function_configuration(FunctionName=ids["RefreshFunction"])
        assert "REFRESH_QUEUE_URL" not in refresh["Environment"]["Variables"]  # refreshes never request refreshes
        assert refresh["Role"] == outputs["RefreshRoleArn"]
        backfill = lam.get_function_configuration(FunctionName=ids["BackfillFunction"])
        assert ids["BackfillFunction"] == outputs["BackfillFunctionName"]
        assert (backfill["Timeout"], backfill["MemorySize"]) == (900, 1024)
        assert "TRAIL_BUCKET" not in backfill["Environment"]["Variables"]  # TrailBucketName empty: unset, never ""
        check = lam.get_function_configuration(FunctionName=ids["CheckFunction"])
        assert check["Role"] == outputs["CheckRoleArn"] and ids["CheckFunction"] == outputs["CheckFunctionName"]

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
        normalizer = mappings[(arn(outputs["ActivityQueueUrl"]), ids["NormalizerFunction"])]
        assert normalizer["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert (normalizer["BatchSize"], normalizer["MaximumBatchingWindowInSeconds"]) == (100, 5)
        assert normalizer["ScalingConfig"] == {"MaximumConcurrency": 10}
        refresh = mappings[(arn(outputs["RefreshQueueUrl"]), ids["RefreshFunction"])]
        assert refresh["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert refresh["ScalingConfig"] == {"MaximumConcurrency": 5}
        assert len(mappings) == 5  # nothing consumes the activity and refresh DLQs: they are alarmed

    def test_schedule_starts_the_planner(self, stack):
        _, ids = stack
        events = boto3.client("events")
        rule = events.describe_rule(Name=ids["PlannerFunctionSchedule"])
        assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
        (target,) = events.list_targets_by_rule(Rule=ids["PlannerFunctionSchedule"])["Targets"]
        assert target["Arn"].endswith(f":function:{ids['PlannerFunction']}")

    def test_schedule_runs_the_check(self, stack):
        _, ids = stack
        events = boto3.client("events")
        rule = events.describe_rule(Name=ids["CheckFunctionSchedule"])
        assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
        (target,) = events.list_targets_by_rule(Rule=ids["CheckFunctionSchedule"])["Targets"]
        assert target["Arn"].endswith(f":function:{ids['CheckFunction']}")

    def test_activity_bus_routes_to_the_activity_queue(self, stack):
        outputs, ids = stack
        events, sqs = boto3.client("events"), boto3.client("sqs")
        bus = events.describe_event_bus(Name="idcensus-activity")
        assert bus["Arn"] == outputs["ActivityBusArn"]
        rule = events.describe_rule(Name=ids["ActivityRule"], EventBusName="idcensus-activity")
        assert rule["State"] == "ENABLED"
        (target,) = events.list_targets_by_rule(Rule=ids["ActivityRule"], EventBusName="idcensus-activity")["Targets"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=outputs["ActivityQueueUrl"], AttributeNames=["QueueArn"])
        dlq_arn = sqs.get_queue_attributes(QueueUrl=outputs["ActivityDeadLetterQueueUrl"], AttributeNames=["QueueArn"])
        assert target["Arn"] == queue_arn["Attributes"]["QueueArn"]
        assert target["DeadLetterConfig"] == {"Arn": dlq_arn["Attributes"]["QueueArn"]}

    def test_log_groups_keep_logs_for_the_retention(self, stack):
        _, ids = stack
        groups = {g["logGroupName"]: g for g in boto3.client("logs").describe_log_groups()["logGroups"]}
        for logical in LOG_GROUPS:
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


def test_trail_bucket_switches_on_the_backfill_grant(transformed):
    # Without TrailBucketName (TestCentralStack) the role has no trail policy and no TRAIL_BUCKET.
    with mock_aws():
        outputs = deploy(transformed, TrailBucketName="org-trail-logs-222222222222")
        ids = physical_ids()
        config = boto3.client("lambda").get_function_configuration(FunctionName=outputs["BackfillFunctionName"])
        assert config["Environment"]["Variables"]["TRAIL_BUCKET"] == "org-trail-logs-222222222222"
        role = config["Role"].rsplit("/", 1)[-1]
        assert "backfill-trail" in boto3.client("iam").list_role_policies(RoleName=role)["PolicyNames"]
        assert ids["BackfillTrailPolicy"]


def test_no_trail_bucket_no_trail_policy(transformed):
    with mock_aws():
        outputs = deploy(transformed)
        config = boto3.client("lambda").get_function_configuration(FunctionName=outputs["BackfillFunctionName"])
        role = config["Role"].rsplit("/", 1)[-1]
        policies = boto3.client("iam").list_role_policies(RoleName=role)["PolicyNames"]
        assert "backfill-trail" not in policies and "backfill-exports" in policies


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
    # moto's CloudFormation drops TimeToLiveSpecification; the activity markers' TTL attribute is this one.
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


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
    for queue in ("AccountDeadLetterQueue", "FinishDeadLetterQueue", "ActivityDeadLetterQueue", "RefreshDeadLetterQueue"):
        dlq = alarms[queue.replace("Queue", "Alarm")]["Properties"]
        assert (dlq["Namespace"], dlq["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    failed = alarms["FailedAccountsAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == ("idcensus", "FailedAccounts")
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        # Always someone to notify: the given topic, or the stack's own (tests/templates/test_alarms.py).
        notify = [{"Fn::If": ["HasAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}]
        assert props["AlarmActions"] == notify


def test_static_stackset(transformed):
    props = transformed["Resources"]["MemberStackSet"]["Properties"]
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert set(props["OperationPreferences"]) >= {"FailureTolerancePercentage", "MaxConcurrentPercentage"}
    (group,) = props["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {"OrganizationalUnitIds": {"Ref": "MemberOrganizationalUnitIds"}}
    # PrimaryRegion first and always; the activity regions after it, in order.
    assert props["OperationPreferences"]["RegionConcurrencyType"] == "SEQUENTIAL"
    assert props["OperationPreferences"]["RegionOrder"] == group["Regions"]
    refs = {"PrimaryRegion": "us-east-1"}
    for extra, conditions, want in (
        ([""], {"HasActivityRegions": False}, ["us-east-1"]),
        (["eu-west-1", "eu-central-1"], {"HasActivityRegions": True}, ["us-east-1", "eu-west-1", "eu-central-1"]),
    ):
        assert evaluate(group["Regions"], {**refs, "ActivityRegions": extra}, conditions) == want


# ---------------------------------------------------------------- member StackSet in moto
ACTIVITY_REGION = "eu-west-1"  # an Identity Center home region outside us-east-1
EVENTS = ROOT / "events" / "cloudtrail"
EC2_EVENT = {  # a management event of a service the rules leave alone
    "source": "aws.ec2",
    "detail-type": "AWS API Call via CloudTrail",
    "detail": {"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "eventID": "ec2-run-instances-1",
               "readOnly": False, "eventType": "AwsApiCall"},
}


def member_client(service, account_id, region=REGION):
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="idcensus-test"
    )["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def tier_actions(*tiers):
    return sorted({a for tier in tiers for a in registry.actions_for_tier(tier)})


def assert_collector_role(iam, outputs, org_id, tiers):
    role = iam.get_role(RoleName="IdcensusReadOnly")["Role"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    readers = ("CollectorRoleArn", "RefreshRoleArn", "CheckRoleArn")
    assert sorted(statement["Principal"]["AWS"]) == sorted(outputs[k] for k in readers)
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == PARAMETERS["ExternalId"]
    assert statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == org_id
    granted = set()
    for attached in iam.list_attached_role_policies(RoleName="IdcensusReadOnly")["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        granted |= {a for s in document["Document"]["Statement"] for a in s["Action"]}
    assert sorted(granted) == tier_actions(*tiers)


def central_queue_events(queue_url):
    sqs, found = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]}
                                                                for m in messages])
    return found


def stop_the_normalizer(queue_url):
    """Disable the activity queue's event source mapping: moto would run the function in Docker and eat
    the messages. The handler is tested in-process elsewhere; here the queue is the end of the route."""
    lam, sqs = boto3.client("lambda"), boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    (mapping,) = [m for m in lam.list_event_source_mappings()["EventSourceMappings"] if m["EventSourceArn"] == arn]
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)


def put(events_client, envelope):
    (entry,) = events_client.put_events(Entries=[{
        "Source": envelope["source"], "DetailType": envelope["detail-type"], "Detail": json.dumps(envelope["detail"]),
    }])["Entries"]
    assert "EventId" in entry, entry


@pytest.fixture(scope="class")
def organization(transformed):
    """The central stack, then the member StackSet (every tier on) in PrimaryRegion and one activity region."""
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
        outputs = deploy(transformed, OrganizationId=org_id, MemberOrganizationalUnitIds=ou, ActivityRegions=ACTIVITY_REGION)

        # moto has no AWS::CloudFormation::StackSet resource: make the same calls it would.
        props = transformed["Resources"]["MemberStackSet"]["Properties"]
        refs = {
            **PARAMETERS,
            "OrganizationId": org_id,
            "MemberOrganizationalUnitIds": [ou],
            "PrimaryRegion": REGION,
            "ActivityRegions": [ACTIVITY_REGION],
            "CollectorRoleName": "IdcensusReadOnly",
            "AWS::AccountId": ACCOUNT,
            "AccountCollectorRole.Arn": outputs["CollectorRoleArn"],
            "RefreshRole.Arn": outputs["RefreshRoleArn"],
            "CheckRole.Arn": outputs["CheckRoleArn"],
            "ActivityBus.Arn": outputs["ActivityBusArn"],
            "EnableIdentityCenterTier": "true",
            "EnableResourcesTier": "true",
            "EnableActivityTier": "true",
        }
        conditions = {"HasActivityRegions": True}
        parameters = [
            {"ParameterKey": p["ParameterKey"], "ParameterValue": evaluate(p["ParameterValue"], refs, conditions)}
            for p in props["Parameters"]
        ]
        cf = boto3.client("cloudformation", region_name=REGION)
        cf.create_stack_set(
            StackSetName="idcensus-member",
            TemplateBody=MEMBER.read_text(),
            PermissionModel=props["PermissionModel"],
            AutoDeployment=props["AutoDeployment"],
            Capabilities=props["Capabilities"],
            Parameters=parameters,
        )
        (group,) = props["StackInstancesGroup"]
        regions = evaluate(group["Regions"], refs, conditions)
        assert regions == [REGION, ACTIVITY_REGION]
        cf.create_stack_instances(
            StackSetName="idcensus-member",
            DeploymentTargets={"OrganizationalUnitIds": evaluate(group["DeploymentTargets"]["OrganizationalUnitIds"], refs)},
            Regions=regions,
            OperationPreferences={**props["OperationPreferences"], "RegionOrder": regions},
        )
        yield {"org_id": org_id, "members": members, "outputs": outputs, "parameters": parameters, "cf": cf}


class TestMemberAccounts:
    def test_stackset_reaches_every_account_in_every_region(self, organization):
        instances = organization["cf"].list_stack_instances(StackSetName="idcensus-member")["Summaries"]
        want = sorted((a, r) for a in organization["members"] for r in (REGION, ACTIVITY_REGION))
        assert sorted((i["Account"], i["Region"]) for i in instances) == want

    def test_read_role_once_per_account_with_every_enabled_tier(self, organization):
        # A second region creating the named role would have failed that stack instance in moto too.
        for account_id in organization["members"]:
            iam = member_client("iam", account_id)
            tiers = ("identity", "identity_center", "resources", "activity")
            assert_collector_role(iam, organization["outputs"], organization["org_id"], tiers)
            forwarder = iam.get_role(RoleName="IdcensusReadOnly-activity")["Role"]
            (trust,) = forwarder["AssumeRolePolicyDocument"]["Statement"]
            assert trust["Principal"] == {"Service": "events.amazonaws.com"}
            (name,) = iam.list_role_policies(RoleName="IdcensusReadOnly-activity")["PolicyNames"]
            document = iam.get_role_policy(RoleName="IdcensusReadOnly-activity", PolicyName=name)["PolicyDocument"]
            if isinstance(document, str):  # moto's CloudFormation keeps inline role policies as a Python repr
                document = ast.literal_eval(document)
            (statement,) = document["Statement"]
            assert (statement["Action"], statement["Resource"]) == ("events:PutEvents", organization["outputs"]["ActivityBusArn"])

    def test_activity_rules_in_every_region_forward_to_the_central_bus(self, organization):
        for account_id in organization["members"]:
            for region in (REGION, ACTIVITY_REGION):
                events = member_client("events", account_id, region)
                rules = [r for r in events.list_rules()["Rules"] if r.get("EventPattern")]
                assert sorted(r["State"] for r in rules) == ["ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]
                for rule in rules:
                    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
                    assert target["Arn"] == organization["outputs"]["ActivityBusArn"]
                    assert target["RoleArn"] == f"arn:aws:iam::{account_id}:role/IdcensusReadOnly-activity"

    def test_identity_events_reach_the_central_queue_and_others_do_not(self, organization):
        # The member rules (patterns from member.yaml, deployed above) forward across accounts to the
        # central bus, whose rule (from template.yaml) feeds the activity queue.
        queue_url = organization["outputs"]["ActivityQueueUrl"]
        stop_the_normalizer(queue_url)
        alpha, beta = organization["members"][:2]
        fixtures = {f.name: json.loads(f.read_text()) for f in sorted(EVENTS.glob("*.json"))}
        assert len(fixtures) >= 10
        us, eu = member_client("events", alpha, REGION), member_client("events", beta, ACTIVITY_REGION)
        for envelope in fixtures.values():
            put(us, envelope)
        # Identity Center events arrive in its home region: the rule there forwards them too.
        sso = fixtures["sso_create_account_assignment.json"]
        put(eu, {**sso, "detail": {**sso["detail"], "eventID": "from-eu-west-1", "awsRegion": ACTIVITY_REGION}})
        put(us, EC2_EVENT)
        put(eu, EC2_EVENT)
        arrived = central_queue_events(queue_url)
        ids = {e["detail"]["eventID"] for e in arrived}
        assert ids == {e["detail"]["eventID"] for e in fixtures.values()} | {"from-eu-west-1"}
        assert EC2_EVENT["detail"]["eventID"] not in ids
        assert {e["source"] for e in arrived} <= {"aws.iam", "aws.sts", "aws.sso", "aws.identitystore", "aws.organizations",
                                                  "aws.signin"}

    def test_central_rule_ignores_custom_sources(self, organization):
        # Anyone in the organization may PutEvents on the bus, but only AWS sources (unforgeable) are queued.
        stop_the_normalizer(organization["outputs"]["ActivityQueueUrl"])
        events = boto3.client("events")
        events.put_events(Entries=[{"Source": "acme.iam", "DetailType": "AWS API Call via CloudTrail",
                                    "Detail": json.dumps({"eventID": "forged-1"}), "EventBusName": "idcensus-activity"}])
        events.put_events(Entries=[{"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail",
                                    "Detail": json.dumps({"eventID": "central-1"}), "EventBusName": "idcensus-activity"}])
        queued = central_queue_events(organization["outputs"]["ActivityQueueUrl"])
        assert [e["detail"]["eventID"] for e in queued] == ["central-1"]

    def test_management_account_deploys_the_same_template(self, organization):
        # StackSets skip the management account; the same template deploys there as a plain stack,
        # with the billing tier (Cost Explorer answers only in the payer account).
        iam, cf = boto3.client("iam"), organization["cf"]
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName="IdcensusReadOnly")
        parameters = [p if p["ParameterKey"] != "EnableBillingTier" else {**p, "ParameterValue": "true"}
                      for p in organization["parameters"]]
        cf.create_stack(StackName="idcensus-member", TemplateBody=MEMBER.read_text(), Capabilities=["CAPABILITY_NAMED_IAM"],
                        Parameters=parameters)
        assert_collector_role(iam, organization["outputs"], organization["org_id"],
                              ("identity", "identity_center", "resources", "activity", "billing"))


# ---------------------------------------------------------------- EventBridge delivery rules moto skips
def deliveries(member, envelope):
    """Member rules EventBridge would hand this event to: pattern (moto's matcher) and rule state.

    moto matches patterns but ignores State; EventBridge gives read-only management events only to
    rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS."""
    found = []
    for name, rule in resources_of_type(member, "AWS::Events::Rule").items():
        props = rule["Properties"]
        read_only = envelope["detail"].get("readOnly") is True
        if read_only and props["State"] != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
            continue
        if EventPattern.load(json.dumps(props["EventPattern"])).matches_event(envelope):
            found.append(name)
    return found


def test_each_event_is_forwarded_once_and_reads_not_at_all(member):
    fixtures = [json.loads(f.read_text()) for f in sorted(EVENTS.glob("*.json"))]
    assert len(fixtures) >= 10
    for envelope in fixtures:
        detail = envelope["detail"]
        wanted = not detail.get("readOnly") or detail["eventName"].startswith("Assume")
        assert len(deliveries(member, envelope)) == (1 if wanted else 0), detail["eventName"]
    assert deliveries(member, EC2_EVENT) == []
    assert deliveries(member, {**EC2_EVENT, "detail": {**EC2_EVENT["detail"], "readOnly": True}}) == []


def test_nested_member_stack_gives_the_management_account_its_role_with_billing(transformed):
    """ManagementAccountRole=true (the default): no manual stack for the account StackSets skip."""
    with mock_aws():
        org_id = boto3.client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
        outputs = deploy(transformed, OrganizationId=org_id, ManagementAccountRole="true", EnableIdentityCenterTier="true")
        assert_collector_role(boto3.client("iam"), outputs, org_id, ("identity", "identity_center", "billing"))
