"""The activity path the handlers, the CLI and the backfill share.

  raw event -> normalize (pure) -> Rejected? quarantine : claim EVENT#<id> (dedupe)
            -> last_activity_at (monotonic) -> refresh requests (debounced) -> batch's export parts
  finish: refreshes run inline (no refresh queue) -> parts + manifest -> vendor notice -> markers done
          (export windows: the records are staged for their window instead, and a delayed message
          on the refresh queue exports the window once it closed -> parts + manifest -> vendor notice)

An AWS error raises out of add_*() (a batch item failure: SQS retries, then the DLQ); a claimed
event stays `pending` until finish(), so a retry redoes its effects instead of losing them.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from idcensus import clock
from idcensus.aws import ClientFactory
from idcensus.errors import IdcensusError
from idcensus.settings import Settings
from idcensus.store.commit import publish_refresh, run_notice
from idcensus.store.export import Exporter, FileEntry
from idcensus.store.notify import announce
from idcensus.store.state import StateTable
from idcensus.stream.activity_export import (
    FLUSH_EVENT,
    MAX_DELAY,
    ActivityExporter,
    StagedWindows,
    WindowOpen,
    flush_body,
    notice,
    window_batch_id,
    window_due,
    window_of,
)
from idcensus.stream.effects import Effects, subjects
from idcensus.stream.normalize import Rejected, is_management_event, normalize, parse
from idcensus.stream.quarantine import Quarantine
from idcensus.stream.refresh import Refresher, request_body
from idcensus.stream.targets import refresh_targets

log = logging.getLogger("idcensus")


def now_iso() -> str:
    return clock.now_iso("milliseconds")


def new_batch_id() -> str:
    return clock.new_id(4)


@dataclass
class BatchResult:
    batch_id: str
    counts: Counter = field(default_factory=Counter)  # received, normalized, quarantined, duplicates, ...
    reasons: Counter = field(default_factory=Counter)  # quarantine reason -> count
    files: list[FileEntry] = field(default_factory=list)
    manifest_key: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    staged_window: str | None = None  # export windows: the window this batch's records wait in
    refresh_manifest_key: str | None = None  # the refresh run its re-collections were published as

    def summary(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "counts": dict(sorted(self.counts.items())),
                "quarantine_reasons": dict(sorted(self.reasons.items())), "manifest_key": self.manifest_key,
                "staged_window": self.staged_window, "files": len(self.files),
                "refresh_manifest_key": self.refresh_manifest_key,
                "changes": [{"type": c["type"], "id": c["id"], "change": c["change"]} for c in self.changes]}


class ActivityService:
    def __init__(self, settings: Settings, factory: ClientFactory | None = None):
        self.settings = settings
        self.factory = factory or ClientFactory.from_environment()
        self.state = StateTable(self.factory.resource("dynamodb"), settings.table_name)
        s3 = self.factory.client("s3")
        self.sqs = self.factory.client("sqs")
        self.effects = Effects(self.state.table, settings.event_ttl_days, settings.refresh_debounce_seconds)
        self.exporter = ActivityExporter(s3, settings.bucket_name, settings.export_prefix)
        self.runs = Exporter(s3, settings.bucket_name, settings.export_prefix)  # refreshes publish as runs
        self.quarantine = Quarantine(s3, settings.bucket_name, settings.quarantine_prefix)
        self.windows = StagedWindows(self.state.table, settings.event_ttl_days)
        self.now = lambda: datetime.now(UTC)  # the export windows' clock (the cost benchmark runs its own)
        self._announced: str | None = None  # the last window this container sent the export message for

    def refresher(self) -> Refresher:
        # One per batch: its assumed-role sessions (1 hour) must not outlive a warm Lambda container.
        return Refresher(self.factory, self.state, self.settings.role_name, self.settings.external_id)

    def batch(self, batch_id: str | None = None, *, refresh: bool = True) -> Batch:
        return Batch(self, batch_id or new_batch_id(), refresh=refresh)

    def process(self, bodies, batch_id: str | None = None) -> BatchResult:
        """A whole batch of raw events at once (the CLI's replay)."""
        batch = self.batch(batch_id)
        for body in bodies:
            batch.add_raw(body)
        return batch.finish()

    def export(self, result: BatchResult, activity: list[dict[str, Any]]) -> None:
        """A batch's records: staged for their export window, or (no windows) published right away."""
        if self.settings.activity_window_seconds and activity:
            self.stage(result, activity)
            activity = []
        self.publish(result, activity)

    def stage(self, result: BatchResult, activity: list[dict[str, Any]]) -> None:
        """Stage the records in the current window; the first batch of a window in this container
        sends the delayed message that exports it (one per container: the export's claim dedupes)."""
        seconds, now = self.settings.activity_window_seconds, self.now()
        window = window_of(now, seconds)
        self.windows.stage(window, result.batch_id, activity, dict(result.counts), now)
        result.staged_window = window
        if window != self._announced:
            delay = min(MAX_DELAY, max(0, math.ceil((window_due(window, seconds) - now).total_seconds())))
            self.sqs.send_message(QueueUrl=self.settings.refresh_queue_url, MessageBody=flush_body(window, seconds),
                                  DelaySeconds=delay)
            self._announced = window

    def export_window(self, window: str, seconds: int) -> BatchResult | None:
        """Export a closed window as one batch; None when another flush has done or is doing it."""
        now = self.now()
        if now < window_due(window, seconds):
            raise WindowOpen(f"window {window} closes at {window_due(window, seconds).isoformat()}")
        if not self.windows.claim(window, now):
            return None
        records, counts = self.windows.staged(window)
        result = BatchResult(window_batch_id(window))
        result.counts.update(counts)
        self.publish(result, records)
        self.windows.done(window, now)
        return result

    def publish(self, result: BatchResult, activity: list[dict[str, Any]]) -> None:
        """Parts, then the manifest, then the vendor notice; nothing when there is nothing to export."""
        if not activity:
            return
        created_at = now_iso()
        result.files = self.exporter.write(result.batch_id, activity)
        result.manifest_key, manifest = self.exporter.publish(result.batch_id, result.files, created_at=created_at,
                                                              counts=dict(result.counts))
        if self.settings.vendor_queue_url:
            self.sqs.send_message(QueueUrl=self.settings.vendor_queue_url,
                                  MessageBody=json.dumps(notice(self.exporter.bucket, result.manifest_key, manifest)))

    def publish_refresh(self, result: BatchResult, accounts: set[str]) -> None:
        """The refreshed accounts as a run on the chain (store/commit.py), then its vendor notice."""
        manifest = publish_refresh(self.runs, self.state, run_id=clock.new_id(3), accounts=accounts, now=now_iso())
        if manifest is None:
            return
        result.refresh_manifest_key = f"{self.runs.run_prefix(manifest['run_id'])}manifest.json"
        # a crash before it: the retry finds the run published and announces it
        announce(self.factory, self.sqs, self.settings, run_notice(self.runs.bucket, result.refresh_manifest_key, manifest))

    def refresh_batch(self, batch_id: str | None = None) -> RefreshBatch:
        return RefreshBatch(self, batch_id or new_batch_id())


class Batch:
    def __init__(self, service: ActivityService, batch_id: str, *, refresh: bool):
        self.service, self.refresh = service, refresh
        self.result = BatchResult(batch_id)
        self.activity: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.inline: dict[tuple[str, str, str], None] = {}  # refreshes to run at finish (no queue)

    def add_raw(self, raw: bytes | str, source: str = "sqs") -> str:
        """One raw event (EventBridge envelope or CloudTrail record): its outcome."""
        self.result.counts["received"] += 1
        received_at = now_iso()
        try:
            event = parse(raw)
            if not is_management_event(event):
                return self._skip()
            activity = normalize(event, received_at=received_at)
        except Rejected as rej:
            return self._quarantine(raw, rej, received_at, source)
        return self._accept(activity)

    def add_event(self, event: dict[str, Any], source: str = "backfill") -> str:
        """One already parsed event (a CloudTrail log file's record)."""
        self.result.counts["received"] += 1
        received_at = now_iso()
        if not is_management_event(event):
            return self._skip()
        try:
            activity = normalize(event, received_at=received_at)
        except Rejected as rej:
            return self._quarantine(json.dumps(event, sort_keys=True, default=str), rej, received_at, source)
        return self._accept(activity)

    def _skip(self) -> str:
        # Data, network and Insights events are not identity activity the census keeps. Checked before
        # normalizing, on the live path as in backfill, so both export (and quarantine) the same events:
        # an Insights record has no eventSource and would otherwise be quarantined live, skipped in backfill.
        self.result.counts["data_events_skipped"] += 1
        return "skipped"

    def _quarantine(self, raw, rej: Rejected, received_at: str, source: str) -> str:
        self.service.quarantine.put(raw, rej.reason, rej.detail, received_at, source)
        self.result.counts["quarantined"] += 1
        self.result.reasons[rej.reason] += 1
        return "quarantined"

    def _accept(self, activity: dict[str, Any]) -> str:
        event_id = activity["id"]
        if event_id in self.seen or not self.service.effects.claim(event_id):
            self.result.counts["duplicates"] += 1
            return "duplicate"
        for account_id, sort_key in subjects(activity):
            moved = self.service.effects.touch(account_id, sort_key, activity)
            self.result.counts["last_activity_updated" if moved else "last_activity_older"] += 1
        if self.refresh:
            for target in refresh_targets(activity):
                self._request(target.account_id, target.kind, target.name, event_id)
        self.seen.add(event_id)  # only now: a failed event's marker stays pending for its retry
        self.activity.append(activity)
        self.result.counts["normalized"] += 1
        return "normalized"

    def _request(self, account_id: str, kind: str, name: str, event_id: str) -> None:
        settings, effects = self.service.settings, self.service.effects
        if not settings.refresh_queue_url:
            self.inline[(account_id, kind, name)] = None
            return
        if not effects.claim_refresh(account_id, kind, name):
            self.result.counts["refresh_debounced"] += 1
            return
        try:
            self.service.sqs.send_message(QueueUrl=settings.refresh_queue_url,
                                          MessageBody=request_body(account_id, kind, name, event_id, now_iso()),
                                          DelaySeconds=settings.refresh_debounce_seconds)
        except Exception:
            effects.release_refresh(account_id, kind, name)
            raise
        self.result.counts["refresh_requested"] += 1

    def finish(self) -> BatchResult:
        if self.inline:
            refresh = self.service.refresh_batch(self.result.batch_id)
            for account_id, kind, name in self.inline:
                try:
                    refresh.add(account_id, kind, name)
                except IdcensusError as exc:  # the events stay processed; the next census catches up
                    log.warning("refresh of %s %s in %s failed: %s", kind, name, account_id, exc)
                    self.result.counts["refresh_failed"] += 1
            self.result.changes = refresh.changes
            self.result.counts["refreshed"] += refresh.result.counts["refreshed"]
            self.service.publish_refresh(self.result, refresh.accounts)
        self.service.export(self.result, self.activity)
        self.service.effects.mark_done(sorted(self.seen))
        return self.result


class RefreshBatch:
    """Refresh requests of one invocation: records written as they come, one changes part at finish."""

    def __init__(self, service: ActivityService, batch_id: str):
        self.service = service
        self.result = BatchResult(batch_id)
        self.run_id = clock.new_id(3)
        self.refresher = service.refresher()
        self.changes: list[dict[str, Any]] = []
        # Accounts whose records changed: published as a run at finish. A retry after a crash between the
        # state writes and that run sees no change (the state has it): the next census publishes it, once.
        self.accounts: set[str] = set()

    def add_message(self, body: str) -> dict[str, Any] | None:
        request = json.loads(body)
        if request.get("event") == FLUSH_EVENT:  # the same queue carries the export windows' messages
            exported = self.service.export_window(request["window"], int(request["seconds"]))
            self.result.counts["windows_exported" if exported else "windows_skipped"] += 1
            return None
        return self.add(request["account_id"], request["kind"], request["name"])

    def add(self, account_id: str, kind: str, name: str) -> dict[str, Any] | None:
        """Refresh one target; its last change (an IAM principal makes at most one; a set's
        assignments may make several, all kept in `changes`)."""
        found = self.refresher.refresh_all(account_id, kind, name, run_id=self.run_id, now=clock.now_iso())
        self.result.counts["refreshed"] += 1
        for change in found:
            self.accounts.add(change["account_id"])  # Identity Center's: the instance owner's account
            self.changes.append(change)
            self.result.counts[change["change"]] += 1
        return found[-1] if found else None

    def finish(self) -> BatchResult:
        self.result.changes = self.changes
        self.service.publish_refresh(self.result, self.accounts)
        return self.result
