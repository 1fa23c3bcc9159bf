"""ARNs in the partition of the region they belong to: nothing assumes `aws` (aws-cn, aws-us-gov, ...).

A leaf: botocore's endpoint data is read only on first use, so pure code (stream/targets.py) may use it.
"""

from __future__ import annotations

import functools


@functools.cache
def partition(region: str | None) -> str:
    """The ARN partition of a region, from botocore's endpoint data; `aws` for none or one it does not know."""
    if not region:
        return "aws"
    import botocore.session
    from botocore.exceptions import UnknownRegionError

    try:
        return botocore.session.get_session().get_partition_for_region(region)
    except UnknownRegionError:  # a region newer than this botocore: the commercial partition
        return "aws"


def role_arn(part: str, account_id: str, role_name: str) -> str:
    return f"arn:{part}:iam::{account_id}:role/{role_name}"


def account_arn(account_id: str, part: str = "aws") -> str:
    """The id of an account's aws.account record."""
    return f"arn:{part}:organizations:::account/{account_id}"


def partition_of_arn(arn: str | None) -> str:
    """The partition an ARN names (its second field); `aws` when it is not an ARN."""
    parts = (arn or "").split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def identity_store_arn(kind: str, ident: str, part: str = "aws") -> str:
    """The id of an Identity Center user or group whose ARN AWS did not give (kind: user or group)."""
    return f"arn:{part}:identitystore:::{kind}/{ident}"
