"""What moto cannot show, from recorded real-shape responses through botocore's Stubber:
AWS-managed KMS keys (policy not read), EKS clusters by authentication mode, entry pagination."""

from __future__ import annotations

import json
from datetime import datetime

import boto3
from botocore.stub import Stubber

from idcensus.collect.contract import AccountInfo, CollectOptions, Context, collect
from idcensus.collect.resources import eks, kms

INFO = AccountInfo("111111111111", organization_id="o-abc123")
OPTIONS = CollectOptions(regions=("us-east-1",), org_accounts=("111111111111",))


class OneClient:
    """Clients stand-in handing out the one stubbed client (the Stubber checks every call)."""

    def __init__(self, client):
        self.client = client

    def get(self, service, region=None):
        assert service == self.client.meta.service_model.service_name
        return self.client


def dates(value):
    """Recorded timestamps are strings; the Stubber validates against the model's datetime."""
    if isinstance(value, dict):
        return {k: datetime.fromisoformat(v.replace("Z", "+00:00")) if k.endswith("At") else dates(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [dates(v) for v in value]
    return value


def test_aws_managed_keys_are_listed_without_reading_their_policy(data_dir):
    recorded = json.loads((data_dir / "resources_kms.json").read_text())
    client = boto3.client("kms", region_name="us-east-1")
    customer, managed = (k["KeyId"] for k in recorded["list_keys"]["Keys"])
    with Stubber(client) as stub:
        stub.add_response("list_keys", recorded["list_keys"], {})
        stub.add_response("list_aliases", recorded["list_aliases"], {})
        stub.add_response("get_key_policy", recorded["get_key_policy"], {"KeyId": customer, "PolicyName": "default"})
        items = collect(kms, Context(None, INFO, OPTIONS, clients=OneClient(client)), "us-east-1")
        stub.assert_no_pending_responses()
    keys = {d.key_id: d for _, _, d in items}
    assert keys[managed].aws_managed and keys[managed].policy is None and keys[managed].name == "aws/s3"
    assert not keys[customer].aws_managed and keys[customer].name == "exports"
    assert keys[customer].external_principals == ["arn:aws:iam::999999999999:role/partner-decrypt"]


def test_eks_entries_paginated_and_config_map_clusters_not_asked(data_dir):
    recorded = json.loads((data_dir / "resources_eks.json").read_text())
    client = boto3.client("eks", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("list_clusters", recorded["list_clusters"], {})
        # Clusters are read one at a time, in listing order; entries in parallel (one response queue).
        stub.add_response("describe_cluster", recorded["describe_cluster"]["legacy"], {"name": "legacy"})
        stub.add_response("describe_cluster", recorded["describe_cluster"]["modern"], {"name": "modern"})
        first, second = recorded["list_access_entries"]
        stub.add_response("list_access_entries", first, {"clusterName": "modern"})
        stub.add_response("list_access_entries", second, {"clusterName": "modern", "nextToken": "page-2"})
        ctx = Context(None, INFO, OPTIONS, clients=OneClient(client), workers=1)  # serial: the Stubber is a queue
        for principal, entry in recorded["describe_access_entry"].items():
            stub.add_response("describe_access_entry", dates(entry), {"clusterName": "modern", "principalArn": principal})
            stub.add_response("list_associated_access_policies",
                              dates(recorded["list_associated_access_policies"][principal]),
                              {"clusterName": "modern", "principalArn": principal})
        items = collect(eks, ctx, "us-east-1")
        stub.assert_no_pending_responses()
    clusters = {d.name: d for _, _, d in items}
    assert clusters["legacy"].authentication_mode == "CONFIG_MAP" and clusters["legacy"].access_entries == []
    modern = clusters["modern"]
    assert modern.roles == ["arn:aws:iam::111111111111:role/eks-modern"]
    partner = modern.access_entries[1]
    assert partner.kubernetes_groups == ["ci", "deployers"]
    assert partner.access_policies[0].scope_type == "namespace"
    assert partner.access_policies[0].namespaces == ["apps", "payments"]
    assert modern.external_principals == ["arn:aws:iam::999999999999:role/partner-ci"]
