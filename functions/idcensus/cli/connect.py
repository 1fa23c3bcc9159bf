"""The one place the CLI makes its AWS session and ClientFactory: --profile and --region, else the
standard AWS configuration (AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL,
~/.aws/config and credentials), checked up front so that every command meets a broken setup the
same way. The errors raised here are botocore's own; cli/failures.py words them."""

from __future__ import annotations

import os

import boto3
from botocore.exceptions import NoCredentialsError, NoRegionError

from idcensus.aws import ClientFactory, Hook, botocore_config


def connect(args, hooks: list[Hook] | None = None, *, max_attempts: int | None = None) -> ClientFactory:
    """The factory for the calling identity. `hooks` are botocore hooks registered on every client
    (the emulator's answers for calls moto lacks, a test's faults); the installed command has none."""
    session = boto3.Session(profile_name=getattr(args, "profile", None) or None,
                            region_name=region_flag(args))  # ProfileNotFound for a named profile
    if not session.region_name:  # reading the configuration raises ProfileNotFound for AWS_PROFILE's
        raise NoRegionError()
    session.client("sts", config=botocore_config())  # an unusable endpoint URL fails here: ValueError
    if session.get_credentials() is None:
        raise NoCredentialsError(profile=session.profile_name)
    factory = ClientFactory.from_environment(session, hooks)
    if max_attempts:
        factory.config = botocore_config(max_attempts=max_attempts)
    return factory


def region_flag(args) -> str | None:
    """--region, else AWS_REGION: as for the AWS CLI and SDKs, it overrides AWS_DEFAULT_REGION and the
    profile's region, which botocore reads itself (it does not read AWS_REGION)."""
    return getattr(args, "region", None) or os.environ.get("AWS_REGION") or None
