"""Benchmark: the Tier 3 resource collectors over 3 regions on a moto server.

    .venv/bin/python benchmarks/bench_resources.py [--regions us-east-1,eu-west-1,ap-southeast-2]

Seeds, per region, 50 instances, 50 functions, 20 keys, 20 secrets, 10 RDS instances, 3 EKS
clusters (2 access entries each, answered by the recorded-response hook), 20 tables, 5 agents,
5 knowledge bases and 3 custom models, plus 30 buckets; half of what can carry a resource policy
carries one. Prints API calls by operation, total calls and wall time of one collection.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).parent))
from bench_collect import reset, start_server  # noqa: E402 - the shared moto-server helpers

from idcensus.aws import ClientFactory  # noqa: E402
from idcensus.collect.account import collect_items  # noqa: E402
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes  # noqa: E402
from idcensus_emulator.gaps import EksAccessEntries
from idcensus_emulator.seed_resources import DEMO_AMI, OUTSIDER, access_entries  # noqa: E402

ACCOUNT = "123456789012"
COUNTS = {"instances": 50, "functions": 50, "buckets": 30, "keys": 20, "secrets": 20, "rds": 10, "eks": 3,
          "tables": 20, "agents": 5, "knowledge_bases": 5, "custom_models": 3}


def grant(resource: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action,
                       "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"}, "Resource": resource}]})


ENTRIES: dict[str, list] = {}  # EKS access entries seeded, answered by EksAccessEntries


def seed_account(regions: list[str]) -> None:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="bench")
    iam.add_role_to_instance_profile(InstanceProfileName="bench", RoleName="bench")
    s3 = boto3.client("s3")
    for n in range(COUNTS["buckets"]):
        s3.create_bucket(Bucket=f"bench-{n:03d}")
        if n % 2:
            s3.put_bucket_policy(Bucket=f"bench-{n:03d}", Policy=grant(f"arn:aws:s3:::bench-{n:03d}/*", "s3:GetObject"))
    with ThreadPoolExecutor(max_workers=len(regions)) as pool:
        list(pool.map(lambda r: seed_region(r, role), regions))


def seed_region(region: str, role: str) -> None:
    c = {s: boto3.client(s, region_name=region) for s in
         ("ec2", "lambda", "kms", "secretsmanager", "rds", "eks", "dynamodb", "bedrock", "bedrock-agent")}
    c["ec2"].run_instances(ImageId=DEMO_AMI, MinCount=COUNTS["instances"], MaxCount=COUNTS["instances"],
                           IamInstanceProfile={"Name": "bench"})
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return e\n")
    for n in range(COUNTS["functions"]):
        c["lambda"].create_function(FunctionName=f"fn{n}", Runtime="python3.12", Role=role, Handler="app.handler",
                                    Code={"ZipFile": code.getvalue()})
        if n % 2:
            c["lambda"].add_permission(FunctionName=f"fn{n}", StatementId="x", Action="lambda:InvokeFunction",
                                       Principal=OUTSIDER)
    for _ in range(COUNTS["keys"]):
        c["kms"].create_key()
    for n in range(COUNTS["secrets"]):
        arn = c["secretsmanager"].create_secret(Name=f"s{n}", SecretString="x")["ARN"]
        if n % 2:
            c["secretsmanager"].put_resource_policy(SecretId=arn, ResourcePolicy=grant("*", "secretsmanager:*"))
    for n in range(COUNTS["rds"]):
        c["rds"].create_db_instance(DBInstanceIdentifier=f"db{n}", DBInstanceClass="db.t3.micro", Engine="postgres",
                                    MasterUsername="a", MasterUserPassword="password1", AllocatedStorage=20,
                                    EnableIAMDatabaseAuthentication=bool(n % 2))
    for n in range(COUNTS["eks"]):
        name = f"eks{n}-{region}"
        c["eks"].create_cluster(name=name, roleArn=role, resourcesVpcConfig={})
        ENTRIES[name] = access_entries(name, ACCOUNT)
    for n in range(COUNTS["tables"]):
        arn = c["dynamodb"].create_table(
            TableName=f"t{n}", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])["TableDescription"]["TableArn"]
        if n % 2:
            c["dynamodb"].put_resource_policy(ResourceArn=arn, Policy=grant(arn, "dynamodb:GetItem"))
    seed_bedrock(c, region, role)


def seed_bedrock(c, region: str, role: str) -> None:
    for n in range(COUNTS["agents"]):
        c["bedrock-agent"].create_agent(agentName=f"a{n}", agentResourceRoleArn=role, foundationModel="m")
    for n in range(COUNTS["knowledge_bases"]):
        c["bedrock-agent"].create_knowledge_base(
            name=f"kb{n}", roleArn=role,
            knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-embed-text-v2:0"}},
            storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
                "collectionArn": f"arn:aws:aoss:{region}:{ACCOUNT}:collection/c", "vectorIndexName": "i",
                "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}})
    for n in range(COUNTS["custom_models"]):
        c["bedrock"].create_model_customization_job(
            jobName=f"j{n}", customModelName=f"m{n}-{region}", roleArn=role, baseModelIdentifier="amazon.titan",
            hyperParameters={}, trainingDataConfig={"s3Uri": "s3://bench-000/t"},
            outputDataConfig={"s3Uri": "s3://bench-000/o"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="us-east-1,eu-west-1,ap-southeast-2")
    args = parser.parse_args()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    proc = start_server()
    try:
        reset(boto3.client("sts").meta.endpoint_url)
        started = time.perf_counter()
        seed_account(regions)
        print(f"seeded in {time.perf_counter() - started:.1f} s: per region {COUNTS} (buckets once)")
        factory = ClientFactory(hooks=EksAccessEntries(ENTRIES).hooks(), account_id=ACCOUNT)
        out = Outcomes()
        started = time.perf_counter()
        items = collect_items(factory, AccountInfo(ACCOUNT), out, CollectOptions(regions=tuple(regions)),
                              tiers=("resources",))
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait()
    by_type: dict[str, int] = {}
    for type_, _, _ in items:
        by_type[type_] = by_type.get(type_, 0) + 1
    print(f"\nresource tier over {len(regions)} regions: {len(items)} records, wall {wall:.2f} s")
    print("outcomes:", ", ".join(f"{k}={v}" for k, v in sorted(out.capabilities.items())))
    print("records:", ", ".join(f"{k}={v}" for k, v in sorted(by_type.items())))
    print("\nAPI calls by operation:")
    for op, n in sorted(factory.counter.calls.items()):
        print(f"  {op:45s} {n:5d}")
    print(f"  {'total':45s} {factory.counter.total():5d}")


if __name__ == "__main__":
    main()
