"""Child CLIs of the e2e tests, forked from a warm process instead of started cold.

Each e2e test runs `idcensus` as a separate process, configured only by its environment and
arguments, and reads its exit code, stdout and stderr. Started cold, each such process spent about a
third of its CPU before the command's first AWS call: importing idcensus, boto3 and pydantic,
reading the botocore models of the ~20 services a census calls and building their clients' methods
(over sixty children per `make test`). Here one process per pytest worker does that once and forks a
child per command: the child gets its own environment, working directory, stdin (/dev/null),
stdout and stderr (files), runs `idcensus_emulator.cli` as `__main__` as `python -m` would, and its
exit status is the command's. What the children share from the warm process is only what import,
client creation and the record models' first validation leave behind (modules, parsed models,
per-model caches, built validators), never a session, a client, credentials or a thread: the warm
process never calls AWS.

A cold start stays tested: the demo (tests/e2e/test_demo.py) and the check's terminal progress
(tests/e2e/test_check_cli.py) start fresh interpreters, and tests/artifact runs every handler from
the built artifact in a bare one.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Runs after the preamble a cold child CLI runs too (tests/e2e/conftest.py: the speedups, loaded by path).
SERVER = r"""
import atexit, json, os, runpy, signal, sys, traceback

import boto3
import idcensus_emulator.cli
from idcensus.collect.registry import CAPABILITIES
from pydantic import BaseModel

# The models and client methods of every service a census, a check or a pull calls, parsed and built
# once. The clients are dropped: nothing of them but those caches reaches a child.
warm = boto3.Session(aws_access_key_id="warm", aws_secret_access_key="warm", region_name="us-east-1")
for service in sorted({c.service for c in CAPABILITIES} | {"sts", "organizations", "s3", "dynamodb", "cloudtrail"}):
    warm.client(service)
del warm


def models(kind):
    for sub in kind.__subclasses__():
        yield sub
        yield from models(sub)


def build(model):  # what a cold child builds on a model's first validation (pydantic defer_build)
    model.model_rebuild()


for model in {m for m in models(BaseModel) if m.__module__.startswith("idcensus.")}:
    build(model)
protocol = os.fdopen(os.dup(1), "w", buffering=1)
requests = os.fdopen(os.dup(0), "r")


def run(request):
    code = 1
    try:
        os.close(protocol.fileno())
        os.close(requests.fileno())
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            os.dup2(os.open(path, flags, 0o600), fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        sys.argv = ["-c", *request["args"]]
        sys.modules.pop("idcensus_emulator.cli", None)  # run as __main__ from its source, as `python -m` does
        try:
            runpy.run_module("idcensus_emulator.cli", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:  # what the interpreter does with it
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code & 0xFF)


protocol.write("ready\n")
for line in requests:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        run(request)
    protocol.write(json.dumps({"pid": pid}) + "\n")
    _, status = os.waitpid(pid, 0)
    protocol.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
"""


class ForkServer:
    """One warm process, started with `preamble` (what a cold child runs before the CLI: the speedups);
    run() forks a child CLI from it, one at a time (a second caller at the same time, or a server that
    died, gets the `cold` command instead)."""

    def __init__(self, preamble: str, cold: list[str]):
        self.cold = cold
        self.folder = Path(tempfile.mkdtemp(prefix="idcensus-cli-"))
        self.lock = threading.Lock()
        self.count, self.pending = 0, b""
        self.proc = subprocess.Popen([sys.executable, "-c", preamble + SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.ready = self._line(120) == "ready"

    def _line(self, timeout: float) -> str | None:
        """The server's next line; None at its end or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def run(self, args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        if not (self.ready and self.proc.poll() is None and self.lock.acquire(blocking=False)):
            return subprocess.run([*self.cold, *args], capture_output=True, text=True, env=env, timeout=timeout)
        try:
            self.count += 1
            out, err = self.folder / f"{self.count}.out", self.folder / f"{self.count}.err"
            request = {"args": list(args), "env": env, "cwd": os.getcwd(), "stdout": str(out), "stderr": str(err)}
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
            pid = json.loads(self._line(60))["pid"]
            done = self._line(timeout)
            if done is None:
                os.kill(pid, signal.SIGKILL)
                self._line(60)
                raise subprocess.TimeoutExpired(args, timeout, out.read_text(), err.read_text())
            return subprocess.CompletedProcess(args, json.loads(done)["returncode"], out.read_text(), err.read_text())
        finally:
            self.lock.release()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)
