"""Pure transforms of the coverage capabilities, on answers in the shapes AWS sends."""

from __future__ import annotations

from datetime import UTC

from idcensus.collect.contract import Org, Scope
from idcensus.collect.resources import apigateway, eventbridge, sqs

SCOPE = Scope(org=Org(account_id="111122223333", accounts=frozenset({"111122223333"}), organization_id="o-a1b2c3"),
              region="eu-west-1")


def test_rest_api_policy_as_aws_escapes_it():
    # GetRestApis returns the policy with its quotes backslash-escaped.
    raw = r'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",' \
          r'\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:111122223333:abc/*\"}]}'
    ((_, arn, api),) = apigateway.transform([{"id": "abc", "name": "hooks", "policy": raw}], SCOPE)
    assert arn == "arn:aws:apigateway:eu-west-1::/restapis/abc"
    assert api.policy["Statement"][0]["Principal"] == "*" and api.external_principals == ["*"]


def test_rest_api_policy_pinned_to_the_organization_is_inside():
    raw = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke",'
           '"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3"}}}]}')
    ((_, _, api),) = apigateway.transform([{"id": "abc", "name": "hooks", "policy": raw}], SCOPE)
    assert api.external_principals == []


def test_queue_whose_attributes_were_refused_keeps_its_arn():
    from idcensus.collect.contract import Refused

    url = "https://sqs.eu-west-1.amazonaws.com/111122223333/intake"
    ((_, arn, q),) = sqs.transform([(url, Refused(Exception("denied")))], SCOPE)
    assert arn == "arn:aws:sqs:eu-west-1:111122223333:intake" and q.policy_refused and q.policy is None


def test_event_bus_open_to_the_organization_and_one_outside_account():
    from datetime import datetime

    policy = ('{"Version":"2012-10-17","Statement":['
              '{"Sid":"org","Effect":"Allow","Principal":"*","Action":"events:PutEvents",'
              '"Resource":"arn:aws-cn:events:cn-north-1:111122223333:event-bus/orders",'
              '"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3"}}},'
              '{"Sid":"partner","Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::444455556666:root"},'
              '"Action":"events:PutEvents","Resource":"arn:aws-cn:events:cn-north-1:111122223333:event-bus/orders"}]}')
    listed = {"Name": "orders", "Arn": "arn:aws-cn:events:cn-north-1:111122223333:event-bus/orders",
              "Description": "orders from partners", "Policy": policy,
              "CreationTime": datetime(2026, 3, 1, tzinfo=UTC)}  # botocore parses the epoch seconds
    default = {"Name": "default", "Arn": "arn:aws-cn:events:cn-north-1:111122223333:event-bus/default"}
    scope = Scope(org=SCOPE.org, region="cn-north-1")
    (_, arn, bus), (_, _, plain) = eventbridge.transform([listed, default], scope)
    assert arn == listed["Arn"] and bus.region == "cn-north-1" and bus.description == "orders from partners"
    assert bus.external_principals == ["arn:aws-cn:iam::444455556666:root"]
    assert bus.created_at == datetime(2026, 3, 1, tzinfo=UTC) and bus.modified_at is None
    assert plain.policy is None and plain.external_principals == []
