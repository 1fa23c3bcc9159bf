"""Pure transforms of the coverage capabilities, on answers in the shapes AWS sends."""

from __future__ import annotations

from idcensus.collect.contract import Org, Scope
from idcensus.collect.resources import apigateway, sqs

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
