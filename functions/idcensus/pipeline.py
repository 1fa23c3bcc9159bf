"""The queue path: plan a run, collect one account per message, close the run.

Handlers call these; boto3 clients come from one ClientFactory. The same functions run in
Lambda and, in-process against a moto server, in `idcensus demo` and the end-to-end tests.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from idcensus.aws import ClientFactory
from idcensus.census import failed_account, gather, new_run_id, now_iso, store, with_org_accounts, with_previous_users
from idcensus.collect import costs
from idcensus.collect.account import AccountResult
from idcensus.collect.contract import AccountInfo, CollectOptions
from idcensus.collect.org import list_active_accounts
from idcensus.settings import Settings
from idcensus.store.commit import RunSuperseded, publish_run, run_notice
from idcensus.store.export import Exporter
from idcensus.store.notify import announce
from idcensus.store.runs import RunTable
from idcensus.store.state import StateTable


class Pipeline:
    def __init__(self, settings: Settings, factory: ClientFactory | None = None):
        self.settings = settings
        self.factory = factory or ClientFactory.from_environment()
        dynamodb = self.factory.resource("dynamodb")
        self.runs = RunTable(dynamodb, settings.table_name)
        self.state = StateTable(dynamodb, settings.table_name)
        self.exporter = Exporter(self.factory.client("s3"), settings.bucket_name, settings.export_prefix)
        self.sqs = self.factory.client("sqs")

    def plan(self, tick_id: str | None = None) -> dict[str, Any]:
        """Open a run and enqueue one message per ACTIVE account. A retried invocation of the same
        schedule tick (`tick_id`, the event's id) reuses the run the first attempt claimed and enqueues
        its accounts again (a redelivered account message counts once): never a second run."""
        accounts = list_active_accounts(self.factory.client("organizations"))
        run_id = new_run_id()
        if tick_id:
            run_id = self.runs.claim_tick(tick_id, run_id, expires_at=int(time.time()) + TICK_TTL_SECONDS)
        previous = self.exporter.latest()
        self.runs.open(run_id, total=len(accounts), started_at=now_iso(),
                       previous_run_id=previous["run_id"] if previous else None,
                       accounts=sorted(info.account_id for info in accounts))
        self.state.put_organization([info.account_id for info in accounts],
                                    next((a.organization_id for a in accounts if a.organization_id), None))
        for start in range(0, len(accounts), 10):  # SendMessageBatch takes 10 at most
            entries = [{"Id": str(n), "MessageBody": json.dumps({"run_id": run_id, "account": _info_json(info)})}
                       for n, info in enumerate(accounts[start:start + 10])]
            sent = self.sqs.send_message_batch(QueueUrl=self.settings.account_queue_url, Entries=entries)
            if sent.get("Failed"):
                raise RuntimeError(f"could not enqueue {len(sent['Failed'])} accounts of run {run_id}: "
                                   f"{sent['Failed'][0].get('Message')}; the run stays open, rerun the planner")
        return {"run_id": run_id, "accounts": len(accounts)}

    def collect(self, message: dict[str, Any]) -> str:
        """Collect one account of a run; returns its status."""
        run_id, info = message["run_id"], AccountInfo(**message["account"])
        started = datetime.now(UTC)
        org_accounts, _ = self.state.organization()  # the planner recorded it for this run
        options = with_org_accounts(CollectOptions(regions=self.settings.regions), list(org_accounts))
        options = costs.with_incremental_start(options, info, self.state.table)
        options = with_previous_users(options, info.account_id, self.state)
        result = gather(self.factory, info, role_name=self.settings.role_name,
                        external_id=self.settings.external_id, run_id=run_id,
                        max_workers=self.settings.principal_workers, options=options)
        return self._finish_account(run_id, result, started)

    def dead_letter(self, message: dict[str, Any]) -> str:
        """An account whose collector crashed or timed out on every attempt (or, `reason` given, that
        the sweeper gave up on): recorded as failed."""
        info = AccountInfo(**message["account"])
        error = message.get("reason") or DEAD_LETTERED
        result = AccountResult(account=failed_account(info, error), partition=self.factory.partition)
        return self._finish_account(message["run_id"], result, datetime.now(UTC))

    def _finish_account(self, run_id: str, result: AccountResult, started: datetime) -> str:
        counter = self.runs.counter(run_id)
        if counter["status"] != "open" or result.account.account_id in counter.get("done_accounts", ()):
            # A redelivery after the account was counted: its recorded parts stand (the manifest's sha256s);
            # the finish message the first delivery may have died before sending is sent again.
            if counter["status"] == "open" and len(counter.get("done_accounts", ())) >= int(counter["total"]):
                self._finish_queue({"run_id": run_id})
            return "duplicate"
        outcome = store(result, run_id=run_id, collected_at=now_iso(), state=self.state, exporter=self.exporter,
                        base_run_id=counter.get("previous_run_id"), started=started)
        if self.runs.record(run_id, outcome):
            self.sqs.send_message(QueueUrl=self.settings.finish_queue_url, MessageBody=json.dumps({"run_id": run_id}))
        return outcome.status

    def close(self, run_id: str) -> dict[str, Any] | None:
        """Write the manifest and latest.json once every account is counted; notify the vendor."""
        stale = _minutes_ago(self.settings.run_timeout_minutes)  # a claimer that died this long ago is replaced
        if not self.runs.claim_close(run_id, now=now_iso(), stale_before=stale):
            return None
        counter = self.runs.counter(run_id)
        outcomes = self.runs.outcomes(run_id)
        try:
            manifest = publish_run(  # the commit point: see store/commit.py
                self.exporter, run_id=run_id, base_run_id=counter.get("previous_run_id"),
                started_at=counter["started_at"], finished_at=now_iso(),
                files=[f for o in outcomes for f in o.files], accounts=[o.manifest_entry() for o in outcomes],
            )
        except RunSuperseded:
            self.runs.mark_closed(run_id, None, now_iso(), status="superseded")
            raise
        manifest_key = f"{self.exporter.run_prefix(run_id)}manifest.json"
        announce(self.factory, self.sqs, self.settings, run_notice(self.exporter.bucket, manifest_key, manifest))
        self.runs.mark_closed(run_id, manifest_key, manifest["finished_at"])
        return manifest


    def sweep(self) -> dict[str, Any]:
        """Runs not closed within RUN_TIMEOUT_MINUTES: their missing accounts are recorded failed
        (through the finish queue, as dead letters are) so the run closes and its manifest names them;
        a run stuck in "closing" gets a finish message (close() takes over a stale claim)."""
        overdue = []
        limit = _minutes_ago(self.settings.run_timeout_minutes)
        for listed in self.runs.open_runs():
            if listed["started_at"] >= limit:
                continue
            run = self.runs.find(listed["run_id"])
            if run is None or run["status"] in ("closed", "superseded"):  # a crash after the listing or after the close
                self.runs.unlist(listed["run_id"])
                continue
            overdue.append(listed["run_id"])
            missing = sorted(set(run.get("accounts", [])) - set(run.get("done_accounts", ())))
            for account_id in missing if run["status"] == "open" else ():
                self._finish_queue({"run_id": listed["run_id"], "account": {"account_id": account_id},
                                    "reason": f"not collected within {self.settings.run_timeout_minutes} minutes "
                                              "(swept); see the account collector's logs"})
            if run["status"] == "closing" or not missing:
                self._finish_queue({"run_id": listed["run_id"]})
        return {"overdue_runs": overdue}

    def _finish_queue(self, body: dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=self.settings.finish_queue_url, MessageBody=json.dumps(body))


DEAD_LETTERED = "collector crashed or timed out on every attempt (message dead-lettered); see its logs"
TICK_TTL_SECONDS = 7 * 24 * 3600  # a schedule tick is retried for at most 6 hours; keep its claim a week


def _minutes_ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds").replace("+00:00", "Z")


def _info_json(info: AccountInfo) -> dict[str, Any]:
    data = asdict(info)
    if isinstance(data.get("joined_at"), datetime):
        data["joined_at"] = data["joined_at"].isoformat()
    return data
