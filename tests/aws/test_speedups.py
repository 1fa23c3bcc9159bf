"""tests/speedups.py changes what the test processes cost, never what moto answers: checked here."""

from __future__ import annotations

import os

import boto3
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests import speedups
from tests.aws.conftest import ACCOUNT, moto_in_process


def memberships(iam) -> dict:
    users = sorted(u["UserName"] for u in iam.list_users()["Users"])
    return {
        "groups_of": {u: sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=u)["Groups"]) for u in users},
        "members_of": {g["GroupName"]: sorted(u["UserName"] for u in iam.get_group(GroupName=g["GroupName"])["Users"])
                       for g in iam.list_groups()["Groups"]},
        "gaad": sorted((u["UserName"], tuple(sorted(u["GroupList"])))
                       for u in iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]),
    }


def test_indexed_group_members_answer_as_moto_does():
    with moto_in_process():
        iam = boto3.client("iam", region_name="us-east-1")
        for g in ("admins", "devs"):
            iam.create_group(GroupName=g)
        for u in ("ann", "ben", "cat"):
            iam.create_user(UserName=u)
        for u, g in (("ann", "admins"), ("ann", "devs"), ("ben", "devs"), ("cat", "devs")):
            iam.add_user_to_group(UserName=u, GroupName=g)
        iam.add_user_to_group(UserName="ann", GroupName="admins")  # twice: moto keeps one
        iam.remove_user_from_group(UserName="cat", GroupName="devs")
        expected = {
            "groups_of": {"ann": ["admins", "devs"], "ben": ["devs"], "cat": []},
            "members_of": {"admins": ["ann"], "devs": ["ann", "ben"]},
            "gaad": [("ann", ("admins", "devs")), ("ben", ("devs",)), ("cat", ())],
        }
        assert memberships(iam) == expected
        from moto.iam.models import iam_backends
        assert type(iam_backends[ACCOUNT]["aws"].groups["devs"].users) is speedups._Members, "the speedup is off"
        state = speedups.snapshot()

    with moto_in_process():  # a restored copy counts its own members, not the originals'
        speedups.restore(state)
        iam = boto3.client("iam", region_name="us-east-1")
        assert memberships(iam) == expected
        iam.remove_user_from_group(UserName="ann", GroupName="devs")
        iam.add_user_to_group(UserName="cat", GroupName="admins")
        assert memberships(iam)["groups_of"] == {"ann": ["admins"], "ben": ["devs"], "cat": ["admins"]}


# Numbers within DynamoDB's 38 digits: moto's projection (boto3's deserializer) refuses a 39-digit
# coefficient such as 10**38, as DynamoDB refuses more precision than that.
NUMBER = st.integers(min_value=-(10**38 - 1), max_value=10**38 - 1)
ATTRIBUTE = st.recursive(
    st.one_of(st.text(max_size=8).map(lambda s: {"S": s}), NUMBER.map(lambda n: {"N": str(n)}),
              st.binary(max_size=16).map(lambda b: {"B": b}), st.booleans().map(lambda b: {"BOOL": b}),
              st.just({"NULL": True}), st.sets(st.text(min_size=1, max_size=4), min_size=1, max_size=3).map(
                  lambda s: {"SS": sorted(s)}),
              st.sets(st.binary(min_size=1, max_size=4), min_size=1, max_size=3).map(lambda s: {"BS": sorted(s)})),
    lambda inner: st.one_of(st.lists(inner, max_size=3).map(lambda v: {"L": v}),
                            st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3).map(lambda v: {"M": v})),
    max_leaves=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.dictionaries(st.text(alphabet="abcdef", min_size=1, max_size=4), ATTRIBUTE, max_size=4),
                      min_size=1, max_size=5))
@example(items=[{"a": {"N": str(10**38 - 1)}, "b": {"N": str(-(10**38 - 1))}}])  # the widest numbers
def test_items_written_as_json_read_back_as_moto_serializes_them(items):
    from moto.dynamodb.responses import DynamoResult

    fast = DynamoResult.execute_result
    assert fast.original, "the speedup is off"
    with moto_in_process():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "S"}])
        for n, item in enumerate(items):
            item = {k: v for k, v in item.items() if k not in ("pk", "sk")}
            ddb.put_item(TableName="t", Item={**item, "pk": {"S": "p"}, "sk": {"S": f"{n:03d}"}})
        calls = [
            lambda: ddb.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                              Limit=2, ReturnConsumedCapacity="TOTAL"),
            lambda: ddb.scan(TableName="t", ProjectionExpression="sk, a"),
            lambda: ddb.get_item(TableName="t", Key={"pk": {"S": "p"}, "sk": {"S": "000"}}),
            lambda: ddb.get_item(TableName="t", Key={"pk": {"S": "p"}, "sk": {"S": "none"}}),
            lambda: ddb.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "p"}, "sk": {"S": "000"}}]}}),
            lambda: ddb.describe_table(TableName="t")["Table"]["KeySchema"],  # not an item operation: the long way
        ]
        answers = [call() for call in calls]
        DynamoResult.execute_result = fast.original
        try:
            expected = [call() for call in calls]
        finally:
            DynamoResult.execute_result = fast
    for got, want in zip(answers, expected, strict=True):
        if isinstance(got, dict):
            got, want = ({k: v for k, v in a.items() if k != "ResponseMetadata"} for a in (got, want))
        assert got == want


def test_clients_sharing_endpoint_rules_still_resolve_their_own_region(monkeypatch):
    import botocore.endpoint_provider

    assert botocore.endpoint_provider.EndpointProvider.__init__ is speedups._endpoint_provider_init, "the speedup is off"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s")
    urls = {region: session.client("sts", region_name=region).meta.endpoint_url
            for region in ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1")}
    assert urls == {"us-east-1": "https://sts.us-east-1.amazonaws.com", "eu-west-1": "https://sts.eu-west-1.amazonaws.com",
                    "cn-north-1": "https://sts.cn-north-1.amazonaws.com.cn",
                    "us-gov-west-1": "https://sts.us-gov-west-1.amazonaws.com"}
    first, second = (session.client("sts", region_name=r)._ruleset_resolver._provider for r in ("us-east-1", "eu-west-1"))
    assert first.ruleset is second.ruleset


def test_event_names_renamed_once_per_process_as_each_client_would():
    import botocore.hooks

    aliaser = botocore.hooks.EventAliaser
    assert getattr(aliaser._alias_event_name, "once", False), "the speedup is off"
    names = ["before-call.sagemaker-runtime.InvokeEndpoint", "before-call.runtime.sagemaker.InvokeEndpoint",
             "needs-retry.elasticloadbalancing.DescribeLoadBalancers", "before-parameter-build.s3.PutObject",
             "request-created.apigateway", "after-call.autoscaling-plans.DescribeScalingPlans"]
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")
    for client in (session.client("sts"), session.client("s3")):
        events = client.meta.events  # a copy of the session's emitter, with a copy of its alias table
        assert events._event_aliases is not botocore.hooks.EVENT_ALIASES
        fresh = botocore.hooks.EventAliaser(botocore.hooks.HierarchicalEmitter())
        assert [events._alias_event_name(n) for n in names] == \
            [aliaser._alias_event_name.original(fresh, n) for n in names]
        assert events._standard_aliases, "a client's copied table took the slow path"
    custom = botocore.hooks.EventAliaser(botocore.hooks.HierarchicalEmitter(), {"s3": "renamed"})
    assert custom._alias_event_name("before-call.s3.PutObject") == "before-call.renamed.PutObject"


def test_botocore_json_read_once_per_machine_gives_what_botocore_parses(tmp_path, monkeypatch):
    import botocore.loaders

    assert botocore.loaders.JSONFileLoader._load_file is speedups._load_file_once, "the speedup is off"
    monkeypatch.setattr(speedups, "MODEL_CACHE", tmp_path)
    loader = botocore.loaders.JSONFileLoader()
    data = next(p for p in botocore.loaders.Loader().search_paths if p.endswith("botocore/data"))
    for name in ("endpoints", "iam/2010-05-08/service-2", "ec2/2016-11-15/paginators-1"):
        base = f"{data}/{name}"
        parsed = speedups._load_json_file(loader, *next((base + ext, how) for ext, how in
                                                        botocore.loaders._JSON_OPEN_METHODS.items()
                                                        if os.path.isfile(base + ext)))
        first, kept = loader.load_file(base), set(tmp_path.iterdir())
        second = loader.load_file(base)  # from the marshal copy the first made
        assert first == parsed == second and list(second) == list(parsed)
        assert len(kept) == len(set(tmp_path.iterdir())) and all(p.suffix == ".marshal" for p in kept)
    assert loader.load_file(f"{data}/no-such-model") is None


def test_every_session_shares_idcensus_loader_and_its_search_paths_do_not_grow():
    from idcensus.aws import _shared_loader

    sessions = [boto3.Session() for _ in range(20)]  # boto3 appends its data folder at each one
    assert all(s._loader is _shared_loader() for s in sessions)
    paths = _shared_loader().search_paths
    assert len(paths) == len(set(paths))


def test_client_methods_built_once_per_model_and_each_client_class_still_its_own():
    import botocore.client

    creator = botocore.client.ClientCreator
    assert getattr(creator._create_methods, "original", None) is not None, "the speedup is off"
    with moto_in_process():
        first, second = (boto3.Session(region_name="us-east-1").client("s3") for _ in range(2))
        assert type(first) is not type(second)  # a class per client, as botocore makes them
        assert first.put_object is not second.put_object
        assert type(first).put_object is type(second).put_object  # one method per operation, shared
        operations = {botocore.xform_name(name) for name in first.meta.service_model.operation_names}
        assert operations <= set(vars(type(first))) and len(operations) > 100
        assert callable(first.upload_fileobj)  # what boto3's creating-client-class handler adds is still there
        first.create_bucket(Bucket="made-by-one")
        assert [b["Name"] for b in second.list_buckets()["Buckets"]] == ["made-by-one"]
        assert type(first).put_object.__name__ == "put_object"


def test_s3_routes_reloaded_only_when_custom_endpoints_change(monkeypatch):
    from moto.s3.models import S3Backend

    assert getattr(S3Backend._url_module.fget, "original", None) is not None, "the speedup is off"
    custom = "https://storage.example.internal"
    with moto_in_process():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="kept")
        first = S3Backend._url_module.fget(None)
        s3.put_object(Bucket="kept", Key="k", Body=b"v")
        assert S3Backend._url_module.fget(None) is first  # not reloaded between requests
        monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", custom)
        assert custom in S3Backend._url_module.fget(None).url_bases  # a changed variable is read again
        monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS")
        assert custom not in S3Backend._url_module.fget(None).url_bases
        assert s3.get_object(Bucket="kept", Key="k")["Body"].read() == b"v"
