"""How the CLI words an error that stopped a command (cli/failures.py) and where it finds the region
(cli/connect.py), without AWS."""

from argparse import Namespace

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError, ProfileNotFound

from idcensus.cli.connect import connect
from idcensus.cli.failures import EXIT_USAGE, one_line, run_reported
from idcensus.errors import CollectionFailed, ConfigError


def wrapped(exc: Exception, outer: Exception) -> Exception:
    try:
        raise outer from exc
    except Exception as caught:  # noqa: BLE001 - the chain is what is tested
        return caught


@pytest.mark.parametrize(("exc", "words"), [
    (ProfileNotFound(profile="nope"), "AWS profile 'nope' not found: check AWS_PROFILE / --profile and"),
    (NoRegionError(), "no AWS region: pass --region or set AWS_REGION"),
    (NoCredentialsError(), "no AWS credentials found: set AWS_PROFILE (or pass --profile)"),
    (NoCredentialsError(profile="dev"), "no AWS credentials found for profile 'dev': run 'aws configure --profile dev'"),
    (ValueError("Invalid endpoint: not a url"), "AWS endpoint URL 'not a url' is not a URL"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:9/", error=OSError("[Errno 111] Connection refused")),
     "cannot reach AWS at http://127.0.0.1:9/ (Connection refused): check"),
])
def test_a_broken_aws_setup_reads_the_same_from_every_command_and_through_any_wrapping(exc, words):
    lines = {one_line(exc, "collect"), one_line(exc, "check"),
             one_line(wrapped(exc, CollectionFailed("organizations: no answer")), "events replay"),
             one_line(wrapped(exc, ConfigError("backfill stopped before any log files were done")), "backfill")}
    (line,) = lines
    assert line.startswith(words) and "\n" not in line


def test_an_aws_error_names_the_command_and_what_to_do(capsys):
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded.\nSlow down"}}, "PutItem")

    def fails(args, hooks):
        raise throttled

    assert run_reported(fails, Namespace(), [], "events replay") == EXIT_USAGE
    (line,) = capsys.readouterr().err.splitlines()
    assert line == ("idcensus: events replay: PutItem: ThrottlingException: Rate exceeded. Slow down: AWS kept "
                    "throttling after every retry: rerun later, or raise IDCENSUS_MAX_ATTEMPTS")


def test_a_bug_keeps_its_traceback():
    def bug(args, hooks):
        raise KeyError("not an AWS or usage error")

    with pytest.raises(KeyError):
        run_reported(bug, Namespace(), [], "collect")
    assert one_line(ValueError("some other value error"), "collect") is None


@pytest.mark.parametrize(("env", "flag", "region"), [
    ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}, None, "eu-west-1"),  # as the AWS CLI and SDKs
    ({"AWS_DEFAULT_REGION": "us-west-2"}, None, "us-west-2"),
    ({"AWS_REGION": "eu-west-1"}, "ap-south-1", "ap-south-1"),
])
def test_the_region_is_the_flag_then_aws_region_then_botocores_own(monkeypatch, env, flag, region):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert connect(Namespace(region=flag, profile=None)).region == region
