import os
import subprocess
import sys

import boto3
import pytest

from idcensus.emulator import moto_server
from idcensus.seed import EXTERNAL_ID, READ_ROLE, seed_organization


@pytest.fixture(scope="session")
def org():
    """A moto server on loopback with a seeded organization of four accounts."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    with moto_server():
        yield seed_organization()


class Cli:
    def __init__(self, table: str, bucket: str):
        self.table, self.bucket = table, bucket

    def args(self, *extra):
        return ["collect", "--accounts", "all", "--role-name", READ_ROLE, "--external-id", EXTERNAL_ID,
                "--table", self.table, "--bucket", self.bucket, "--create-storage", "--json", *extra]

    def run(self, *extra, args=None):
        """`idcensus collect` in a child process, configured only by the standard AWS variables."""
        env = {**os.environ, "IDCENSUS_EMULATOR": "1"}
        return subprocess.run([sys.executable, "-m", "idcensus.cli", *(args or self.args(*extra))],
                              capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def cli(org, request):
    name = request.node.name.replace("_", "-")[:40].lower()
    return Cli(f"t-{name}", f"b-{name}")


@pytest.fixture
def s3(org):
    return boto3.client("s3")
