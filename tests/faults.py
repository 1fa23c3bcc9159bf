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


class LostResponse:
    """A call that succeeds at the server but whose response the client never sees: botocore then
    retries the same request (`needs-retry` answered with a 0 s delay), as after a connection reset
    on the way back. `match(operation, params)` picks the calls; each matching call loses its
    first response only, up to `times` calls."""

    def __init__(self, service: str, match, times: int = 1):
        self.service = service
        self.match = match
        self.left = times
        self.lost: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, response=None, attempts=1, caught_exception=None, operation=None, request_dict=None, **_):
        if caught_exception is not None or response is None or attempts > 1 or operation is None:
            return None
        if response[0].status_code >= 300:
            return None
        with self._lock:
            if self.left <= 0 or not self.match(operation.name, request_dict):
                return None
            self.left -= 1
            self.lost.append(operation.name)
        return 0

    def hook(self):
        return (f"needs-retry.{self.service}", self)


WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "PutObject", "SendMessage",
                    "SendMessageBatch"})


class Crash(BaseException):  # noqa: N818 - a process death, which no `except Exception` may swallow
    """The process died (a Lambda timeout, an out-of-memory kill) at an injected point."""


class WriteFault:
    """Fault the `n`-th write call (DynamoDB, S3, SQS; counting from 0), once:
    - "before": the call never reaches the service and the process dies;
    - "after": the call succeeds at the service but its response is lost and the process dies;
    - "retry": the response is lost and botocore retries the very same request (it then meets its own
      earlier effect: a conditional write finds its own item).
    `writes` counts the write calls seen, `fired` says whether the fault happened."""

    def __init__(self, n: int, when: str):
        assert when in ("before", "after", "retry")
        self.n, self.when = n, when
        self.writes = 0
        self.fired: str | None = None
        self._lock = threading.Lock()

    def _before_call(self, model=None, context=None, **_):
        if model is None or model.name not in WRITES:
            return
        with self._lock:
            n, self.writes = self.writes, self.writes + 1
            hit = n == self.n and self.fired is None
            if hit:
                self.fired = model.name
        if hit and self.when == "before":
            raise Crash(f"died before {model.name} (write {n})")
        if hit and context is not None:
            context["idcensus_fault"] = self.when

    def _after_call(self, model=None, context=None, **_):
        if context is not None and context.pop("idcensus_fault", None) == "after":
            raise Crash(f"died after {model.name} succeeded (response lost)")

    def _needs_retry(self, attempts=1, request_dict=None, caught_exception=None, response=None, **_):
        context = (request_dict or {}).get("context") or {}
        if attempts == 1 and caught_exception is None and context.get("idcensus_fault") == "retry":
            context.pop("idcensus_fault")
            return 0
        return None

    def hooks(self):
        return [("before-call", self._before_call), ("after-call", self._after_call),
                ("needs-retry", self._needs_retry)]
