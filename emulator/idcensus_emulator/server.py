"""The embedded AWS emulator (moto's server on loopback) and answers for the calls it lacks.

Used by `idcensus demo`, the end-to-end tests and the benchmarks. The gap answers are
recorded real-shape responses fed through botocore hooks, so the collector code path runs
unchanged: nothing here replaces idcensus code.
"""

from __future__ import annotations

import logging
import os
import socket
from contextlib import contextmanager
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"

# Root row as AWS writes it: root has no creation-time password flag ("not_supported").
ROOT_ROW = (
    "<root_account>,arn:aws:iam::{account}:root,{created},not_supported,{last_used},not_supported,"
    "not_supported,{mfa},false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
)


ROOT_LAST_USED = "2026-10-30T17:02:44+00:00"


# A recorded ListServiceSpecificCredentials entry (shape as AWS returns it), keyed by user name:
# every emulated account that has this user answers with it.
SERVICE_CREDENTIALS = {
    "ci-deploy": [
        {
            "Status": "Active",
            "ServiceUserName": "ci-deploy-at-000000000000",
            "CreateDate": "2025-03-02T10:00:00Z",
            "ServiceSpecificCredentialId": "ACCAEXAMPLE0000000001",
            "ServiceName": "codecommit.amazonaws.com",
        }
    ]
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server(region: str = "us-east-1"):
    """Start moto's server on loopback and point the standard AWS variables at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
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
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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


class GapAnswers:
    """botocore hooks answering what moto 5.2 does not emulate (see MOTO_NOTES.md)."""

    def __init__(self, service_credentials: dict[str, list[dict]] | None = None, root_mfa: bool = True):
        self.service_credentials = SERVICE_CREDENTIALS if service_credentials is None else service_credentials
        self.root_mfa = root_mfa

    def hooks(self):
        return [
            ("before-send.iam.ListServiceSpecificCredentials", self.list_service_specific_credentials),
            ("after-call.iam.GetCredentialReport", self.add_root_row),
        ]

    def list_service_specific_credentials(self, request, **_):
        members = "".join(
            "<member>"
            f"<UserName>{escape(user)}</UserName><Status>{c['Status']}</Status>"
            f"<ServiceUserName>{escape(c['ServiceUserName'])}</ServiceUserName>"
            f"<CreateDate>{c['CreateDate']}</CreateDate>"
            f"<ServiceSpecificCredentialId>{c['ServiceSpecificCredentialId']}</ServiceSpecificCredentialId>"
            f"<ServiceName>{c['ServiceName']}</ServiceName>"
            "</member>"
            for user, creds in sorted(self.service_credentials.items())
            for c in creds
        )
        body = (
            f'<ListServiceSpecificCredentialsResponse xmlns="{IAM_NS}"><ListServiceSpecificCredentialsResult>'
            f"<ServiceSpecificCredentials>{members}</ServiceSpecificCredentials><IsTruncated>false</IsTruncated>"
            "</ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>idcensus-emulator</RequestId>"
            "</ResponseMetadata></ListServiceSpecificCredentialsResponse>"
        )
        return answer(request, 200, body.encode())

    def add_root_row(self, parsed, **_):
        content = parsed.get("Content")
        if not content:
            return
        lines = content.decode().splitlines()
        if len(lines) < 2 or any(line.startswith("<root_account>") for line in lines):
            return
        account = lines[1].split(",")[1].split(":")[4]
        root = ROOT_ROW.format(account=account, created="2020-01-01T00:00:00+00:00", last_used=ROOT_LAST_USED,
                               mfa=str(self.root_mfa).lower())
        parsed["Content"] = "\n".join([lines[0], root, *lines[1:]]).encode() + b"\n"


def answer(request, status: int, body: bytes) -> AWSResponse:
    """A response for botocore to parse. The mark tells an in-process moto to stand aside:
    botocore runs every before-send handler, and in-process moto would answer too."""
    request.answered_by_hook = True
    return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Raw(body))


class _Raw:
    """The minimal raw-body object AWSResponse reads from."""

    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_):
        yield self._data

    def read(self, *_):
        data, self._data = self._data, b""
        return data
