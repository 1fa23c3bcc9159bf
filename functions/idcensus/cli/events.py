"""`idcensus events replay`: push events from a file through the live stream's path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from idcensus.cli.activity import activity_service, add_options, print_summary
from idcensus.cli.failures import EXIT_OK, EXIT_PARTIAL, RUN_ERRORS, stopped
from idcensus.errors import ConfigError


def add_parser(sub) -> None:
    e = sub.add_parser("events", help="activity events")
    esub = e.add_subparsers(dest="events_command", required=True)
    r = esub.add_parser("replay", help="push events from a file through the live stream's path")
    r.add_argument("file", help="JSON (one event, a list, {'Records': [...]} of CloudTrail or SQS) or JSON Lines")
    r.add_argument("--refresh-queue", default=None,
                   help="send debounced refresh requests here (default: refresh the principals at once)")
    r.add_argument("--debounce-seconds", type=int, default=30, help="refresh debounce with --refresh-queue")
    add_options(r)
    r.set_defaults(func=replay)


def replay(args, hooks=None) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"no such file: {args.file}")
    if not 0 <= args.debounce_seconds <= 900:
        raise ConfigError("--debounce-seconds must be 0..900 (SQS DelaySeconds)")
    events = read_events(path)
    service = activity_service(args, hooks, refresh_queue_url=args.refresh_queue,
                               refresh_debounce_seconds=args.debounce_seconds)
    batch, done = service.batch(), 0
    try:
        for event in events:
            batch.add_raw(event)
            done += 1
        result = batch.finish()
    except RUN_ERRORS as exc:
        return stopped(exc, "events replay", done, len(events), "events were read",
                       "events already done are skipped as duplicates, the others redone")
    print_summary({**result.summary(), "api_calls": dict(sorted(service.factory.counter.calls.items()))}, args.json)
    return EXIT_PARTIAL if result.counts["quarantined"] else EXIT_OK


def read_events(path: Path) -> list[bytes | str]:
    """Raw events as the queue would carry them. JSON Lines (or anything not one JSON value):
    each line is one raw event, so a broken line is quarantined like a broken message."""
    try:
        blob = path.read_bytes()
        if blob[:2] == b"\x1f\x8b":  # a CloudTrail log file as the trail wrote it
            blob = gzip.decompress(blob)
    except (OSError, EOFError) as exc:
        raise ConfigError(f"cannot read {path} ({exc}): pass a readable JSON or JSON Lines file of events") from exc
    try:
        value = json.loads(blob)
    except RecursionError:
        return [blob]  # nested too deep to read as a whole: one raw event, which the normalizer quarantines
    except ValueError:
        lines = [line for line in blob.splitlines() if line.strip()]
        if any(_is_json(line) for line in lines):
            return lines
        if blob.lstrip()[:1] in (b"{", b"["):
            return [blob]  # one broken event: quarantined as the same line of a JSON Lines file would be
        raise ConfigError(f"{path} is neither JSON nor JSON Lines: pass a file of CloudTrail or EventBridge "
                          "events (one JSON value, a list, {'Records': [...]}, or one event per line)") from None
    if isinstance(value, dict) and isinstance(value.get("Records"), list):
        value = value["Records"]
    return [_raw(item) for item in (value if isinstance(value, list) else [value])]


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _raw(item) -> str:
    if isinstance(item, dict) and item.get("eventSource") == "aws:sqs" and isinstance(item.get("body"), str):
        return item["body"]  # an SQS event's record: its body is the EventBridge event
    return json.dumps(item)
