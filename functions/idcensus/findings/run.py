"""Run every rule over one run's records: `finding` records (open, or resolved since the previous
published run, first_seen carried from it, suppressions applied) and `identity.person` records."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from idcensus.findings.inventory import Inventory
from idcensus.findings.people import people
from idcensus.findings.registry import Hit, Rule, all_rules
from idcensus.findings.suppressions import Suppression, first_match
from idcensus.model.findings import FINDING_TYPE, PERSON_TYPE, Finding, Person
from idcensus.model.findings import Suppression as SuppressionData
from idcensus.model.records import make_record

log = logging.getLogger("idcensus")


@dataclass
class Evaluation:
    findings: list[dict[str, Any]]
    people: list[dict[str, Any]]
    errors: dict[str, str] = field(default_factory=dict)  # rule id -> what went wrong

    @property
    def records(self) -> list[dict[str, Any]]:
        return [*self.findings, *self.people]


def finding_id(rule_id: str, hit: Hit) -> str:
    return f"{rule_id}/{hit.account_id}/{hit.resource_arn}" + (f"#{hit.key}" if hit.key else "")


def evaluate(records: Iterable[dict[str, Any]], *, now: datetime, run_id: str, collected_at: str,
             previous: Iterable[dict[str, Any]] = (), suppressions: list[Suppression] = (),
             rules: list[Rule] | None = None) -> Evaluation:
    inv = Inventory(records, now=now)
    before = {r["id"]: r for r in previous if r["type"] == FINDING_TYPE}
    out: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}

    def record(type_, id_, account_id, data):
        return make_record(type_, id_, account_id, data, run_id=run_id, collected_at=collected_at)

    for r in rules if rules is not None else all_rules():
        try:
            hits = list(r.check(inv))
        except ImportError:  # a dependency missing from the artifact is a packaging bug, not a rule's fault
            raise
        except Exception as exc:  # noqa: BLE001 - one broken rule never stops the others or the run
            log.warning("findings rule %s failed: %s", r.id, exc)
            errors[r.id] = f"{type(exc).__name__}: {exc}"
            continue
        for hit in hits:
            id_ = finding_id(r.id, hit)
            old = before.get(id_)
            first = old["data"]["first_seen"] if old and old["data"]["status"] == "open" else now
            out[id_] = record(FINDING_TYPE, id_, hit.account_id, _finding(r, hit, first, now, suppressions))
    for id_, old in before.items():  # open before, not found now: resolved (shown once, then dropped)
        if id_ not in out and old["data"]["status"] == "open" and old["data"]["rule_id"] not in errors:
            out[id_] = record(FINDING_TYPE, id_, old["account_id"], Finding(**{
                **old["data"], "status": "resolved", "resolved_at": now}))
    persons = [record(PERSON_TYPE, p["person_id"], inv.org_account, Person(**p)) for p in people(inv)]
    return Evaluation(sorted(out.values(), key=lambda f: f["id"]), persons, errors)


def _finding(r: Rule, hit: Hit, first_seen, now: datetime, suppressions) -> Finding:
    s = first_match(list(suppressions), r.id, hit.resource_arn, hit.account_id, now)
    return Finding(rule_id=r.id, title=r.title, severity=r.severity, scope=r.scope, resource_arn=hit.resource_arn,
                   resource_type=hit.resource_type, message=hit.message, evidence=hit.evidence, controls=r.controls,
                   status="open", first_seen=first_seen, last_seen=now,
                   suppressed=s is not None,
                   suppression=SuppressionData(reason=s.reason, expires=s.expires, principal=s.principal) if s else None)
