"""Benchmark: CloudTrail normalization throughput on one core, beside plain json.loads of the same events.

    .venv/bin/python benchmarks/bench_normalize.py [--events 50000] [--repeat 3] [--profile]

Builds N realistic events as JSON bytes from events/cloudtrail/*.json (unique eventIDs and times,
varied users), then times, in the same process: json.loads of all of them, and normalize_raw of all
of them. Prints events/s of CPU time for both and their ratio (best of --repeat runs). Target: >= 20,000 events/s.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
import uuid
from pathlib import Path

from idcensus.stream import normalize_raw

EVENTS = Path(__file__).resolve().parents[1] / "events" / "cloudtrail"
TARGET = 20_000


def build(count: int) -> list[bytes]:
    fixtures = [json.loads(p.read_text()) for p in sorted(EVENTS.glob("*.json"))]
    out = []
    for n in range(count):
        event = fixtures[n % len(fixtures)]
        detail = dict(event["detail"])
        detail["eventID"] = str(uuid.UUID(int=n))
        detail["eventTime"] = f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{(n // 60) % 60:02d}Z"
        params = detail.get("requestParameters")
        if isinstance(params, dict) and "userName" in params:
            detail["requestParameters"] = {**params, "userName": f"user{n % 500}"}
        out.append(json.dumps({**event, "detail": detail}).encode())
    return out


def best_rate(fn, raws: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()  # CPU time: other processes sharing the core do not inflate it
        for raw in raws:
            fn(raw)
        best = min(best, time.process_time() - start)
    return len(raws) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of normalize_raw")
    args = parser.parse_args()

    raws = build(args.events)
    size = sum(map(len, raws)) / len(raws)
    assert len({normalize_raw(raw)["id"] for raw in raws}) == len(raws)  # all valid, all distinct
    loads = best_rate(json.loads, raws, args.repeat)
    normalized = best_rate(normalize_raw, raws, args.repeat)
    print(f"events: {len(raws):,} (mean {size:,.0f} bytes, {len(list(EVENTS.glob('*.json')))} shapes), one core")
    print(f"json.loads:    {loads:>10,.0f} events/s")
    print(f"normalize_raw: {normalized:>10,.0f} events/s  ({normalized / loads:.2f}x json.loads; "
          f"{1e6 / normalized:.1f} us/event)")
    print(f"target {TARGET:,} events/s: {'met' if normalized >= TARGET else 'NOT met'}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [normalize_raw(raw) for raw in raws])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
