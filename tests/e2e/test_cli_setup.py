"""A broken AWS setup, as an admin meets it: one line on stderr, no traceback, exit 2, the same words
from collect, check, events replay and backfill, and advice that names what to change. Each command
runs in a child process through the CLI, configured only by the standard AWS variables and files."""

import json
import os
import socket

import boto3
import pytest
from tests.e2e.conftest import emulator_cli

from idcensus_emulator.demo_activity import cloudtrail, eventbridge, user_identity
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE

pytestmark = pytest.mark.e2e


@pytest.fixture
def aws_home(tmp_path):
    """An environment with no AWS setting at all: empty config and credentials files, no metadata service."""
    config = tmp_path / "config"
    config.write_text("[default]\n\n[profile dev]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
                  "AWS_EC2_METADATA_DISABLED": "true", "IDCENSUS_MAX_ATTEMPTS": "2"}


KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def commands(tmp_path) -> dict[str, list[str]]:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([eventbridge(cloudtrail("111111111111", user_identity("111111111111", "ci"),
                                                         "ListRoles", read_only=True))]))
    storage = ["--table", "t-setup", "--bucket", "b-setup"]
    return {"collect": ["collect", "--accounts", "all", "--role-name", READ_ROLE, *storage],
            "check": ["check", "--role-name", READ_ROLE],
            "events replay": ["events", "replay", str(events), *storage],
            "backfill": ["backfill", "--trail-bucket", "trail", *storage]}


def same_line_from_every_command(tmp_path, env) -> str:
    lines = {}
    for name, args in commands(tmp_path).items():
        done = emulator_cli(*args, env=env, timeout=120)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, name
        (lines[name],) = done.stderr.strip().splitlines()
    assert len(set(lines.values())) == 1, lines
    line = lines["collect"]
    assert line.startswith("idcensus: ") and not line.startswith("idcensus: collect")
    return line


def test_unknown_profile(tmp_path, aws_home):
    line = same_line_from_every_command(tmp_path, aws_home | KEYS | {"AWS_PROFILE": "prod"})
    assert line == (f"idcensus: AWS profile 'prod' not found: check AWS_PROFILE / --profile and "
                    f"{aws_home['AWS_CONFIG_FILE']} (profiles there: default, dev)")
    flag = emulator_cli("check", "--role-name", READ_ROLE, "--profile", "prod", env=aws_home | KEYS)
    assert (flag.returncode, flag.stderr.strip()) == (2, line)


def test_malformed_endpoint_url(tmp_path, aws_home):
    line = same_line_from_every_command(tmp_path, aws_home | KEYS | {"AWS_REGION": "us-east-1",
                                                                     "AWS_ENDPOINT_URL": "not a url"})
    assert line == ("idcensus: AWS endpoint URL 'not a url' is not a URL: set AWS_ENDPOINT_URL to one such as "
                    "http://localhost:4566, or unset it to use AWS")


def test_missing_credentials(tmp_path, aws_home):
    line = same_line_from_every_command(tmp_path, aws_home | {"AWS_REGION": "us-east-1"})
    assert line == ("idcensus: no AWS credentials found: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID "
                    "and AWS_SECRET_ACCESS_KEY, or run 'aws configure' / 'aws sso login'")
    named = emulator_cli("check", "--role-name", READ_ROLE, "--profile", "dev", env=aws_home)
    assert named.returncode == 2 and named.stderr.strip() == (
        "idcensus: no AWS credentials found for profile 'dev': run 'aws configure --profile dev' "
        "(or 'aws sso login --profile dev'), or name another with --profile / AWS_PROFILE")


def test_no_region(tmp_path, aws_home):
    line = same_line_from_every_command(tmp_path, aws_home | KEYS)
    assert line == f"idcensus: no AWS region: pass --region or set AWS_REGION (or region in {aws_home['AWS_CONFIG_FILE']})"


def test_unreachable_endpoint(tmp_path, aws_home):
    with socket.socket() as s:  # a loopback port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = same_line_from_every_command(tmp_path, aws_home | KEYS | {
        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    assert line == (f"idcensus: cannot reach AWS at http://127.0.0.1:{port}/ (Connection refused): check "
                    "AWS_ENDPOINT_URL, the network and the region")


def test_aws_region_alone_works_and_wins_over_aws_default_region(org, cli, tmp_path):
    """As for the AWS CLI and SDKs: AWS_REGION is enough, and it overrides AWS_DEFAULT_REGION."""
    events = tmp_path / "events.json"
    prod = org.accounts["prod"]
    events.write_text(json.dumps([eventbridge(cloudtrail(prod, user_identity(prod, "ci"), "ListRoles",
                                                         read_only=True))]))
    args = ["events", "replay", str(events), "--table", cli.table, "--bucket", cli.bucket, "--role-name", READ_ROLE,
            "--external-id", EXTERNAL_ID, "--create-storage", "--json"]
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_DEFAULT_REGION", "AWS_REGION")}
    alone = emulator_cli(*args, env=env | {"AWS_REGION": "us-east-1"})
    assert alone.returncode == 0, alone.stderr
    both = emulator_cli(*[a.replace(cli.bucket, f"{cli.bucket}-eu") for a in args],
                        env=env | {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"})
    assert both.returncode == 0, both.stderr
    located = boto3.client("s3").get_bucket_location(Bucket=f"{cli.bucket}-eu")["LocationConstraint"]
    assert located == "eu-west-1"
