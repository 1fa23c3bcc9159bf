"""One census run over many accounts: assume, collect, update state, export the whole snapshot and its changes, publish."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from idcensus.clock import new_id, now_iso
from idcensus.collect import costs
from idcensus.collect.account import AccountResult, account_record, collect_account
from idcensus.collect.contract import AccountInfo, CollectOptions, Outcomes, account_arn
from idcensus.collect.documents import timestamp
from idcensus.collect.registry import BY_NAME
from idcensus.model.changes import carried_forward, changes_between
from idcensus.model.records import Account, make_record
from idcensus.store.commit import publish_run
from idcensus.store.export import Exporter
from idcensus.store.runs import AccountOutcome
from idcensus.store.state import StateTable, stream_activity

log = logging.getLogger("idcensus")


def new_run_id() -> str:
    return new_id(3)


def to_records(result: AccountResult, run_id: str, collected_at: str) -> list[dict[str, Any]]:
    account_id = result.account.account_id

    def rec(type_, id_, data):
        return make_record(type_, id_, account_id, data, run_id=run_id, collected_at=collected_at)

    # The account first, then every collector's records in registry order (IAM: root, users, groups, ...).
    return [rec("aws.account", account_arn(account_id, result.partition), result.account),
            *(rec(type_, id_, data) for type_, id_, data in result.items)]


def with_stream_activity(records: list[dict[str, Any]], seen: dict[str, str]) -> list[dict[str, Any]]:
    """Records whose last use includes what the CloudTrail stream saw since the sources AWS reports
    (credential report, RoleLastUsed) were read: the later time wins. `seen` maps a principal ARN or an
    access key ID to its stream last_activity_at. Pure."""
    if not seen:
        return records
    out = []
    for record in records:
        data = record["data"]
        if record["type"] == "iam.user":
            keys = [{**k, "last_used_at": later(k.get("last_used_at"), seen.get(k.get("id") or ""))}
                    for k in data.get("access_keys") or []]
            last = later(data.get("last_activity_at"), seen.get(data["arn"]), *(k["last_used_at"] for k in keys))
            data = {**data, "last_activity_at": last, "access_keys": keys if data.get("access_keys") is not None else None}
        elif record["type"] == "iam.role":
            data = {**data, "last_used_at": later(data.get("last_used_at"), seen.get(data["arn"]))}
        elif record["type"] == "sso.user" and seen.get(data["arn"]):
            data = {**data, "last_activity_at": later(data.get("last_activity_at"), seen.get(data["arn"]))}
        else:
            out.append(record)
            continue
        out.append({**record, "data": data})
    return out


def later(*values: str | None) -> str | None:
    """The latest of RFC 3339 times, in the form it came in; None when there is none."""
    known = [(timestamp(v), v) for v in values if v]
    known = [(t, v) for t, v in known if t is not None]
    return max(known)[1] if known else None


def authoritative_types(result: AccountResult) -> set[str]:
    """Record types this run saw completely, so an absence there means deleted."""
    types = {"aws.account"}
    for name, outcome in result.account.collection.capabilities.items():
        if outcome == "ok" and name in BY_NAME:
            types.update(BY_NAME[name].covers)
    return types


@dataclass
class RunSummary:
    run_id: str
    previous_run_id: str | None
    manifest_key: str
    accounts: list[AccountOutcome]
    manifest: dict[str, Any]

    @property
    def all_ok(self) -> bool:
        return all(a.status == "ok" for a in self.accounts)

    @property
    def items_written(self) -> int:
        return sum(a.items_written for a in self.accounts)


def gather(factory, info: AccountInfo, *, role_name: str, external_id: str | None, run_id: str,
           max_workers: int = 8, options: CollectOptions | None = None) -> AccountResult:
    """Assume the account's read role and collect it. Never raises for the account's own faults."""
    try:
        member = factory.assume(factory.role_arn(info.account_id, role_name), external_id, f"idcensus-{run_id}")
        return collect_account(member, info, max_workers=max_workers, options=options)
    except Exception as exc:  # noqa: BLE001 - one broken account never stops the others
        log.warning("account %s failed: %s", info.account_id, exc)
        return AccountResult(account=failed_account(info, f"{type(exc).__name__}: {exc}"), partition=factory.partition)


def store(result: AccountResult, *, run_id: str, collected_at: str, state: StateTable, exporter: Exporter,
          base_run_id: str | None = None, started: datetime | None = None) -> AccountOutcome:
    """Update the account's current state in DynamoDB and write its export parts: the whole
    inventory (what this run could not see carried forward, marked stale) and its changes against
    the snapshot of `base_run_id`, the last published run. Nothing is published here."""
    from idcensus.access_check import attach_check

    account_id = result.account.account_id
    existing = state.current(account_id)  # one Query: records, stream activity, the latest check
    result.account = attach_check(result.account, existing)
    records = with_stream_activity(to_records(result, run_id, collected_at), stream_activity(existing))
    authoritative = authoritative_types(result)
    keep = set(result.account.collection.skipped_principals)
    col = result.account.collection
    carried = []
    if col.status != "ok" or keep:  # read the stored records only when something was not seen
        carried = carried_forward(state.records(account_id), records, authoritative=authoritative, keep=keep,
                                  reason=stale_reason(col))
    diff = state.apply(account_id, records, authoritative=authoritative, keep=keep, now=collected_at,
                       existing=existing)
    snapshot = [*records, *carried]
    changes = changes_between(exporter.published_snapshot(base_run_id, account_id), snapshot, now=collected_at)
    files = exporter.write_account(run_id, account_id, snapshot, changes)
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["change"]] = counts.get(change["change"], 0) + 1
    return AccountOutcome(
        account_id=account_id, status=col.status, capabilities=col.capabilities, error=col.error,
        records=len(snapshot), changes=counts, items_written=diff.items_written,
        seconds=(datetime.now(UTC) - (started or datetime.now(UTC))).total_seconds(), files=files,
        carried=len(carried), carried_reason=stale_reason(col) if carried else None,
    )


def stale_reason(col) -> str:
    """Why records were carried forward: the account's error, or its capabilities not collected."""
    if col.error:
        return f"{col.status}: {col.error}"
    missed = [f"{name}: {outcome}" for name, outcome in sorted(col.capabilities.items()) if outcome != "ok"]
    return "; ".join(missed) or "principal deleted while the run read it"


def collect_one(
    factory, info: AccountInfo, *, role_name: str, external_id: str | None, run_id: str,
    state: StateTable, exporter: Exporter, max_workers: int = 8, options: CollectOptions | None = None,
    base_run_id: str | None = None,
) -> AccountOutcome:
    started = datetime.now(UTC)
    collected_at = now_iso()
    options = costs.with_incremental_start(options or CollectOptions(), info, state.table)
    options = with_previous_users(options, info.account_id, state)
    result = gather(factory, info, role_name=role_name, external_id=external_id, run_id=run_id,
                    max_workers=max_workers, options=options)
    return store(result, run_id=run_id, collected_at=collected_at, state=state, exporter=exporter,
                 base_run_id=base_run_id, started=started)


def with_previous_users(options: CollectOptions, account_id: str, state: StateTable) -> CollectOptions:
    """Options holding the account's iam.user records as stored: their per-user answers are reused
    where the credential report shows nothing changed (collect/reuse.py)."""
    return replace(options, previous_users={r["id"]: r["data"] for r in state.records_of(account_id, "iam.user")},
                   previous_policies={r["id"]: r["data"] for r in state.records_of(account_id, "iam.policy")})


def failed_account(info: AccountInfo, error: str) -> Account:
    return account_record(info, Outcomes().collection(error=error))


def with_org_accounts(options: CollectOptions | None, account_ids: list[str]) -> CollectOptions:
    """Options knowing the organization's accounts (who is inside), unless the caller already said."""
    options = options or CollectOptions()
    return options if options.org_accounts else replace(options, org_accounts=tuple(sorted(account_ids)))


def run_census(
    factory, accounts: list[AccountInfo], *, role_name: str, external_id: str | None,
    state: StateTable, exporter: Exporter, account_workers: int = 4, principal_workers: int = 8,
    on_account: Callable[[AccountOutcome], None] | None = None, options: CollectOptions | None = None,
    record_organization: bool = True,
) -> RunSummary:
    run_id = new_run_id()
    started_at = now_iso()
    previous = exporter.latest()
    base_run_id = previous["run_id"] if previous else None
    outcomes: list[AccountOutcome] = []
    options = with_org_accounts(options, [a.account_id for a in accounts])
    if record_organization:  # never from a partial list: refreshes between runs would call sisters outsiders
        state.put_organization(options.org_accounts, next((a.organization_id for a in accounts if a.organization_id), None))
    with ThreadPoolExecutor(max_workers=account_workers) as pool:
        futures = [
            pool.submit(collect_one, factory, info, role_name=role_name, external_id=external_id, run_id=run_id,
                        state=state, exporter=exporter, max_workers=principal_workers, options=options,
                        base_run_id=base_run_id)
            for info in accounts
        ]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            if on_account:
                on_account(outcome)
    outcomes.sort(key=lambda o: o.account_id)
    manifest = publish_run(  # the commit point: see store/commit.py
        exporter,
        run_id=run_id,
        base_run_id=base_run_id,
        started_at=started_at,
        finished_at=now_iso(),
        files=[f for o in outcomes for f in o.files],
        accounts=[o.manifest_entry() for o in outcomes],
    )
    return RunSummary(run_id, manifest["previous_run_id"], f"{exporter.run_prefix(run_id)}manifest.json",
                      outcomes, manifest)
