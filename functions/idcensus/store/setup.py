"""Checks that the table and bucket exist, and creates them for local use when asked."""

from __future__ import annotations

from botocore.exceptions import ClientError

from idcensus.errors import ConfigError, error_code
from idcensus.store.state import table_definition


def ensure_table(ddb, table: str, create: bool) -> None:
    try:
        ddb.describe_table(TableName=table)
        return
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise ConfigError(f"cannot read DynamoDB table {table!r}: {exc}") from exc
    if not create:
        raise ConfigError(f"DynamoDB table {table!r} does not exist: deploy the stack, or pass --create-storage")
    ddb.create_table(**table_definition(table))
    ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def ensure_bucket(s3, bucket: str, region: str, create: bool) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if error_code(exc) not in {"404", "NoSuchBucket"}:
            raise ConfigError(f"cannot read S3 bucket {bucket!r} ({error_code(exc)}): check its policy") from exc
    if not create:
        raise ConfigError(f"S3 bucket {bucket!r} does not exist: deploy the stack, or pass --create-storage")
    params = {"Bucket": bucket}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**params)
