import atexit
import functools
import os
import sys
from pathlib import Path

import boto3
import pytest
from tests.e2e.forkserver import ForkServer

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


# `python -m MODULE ARGS` with tests/speedups.py in the child: a child CLI (PYTHON_M) gets the botocore
# part (it assumes a role per account, a session each); a child that runs its own emulator (the demo,
# EMULATED_PYTHON_M) gets all of it, as the pytest processes do.
_WITH_SPEEDUPS = """
import importlib.util, runpy, sys
spec = importlib.util.spec_from_file_location("speedups", {path!r})
speedups = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speedups)
speedups.{setup}()
"""
_RUN_MODULE = 'runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)\n'
SPEEDUPS = str(Path(__file__).parents[1] / "speedups.py")
CLI_SPEEDUPS = _WITH_SPEEDUPS.format(path=SPEEDUPS, setup="share_botocore_models")
PYTHON_M = CLI_SPEEDUPS + _RUN_MODULE
EMULATED_PYTHON_M = _WITH_SPEEDUPS.format(path=SPEEDUPS, setup="install") + _RUN_MODULE


@functools.cache
def _forks() -> ForkServer:
    server = ForkServer(CLI_SPEEDUPS, cold=[sys.executable, "-c", PYTHON_M, "idcensus_emulator.cli"])
    atexit.register(server.close)
    return server


def emulator_cli(*args, env=None, timeout=300):
    """`idcensus ARGS` in a child process (forked warm: tests/e2e/forkserver.py), configured only by
    the standard AWS variables; the emulator's recorded answers (IDCENSUS_EMULATOR_STATE) stand in
    for the calls moto lacks."""
    return _forks().run(list(args), env if env is not None else dict(os.environ), timeout)


class Cli:
    def __init__(self, table: str, bucket: str):
        self.table, self.bucket = table, bucket

    def args(self, *extra):
        return ["collect", "--accounts", "all", "--role-name", READ_ROLE, "--external-id", EXTERNAL_ID,
                "--table", self.table, "--bucket", self.bucket, "--create-storage", "--json", *extra]

    def run(self, *extra, args=None, timeout=300):
        """`idcensus collect` in a child process, configured only by the standard AWS variables."""
        return emulator_cli(*(args or self.args(*extra)), timeout=timeout)


@pytest.fixture
def cli(org, request):
    name = request.node.name.replace("_", "-")[:40].lower()
    return Cli(f"t-{name}", f"b-{name}")


@pytest.fixture
def s3(org):
    return boto3.client("s3")


LONGEST_FIRST = ("test_demo.py", "test_large_account.py")  # about a minute of CPU or more each


def pytest_collection_modifyitems(items):
    """The longest tests first (the whole demo, the 20,000-member account), one per worker: they start
    at once beside the rest instead of ending the run (make test: --dist worksteal)."""
    items.sort(key=lambda item: LONGEST_FIRST.index(item.path.name) if item.path.name in LONGEST_FIRST
               else len(LONGEST_FIRST))
