"""The one place an error that stopped a command becomes one line on stderr and an exit code.

A broken AWS setup (profile, region, endpoint, credentials, no answer) reads the same from every
command; other AWS errors say what happened and what to do; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator

from botocore import exceptions as boto
from botocore.exceptions import BotoCoreError, ClientError

from idcensus.errors import GONE_CODES, CapabilityDenied, ConfigError, IdcensusError, error_code, translate

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
# What stops a run midway: AWS answers, no answer at all, or an error idcensus raised from one.
RUN_ERRORS = (ClientError, BotoCoreError, IdcensusError)
# botocore retried these already: what is left is a sustained rate limit.
THROTTLED = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
                       "RequestLimitExceeded", "SlowDown", "TooManyRequestsException",
                       "ProvisionedThroughputExceededException", "RequestThrottledException"})
MISSING = GONE_CODES | {"NoSuchBucket", "NoSuchKey", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"}
INVALID = frozenset({"InvalidBucketName", "ValidationException", "InvalidParameterValue", "InvalidArgument",
                     "InvalidAddress", "InvalidParameterValueException"})
_INVALID_ENDPOINT = "Invalid endpoint: "  # botocore's ValueError for an endpoint URL it cannot use


def run_reported(func, args, hooks, command: str) -> int:
    """`func(args, hooks)`'s exit code; an error it stops on is printed as one line, exit 2."""
    try:
        return func(args, hooks)
    except Exception as exc:
        line = one_line(exc, command)
        if line is None:
            raise
        print(f"idcensus: {line}", file=sys.stderr)
        return EXIT_USAGE


def one_line(exc: BaseException, command: str) -> str | None:
    """The message for an error that stopped `command`, or None when it is a bug."""
    if setup_problem(exc) is not None or isinstance(exc, ConfigError):
        return explain(exc)  # the same words from every command
    if isinstance(exc, RUN_ERRORS):
        return f"{command}: {explain(exc)}"
    return None


def explain(exc: BaseException) -> str:
    """'<what happened>: <what to do>' for an error that stopped a command, on one line."""
    text = setup_problem(exc)
    if text is None:
        text = str(exc) if isinstance(exc, ConfigError) else aws_problem(exc)
    return " ".join(text.split())  # one line, whatever AWS put in its message


def stopped(exc: Exception, command: str, done: int, total: int | None, unit: str, rerun: str) -> int:
    """A run an error stopped midway: a config error (exit 2) when nothing was done, else partial (exit 1)."""
    if not isinstance(exc, RUN_ERRORS):
        raise exc
    if not done:
        raise ConfigError(f"{command} stopped before any {unit}: {explain(exc)}") from exc
    of = f" of {total}" if total is not None else ""
    print(f"idcensus: {command} stopped after {done}{of} {unit}: {explain(exc)}; then rerun the same "
          f"command: {rerun}", file=sys.stderr)
    return EXIT_PARTIAL


def aws_problem(exc: BaseException) -> str:
    code = error_code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(exc, ClientError) else None
    if isinstance(exc, ClientError):
        err: object = translate(exc, exc.operation_name or "AWS")
    else:
        err = exc if isinstance(exc, IdcensusError) else f"{type(exc).__name__}: {exc}"
    if isinstance(err, CapabilityDenied) or status == 403:
        fix = "grant your AWS credentials that action on the table, buckets and queues named"
    elif code in MISSING or status == 404:  # S3 answers HEAD requests with a bare status
        fix = "check the table, bucket and queue names (deploy the stack, or --create-storage the table and bucket)"
    elif code in INVALID:
        fix = "check the names and values given on the command line"
    elif code in THROTTLED:
        fix = "AWS kept throttling after every retry: rerun later, or raise IDCENSUS_MAX_ATTEMPTS"
    elif isinstance(exc, BotoCoreError):
        fix = "check AWS_ENDPOINT_URL, network and region"
    else:
        fix = "rerun with -v for details"
    return f"{str(err).rstrip('.')}: {fix}"


def setup_problem(exc: BaseException) -> str | None:
    """The AWS configuration an error (or its cause) shows to be unusable, and how to fix it."""
    for e in _causes(exc):
        if isinstance(e, boto.ProfileNotFound):
            return (f"AWS profile {e.kwargs.get('profile')!r} not found: check AWS_PROFILE / --profile and "
                    f"{_config_file()} ({_profiles()})")
        if isinstance(e, boto.NoRegionError):
            return f"no AWS region: pass --region or set AWS_REGION (or region in {_config_file()})"
        if isinstance(e, boto.InvalidRegionError):
            return (f"{e.kwargs.get('region_name')!r} is not an AWS region: check --region, AWS_REGION, "
                    f"AWS_DEFAULT_REGION and the region in {_config_file()}")
        if isinstance(e, ValueError) and str(e).startswith(_INVALID_ENDPOINT):
            url = str(e).removeprefix(_INVALID_ENDPOINT)
            return (f"AWS endpoint URL {url!r} is not a URL: set {_endpoint_setting(url)} to one such as "
                    "http://localhost:4566, or unset it to use AWS")
        if isinstance(e, boto.NoCredentialsError):
            return no_credentials(e.kwargs.get("profile"))
        if isinstance(e, boto.PartialCredentialsError):
            return f"incomplete AWS credentials ({e}): set both the key ID and the secret, or use a profile"
        if isinstance(e, boto.SSOError | boto.TokenRetrievalError):
            return (f"AWS SSO login missing or expired ({str(e).rstrip('.')}): run 'aws sso login' "
                    "(with --profile NAME for the profile you use), then rerun")
        if isinstance(e, boto.ConnectionError | boto.ConnectionClosedError):
            return unreachable(e)
    return None


def no_credentials(profile: str | None) -> str:
    if profile and profile != "default":
        return (f"no AWS credentials found for profile {profile!r}: run 'aws configure --profile {profile}' "
                f"(or 'aws sso login --profile {profile}'), or name another with --profile / AWS_PROFILE")
    return ("no AWS credentials found: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run 'aws configure' / 'aws sso login'")


def unreachable(e: BotoCoreError) -> str:
    url = e.kwargs.get("endpoint_url") or e.kwargs.get("proxy_url") or "its endpoint"
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(e.kwargs.get("error", "")))
    reason = found.group(1).strip() if found else type(e).__name__
    where = "AWS_ENDPOINT_URL, the network" if _endpoint_variables() else "the network (proxy, firewall)"
    return f"cannot reach AWS at {url} ({reason}): check {where} and the region"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


def _config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def _profiles() -> str:
    try:
        import botocore.session

        names = sorted(botocore.session.Session().full_config.get("profiles", {}))
    except Exception:  # noqa: BLE001 - only a hint
        return "it cannot be read"
    return f"profiles there: {', '.join(names)}" if names else "it defines no profiles"


def _endpoint_variables() -> list[str]:
    return sorted(k for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL") and v)


def _endpoint_setting(url: str) -> str:
    named = [k for k in _endpoint_variables() if os.environ[k] == url]
    return " / ".join(named) if named else f"endpoint_url in {_config_file()}"
