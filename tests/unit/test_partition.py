"""Resource ARNs carry the region's partition (aws-cn, aws-us-gov), never a hard-coded `aws`."""

import boto3
import pytest
from botocore.stub import Stubber

from idcensus.aws import ClientFactory
from idcensus.collect.contract import AccountInfo, CollectOptions, Context, collect, partition
from idcensus.collect.resources import dynamodb
from idcensus.collect.resources.ec2 import transform_instances

ACCOUNT = "111122223333"
CASES = [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eu-west-1", "aws")]


@pytest.mark.parametrize(("region", "expected"), CASES)
def test_partition_of_region(region, expected):
    assert partition(region) == expected


def test_unknown_or_missing_region_is_the_commercial_partition():
    assert partition("xx-nowhere-9") == "aws"
    assert partition(None) == "aws"


@pytest.mark.parametrize(("region", "expected"), CASES)
def test_ec2_instance_arn_has_the_partition(region, expected):
    instances = [{"InstanceId": "i-0abc", "State": {"Name": "running"}}]
    ((_, arn, data),) = transform_instances(instances, region, ACCOUNT, {})
    assert arn == data.arn == f"arn:{expected}:ec2:{region}:{ACCOUNT}:instance/i-0abc"


@pytest.mark.parametrize(("region", "expected"), CASES[:2])
def test_dynamodb_table_arn_has_the_partition(region, expected):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    ctx = Context(factory=ClientFactory(session=session, region=region), info=AccountInfo(ACCOUNT),
                  options=CollectOptions(regions=(region,)))
    ddb, tagging = ctx.client("dynamodb", region), ctx.client("resourcegroupstaggingapi", region)
    arn = f"arn:{expected}:dynamodb:{region}:{ACCOUNT}:table/orders"
    with Stubber(ddb) as stub, Stubber(tagging) as tags:  # every call answered here: nothing leaves the process
        stub.add_response("list_tables", {"TableNames": ["orders"]})
        stub.add_client_error("get_resource_policy", "PolicyNotFoundException", http_status_code=404,
                              expected_params={"ResourceArn": arn})
        tags.add_response("get_resources", {"ResourceTagMappingList": [
            {"ResourceARN": arn, "Tags": [{"Key": "team", "Value": "data"}]}]})
        ((kind, item_id, data),) = collect(dynamodb, ctx, region)
        stub.assert_no_pending_responses()
        tags.assert_no_pending_responses()
    assert (kind, item_id, data.arn, data.policy, data.tags) == ("resource.dynamodb.table", arn, arn, None,
                                                                 {"team": "data"})
