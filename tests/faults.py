"""botocore before-send hooks that answer chosen calls with real-shape AWS errors.

botocore's own retry logic then runs, exactly as against AWS. (Stubber would not retry.)
"""

from __future__ import annotations

import itertools
import threading

from idcensus_emulator.gaps import answer


def query_error(request, code: str, status: int, message: str = "injected"):
    """An error as query-protocol services (IAM, STS) send it."""
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
    ).encode()
    return answer(request, status, body)


def operation_of(request) -> str:
    body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
    for part in body.split("&"):
        if part.startswith("Action="):
            return part.split("=", 1)[1]
    return ""


def deny(*operations: str, code: str = "AccessDenied"):
    """Answer these IAM/STS operations with AccessDenied (HTTP 403)."""

    def handler(request, **_):
        if operation_of(request) in operations:
            return query_error(request, code, 403, f"User is not authorized to perform: iam:{operation_of(request)}")
        return None

    return ("before-send.iam", handler)


def gone(operation: str, user_name: str):
    """Answer one user's per-user call with NoSuchEntity: the user was deleted mid-run."""

    def handler(request, **_):
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        if operation_of(request) == operation and f"UserName={user_name}" in body:
            return query_error(request, "NoSuchEntity", 404, f"The user with name {user_name} cannot be found.")
        return None

    return ("before-send.iam", handler)


class Throttler:
    """Throttles every `every`-th IAM call attempt (deterministic; retries then succeed)."""

    def __init__(self, every: int = 4):
        self.every = every
        self.count = itertools.count(1)
        self.throttled = 0
        self.attempts = 0
        self._lock = threading.Lock()

    def __call__(self, request, **_):
        with self._lock:
            n = next(self.count)
            self.attempts += 1
            if n % self.every:
                return None
            self.throttled += 1
        return query_error(request, "Throttling", 400, "Rate exceeded")

    def hook(self):
        return ("before-send.iam", self)
