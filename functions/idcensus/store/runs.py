"""Run bookkeeping in the state table, for the queue path (planner -> collectors -> finisher).

pk = "RUN#<run_id>": sk "RUN" holds the counter (total, done_accounts and failed_accounts as
string sets, status); sk "ACCOUNT#<id>" holds one account's outcome and its export files.
A counter, not Step Functions: two writes per account, no state machine to pay for or to size
for 1,000 accounts, and SQS redelivery is harmless because adding to a set is idempotent.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from idcensus.errors import error_code
from idcensus.store.export import FileEntry


@dataclass
class AccountOutcome:
    account_id: str
    status: str
    capabilities: dict[str, str]
    error: str | None
    records: int
    changes: dict[str, int]
    items_written: int
    seconds: float
    files: list[FileEntry] = field(default_factory=list)
    carried: int = 0  # records carried forward from the last successful collection, marked stale
    carried_reason: str | None = None

    def manifest_entry(self) -> dict[str, Any]:
        entry = {"account_id": self.account_id, "status": self.status, "capabilities": self.capabilities,
                 "error": self.error}
        if self.carried:
            entry["carried"] = {"records": self.carried, "reason": self.carried_reason}
        return entry



OPEN_PK = "RUNS"  # one partition listing the runs not yet closed, for the sweeper


def run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


class RunTable:
    def __init__(self, dynamodb, table_name: str):
        self.table = dynamodb.Table(table_name)
        self.client = self.table.meta.client
        self.table_name = table_name

    def claim_tick(self, tick_id: str, run_id: str, expires_at: int) -> str:
        """The run of one schedule tick: `run_id` when this call claims the tick, else the run the
        first (failed, retried) invocation of the same tick opened. A retried tick never opens a second run."""
        key = {"pk": f"TICK#{tick_id}", "sk": "TICK"}
        try:
            self.table.put_item(Item={**key, "run_id": run_id, "expires_at": expires_at},
                                ConditionExpression="attribute_not_exists(pk)")
            return run_id
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
        return self.table.get_item(Key=key, ConsistentRead=True)["Item"]["run_id"]

    def open(self, run_id: str, *, total: int, started_at: str, previous_run_id: str | None,
             accounts: list[str] | None = None) -> bool:
        """Record a run as open, listed under OPEN# for the sweeper first (a crash between the two
        writes leaves only a listing the sweeper drops). False when it was already open (a retried tick)."""
        self.table.put_item(Item={"pk": OPEN_PK, "sk": f"OPEN#{run_id}", "run_id": run_id, "started_at": started_at})
        try:
            self.table.put_item(
                Item={"pk": run_pk(run_id), "sk": "RUN", "total": total, "status": "open",
                      "started_at": started_at, "previous_run_id": previous_run_id, "accounts": accounts or []},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def open_runs(self) -> list[dict[str, Any]]:
        """Every run listed as not yet closed: {"run_id", "started_at"}."""
        params: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(OPEN_PK) & Key("sk").begins_with("OPEN#")}
        found = []
        while True:
            page = self.table.query(**params)
            found += [{"run_id": i["run_id"], "started_at": i["started_at"]} for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def unlist(self, run_id: str) -> None:
        self.table.delete_item(Key={"pk": OPEN_PK, "sk": f"OPEN#{run_id}"})

    def find(self, run_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key={"pk": run_pk(run_id), "sk": "RUN"}, ConsistentRead=True).get("Item")

    def record(self, run_id: str, outcome: AccountOutcome) -> bool:
        """Store an account's outcome and count it; True when this call made the run complete.

        The counter is a string set of account IDs, so SQS redelivery adds nothing twice."""
        self.table.put_item(Item={
            "pk": run_pk(run_id),
            "sk": f"ACCOUNT#{outcome.account_id}",
            "outcome": json.dumps({**asdict(outcome), "files": [asdict(f) for f in outcome.files]}),
        })
        update = "ADD done_accounts :a"
        values: dict[str, Any] = {":a": {outcome.account_id}}
        if outcome.status == "failed":
            update += ", failed_accounts :a"
        counter = self.table.update_item(
            Key={"pk": run_pk(run_id), "sk": "RUN"}, UpdateExpression=update,
            ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
        )["Attributes"]
        # True again on a redelivery (or a retry after a lost response): a second finish message is
        # harmless (claim_close lets one through), a missing one would leave the run open.
        return len(counter.get("done_accounts", ())) >= int(counter["total"])

    def counter(self, run_id: str) -> dict[str, Any]:
        return self.table.get_item(Key={"pk": run_pk(run_id), "sk": "RUN"}, ConsistentRead=True)["Item"]

    def claim_close(self, run_id: str, now: str, stale_before: str | None = None) -> bool:
        """Only one finisher closes a run, however many finish messages arrive. A claim older than
        `stale_before` (its finisher died between claiming and closing) may be taken over."""
        # The token makes botocore's retry of a claim whose response was lost find its own claim.
        condition = "#s = :open OR claim_token = :token"
        values = {":closing": "closing", ":open": "open", ":now": now, ":token": uuid.uuid4().hex}
        if stale_before:
            condition += " OR (#s = :closing AND claimed_at < :stale)"
            values[":stale"] = stale_before
        try:
            self.table.update_item(
                Key={"pk": run_pk(run_id), "sk": "RUN"},
                UpdateExpression="SET #s = :closing, claimed_at = :now, claim_token = :token",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_closed(self, run_id: str, manifest_key: str | None, finished_at: str, status: str = "closed") -> None:
        """The run's end: `closed` (published) or `superseded` (a newer run was published first)."""
        self.table.update_item(
            Key={"pk": run_pk(run_id), "sk": "RUN"},
            UpdateExpression="SET #s = :closed, manifest_key = :m, finished_at = :f",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":closed": status, ":m": manifest_key, ":f": finished_at},
        )
        self.unlist(run_id)

    def outcomes(self, run_id: str) -> list[AccountOutcome]:
        outcomes = []
        params: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(run_pk(run_id)) & Key("sk").begins_with("ACCOUNT#"),
            "ConsistentRead": True,
        }
        while True:
            page = self.table.query(**params)
            for item in page["Items"]:
                data = json.loads(item["outcome"])
                data["files"] = [FileEntry(**f) for f in data["files"]]
                outcomes.append(AccountOutcome(**data))
            if "LastEvaluatedKey" not in page:
                return sorted(outcomes, key=lambda o: o.account_id)
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]



