import os
import subprocess
import sys

import boto3
import pytest

from idcensus_emulator.cli import STATE_VARIABLE
from idcensus_emulator.gaps import Recorded
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE, seed_organization
from idcensus_emulator.server import moto_server


@pytest.fixture(scope="session")
def org(tmp_path_factory):
    """A moto server on loopback with a seeded organization of four accounts. What the emulator
    answers beyond moto is saved where child `idcensus` processes read it (emulator_cli)."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    recorded = Recorded()
    os.environ[STATE_VARIABLE] = str(recorded.save(tmp_path_factory.mktemp("emulator") / "recorded.json"))
    with moto_server():
        seeded = seed_organization()
        seeded.gaps = recorded.hooks()
        yield seeded


def emulator_cli(*args, env=None, timeout=300):
    """`idcensus ARGS` in a child process, configured only by the standard AWS variables; the
    emulator's recorded answers (IDCENSUS_EMULATOR_STATE) stand in for the calls moto lacks."""
    return subprocess.run([sys.executable, "-m", "idcensus_emulator.cli", *args], capture_output=True, text=True,
                          env=env if env is not None else dict(os.environ), timeout=timeout)


class Cli:
    def __init__(self, table: str, bucket: str):
        self.table, self.bucket = table, bucket

    def args(self, *extra):
        return ["collect", "--accounts", "all", "--role-name", READ_ROLE, "--external-id", EXTERNAL_ID,
                "--table", self.table, "--bucket", self.bucket, "--create-storage", "--json", *extra]

    def run(self, *extra, args=None):
        """`idcensus collect` in a child process, configured only by the standard AWS variables."""
        return emulator_cli(*(args or self.args(*extra)))


@pytest.fixture
def cli(org, request):
    name = request.node.name.replace("_", "-")[:40].lower()
    return Cli(f"t-{name}", f"b-{name}")


@pytest.fixture
def s3(org):
    return boto3.client("s3")
