"""Build the Lambda artifact as `sam build` does, and run a handler from it in a bare interpreter.

sam build (python_pip workflow) copies each function's CodeUri and installs its requirements.txt
into the same folder; Lambda's runtime then adds only boto3/botocore. `build()` does those steps
(wheels for this machine's architecture, so the handlers can run here); `invoke()` runs one handler
in a fresh Python 3.13 started with -S (no site-packages) and a sys.path of exactly the artifact
and a folder holding only boto3 - nothing of the development venv can leak in.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".aws-sam" / "idcensus-artifact"
IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")


def base_python() -> str:
    """The interpreter the venv was made from: no packages of the venv, same version (3.13)."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(candidate if candidate.exists() else sys.executable)


def _digest(code_uri: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(code_uri.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            h.update(str(path.relative_to(code_uri)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-compile", *args], check=True, timeout=900)


def build(code_uri: Path = ROOT / "functions") -> Path:
    """CodeUri copied, its requirements.txt installed beside it; cached by content."""
    out = CACHE / f"artifact-{_digest(code_uri)}"
    if (out / ".built").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(code_uri, out, ignore=IGNORE)
    _pip("--target", str(out), "-r", str(code_uri / "requirements.txt"))
    (out / ".built").touch()
    return out


def runtime() -> Path:
    """What the Lambda Python runtime adds to the artifact: boto3 and its dependencies only."""
    pinned = f"boto3=={version('boto3')}"
    out = CACHE / f"runtime-{pinned.replace('==', '-')}"
    if not (out / ".built").exists():
        shutil.rmtree(out, ignore_errors=True)
        _pip("--target", str(out), pinned)
        (out / ".built").touch()
    return out


RUNNER = """
import json, sys, time, uuid
sys.path[:0] = [{artifact!r}, {runtime!r}]
started = time.process_time()
module_name, function_name = {handler!r}.rsplit(".", 1)
import importlib
handler = getattr(importlib.import_module(module_name), function_name)
import_seconds = time.process_time() - started

class Context:
    function_name = {name!r}
    memory_limit_in_mb = 1024
    aws_request_id = str(uuid.uuid4())
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    def get_remaining_time_in_millis(self):
        return 900_000

event = json.loads(sys.stdin.read())
result = handler(event, Context()) if event is not None else None
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("moto", "idcensus_emulator", "pytest", "rich"))
print(json.dumps({{"result": result, "import_seconds": import_seconds, "leaked": leaked,
                  "files": sorted({{m.__file__ for m in list(sys.modules.values())
                                   if getattr(m, "__file__", None) and "site-packages" in m.__file__}})[:5]}},
                 default=str))
"""


def invoke(artifact: Path, handler: str, event, env: dict[str, str], name: str = "function",
           timeout: int = 300) -> dict:
    """Run `handler` (module.function, as template.yaml names it) on `event`; its JSON report."""
    code = RUNNER.format(artifact=str(artifact), runtime=str(runtime()), handler=handler, name=name)
    done = subprocess.run([base_python(), "-S", "-s", "-c", code], input=json.dumps(event), capture_output=True,
                          text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{handler} failed in the artifact:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
