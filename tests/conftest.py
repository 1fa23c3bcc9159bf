import os
import socket
from pathlib import Path

import pytest

from tests import speedups

# Never reach real AWS from a test: fake credentials, fixed region, no profile.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "IDCENSUS_MAX_ATTEMPTS": "10",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

DATA = Path(__file__).parent / "data"

# ... and never anything else off this machine: a test that would (a client nobody stubbed, a real
# endpoint) fails at once, naming the host, instead of retrying for seconds against the network.
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_getaddrinfo = socket.getaddrinfo


def loopback_only(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and name not in LOOPBACK and not name.startswith("127."):
        raise OSError(f"tests reach loopback only, not {name!r}: stub the call or use the moto server")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = loopback_only

speedups.install()


def pytest_configure(config):
    config.addinivalue_line("markers", "all_aws_managed_policies: moto's IAM holds every AWS-managed policy, "
                            "not only those the project names (tests/speedups.py)")


@pytest.fixture(autouse=True)
def _aws_managed_policies(request):
    """Only the AWS-managed policies the project names, unless the test is marked (tests/speedups.py)."""
    if request.node.get_closest_marker("all_aws_managed_policies"):
        with speedups.all_aws_managed_policies():
            yield
    else:
        yield


@pytest.fixture
def data_dir() -> Path:
    return DATA
