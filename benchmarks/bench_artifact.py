"""Benchmark: the Lambda artifact's size and each handler's cold-start import, from the artifact.

    .venv/bin/python benchmarks/bench_artifact.py [--repeat 5]

Builds the artifact as `sam build` does (tests/artifact/build.py), then imports each function's
Handler (from template.yaml) in a fresh bare Python 3.13 (-S, only boto3 beside the artifact),
--repeat times, and prints the median CPU time of the import and the modules it loaded, beside
a baseline in the same interpreter: `import boto3` alone (what every Python function pays).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.artifact.build import base_python, build, runtime  # noqa: E402
from tests.templates.cfn import TEMPLATE, load  # noqa: E402

PROBE = """
import sys, time
sys.path[:0] = [{artifact!r}, {runtime!r}]
before = set(sys.modules)
started = time.process_time()
import importlib
{body}
print(time.process_time() - started, len(set(sys.modules) - before))
"""


def measure(artifact: Path, body: str, repeat: int) -> tuple[float, int]:
    code = PROBE.format(artifact=str(artifact), runtime=str(runtime()), body=body)
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_SERVICE_NAME": "idcensus",
           "AWS_LAMBDA_FUNCTION_NAME": "bench"}
    runs = []
    for _ in range(repeat):
        out = subprocess.run([base_python(), "-S", "-s", "-B", "-c", code], capture_output=True, text=True, env=env,
                             check=True).stdout.split()
        runs.append((float(out[0]), int(out[1])))
    return statistics.median(r[0] for r in runs), runs[0][1]


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    artifact = build()
    # Byte-compile once, as Lambda's packaging would (sam build ships .py; the first cold start compiles).
    subprocess.run([base_python(), "-m", "compileall", "-q", str(artifact)], check=False)
    total = size(artifact)
    print(f"artifact: {artifact}  {total / 1e6:.1f} MB unzipped")
    packages = sorted(((size(p), p.name) for p in artifact.iterdir() if p.is_dir() and not p.name.endswith("-info")),
                      reverse=True)
    print("  largest: " + ", ".join(f"{name} {n / 1e6:.1f} MB" for n, name in packages[:6]))
    base, base_modules = measure(artifact, "import boto3", args.repeat)
    print(f"\nbaseline `import boto3`: {base * 1000:.0f} ms CPU, {base_modules} modules")
    template = load(TEMPLATE)
    handlers = {k: v["Properties"]["Handler"] for k, v in template["Resources"].items()
                if v["Type"] == "AWS::Serverless::Function"}
    print(f"{'function':28} {'handler':40} {'import CPU':>10} {'x boto3':>8} {'modules':>8}")
    for name, handler in handlers.items():
        module = handler.rsplit(".", 1)[0]
        cpu, modules = measure(artifact, f"importlib.import_module({module!r})", args.repeat)
        print(f"{name:28} {handler:40} {cpu * 1000:8.0f} ms {cpu / base:7.2f}x {modules:8d}")
    # What the account collector's first invocation adds: the pipeline, then the collectors a
    # Tier-1-only account runs (registry-driven, imported lazily) against every tier's collectors.
    from idcensus.collect.registry import COLLECTED

    tier1 = sorted({c.collector for c in COLLECTED if c.tier == "identity"})
    every = sorted({c.collector for c in COLLECTED})
    pipeline = "importlib.import_module('idcensus.handlers.account'); importlib.import_module('idcensus.pipeline')"
    print("\naccount collector, first invocation (imports only):")
    for label, modules in (("handler + pipeline", []), ("+ Tier 1 collector", tier1), ("+ every tier's collectors", every)):
        body = pipeline + "".join(f"; importlib.import_module({m!r})" for m in modules)
        cpu, count = measure(artifact, body, args.repeat)
        print(f"  {label:28} {cpu * 1000:6.0f} ms CPU {count:6d} modules")
    print(json.dumps({"artifact_mb": round(total / 1e6, 1)}))


if __name__ == "__main__":
    main()
