"""The embedded AWS emulator: moto's server on loopback, and a scoped waiver for a moto signing gap.

Used by `idcensus demo`, the end-to-end tests and the benchmarks; never by the shipped code.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# moto keeps every account's state in this process: a large heap of long-lived objects (IAM alone
# builds ~1,100 AWS-managed policies per account) that each full garbage collection walks again. With
# Python's default threshold (a collection per 2,000 net allocations) that was 40% of the demo's CPU.
GC_THRESHOLD = (50_000, 20, 20)


@contextmanager
def moto_server(region: str = "us-east-1"):
    """Start moto's server on loopback and point the standard AWS variables at it."""
    from moto.server import ThreadedMotoServer

    gc_threshold = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _list_moto_modules_once()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield endpoint
    finally:
        server.stop()
        gc.set_threshold(*gc_threshold)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _list_moto_modules_once() -> None:
    """moto's server finds each request's backend by listing its own package folder and stat-ing
    all ~170 entries (backends.list_of_moto_modules), on every request: about a tenth of the
    demo's CPU. The folder does not change while the server runs; list it once."""
    import moto.backends

    listing = moto.backends.list_of_moto_modules
    if getattr(listing, "listed_once", False):
        return
    modules = tuple(listing())
    assert modules, "moto.backends.list_of_moto_modules listed nothing"

    def listed() -> tuple[str, ...]:
        return modules

    listed.listed_once = True
    moto.backends.list_of_moto_modules = listed


_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE")


@contextmanager
def lenient_signatures():
    """While enforcing permissions, accept the signature of GET requests moto itself gets wrong.

    moto 5.2 rebuilds a GET request differently from what botocore signed (it passes the parsed
    query parameters as the body) before it recomputes the signature, so every REST GET call
    (Lambda ListFunctions, EKS ListClusters, Bedrock ListCustomModels...) fails its own check
    with SignatureDoesNotMatch; real AWS does not. Only those GET checks are waived, only
    inside this block (moto runs in this process, in-process or as the threaded server): access keys
    and policy evaluation are still enforced, and other requests' signatures still checked.
    Remove once moto signs GET requests right (tests/aws/test_emulator_gaps.py will say so).
    """
    from moto.iam.access_control import IAMRequest

    strict = IAMRequest.__dict__["_raise_signature_does_not_match"]

    def lenient(self) -> None:
        if self._method != "GET":
            strict(self)

    IAMRequest._raise_signature_does_not_match = lenient
    try:
        yield
    finally:
        IAMRequest._raise_signature_does_not_match = strict
