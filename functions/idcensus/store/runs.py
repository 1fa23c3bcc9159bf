"""Run bookkeeping in the state table, for the queue path (planner -> collectors -> finisher).

pk = "RUN#<run_id>": sk "RUN" holds the counter (total, done_accounts and failed_accounts as
string sets, status); sk "ACCOUNT#<id>" holds one account's outcome and its export files.
A counter, not Step Functions: two writes per account, no state machine to pay for or to size
for 1,000 accounts, and SQS redelivery is harmless because adding to a set is idempotent.
"""

from __future__ import annotations

import json
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

    def manifest_entry(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "status": self.status, "capabilities": self.capabilities,
                "error": self.error}



def run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


class RunTable:
    def __init__(self, dynamodb, table_name: str):
        self.table = dynamodb.Table(table_name)
        self.client = self.table.meta.client
        self.table_name = table_name

    def open(self, run_id: str, *, total: int, started_at: str, previous_run_id: str | None) -> None:
        self.table.put_item(
            Item={"pk": run_pk(run_id), "sk": "RUN", "total": total, "status": "open",
                  "started_at": started_at, "previous_run_id": previous_run_id},
            ConditionExpression="attribute_not_exists(pk)",
        )

    def record(self, run_id: str, outcome: AccountOutcome) -> bool:
        """Store an account's outcome and count it; True when this made the run complete.

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
        return len(counter.get("done_accounts", ())) >= int(counter["total"])

    def counter(self, run_id: str) -> dict[str, Any]:
        return self.table.get_item(Key={"pk": run_pk(run_id), "sk": "RUN"}, ConsistentRead=True)["Item"]

    def claim_close(self, run_id: str) -> bool:
        """Only one finisher closes a run, however many finish messages arrive."""
        try:
            self.table.update_item(
                Key={"pk": run_pk(run_id), "sk": "RUN"},
                UpdateExpression="SET #s = :closing",
                ConditionExpression="#s = :open",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":closing": "closing", ":open": "open"},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_closed(self, run_id: str, manifest_key: str, finished_at: str) -> None:
        self.table.update_item(
            Key={"pk": run_pk(run_id), "sk": "RUN"},
            UpdateExpression="SET #s = :closed, manifest_key = :m, finished_at = :f",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":closed": "closed", ":m": manifest_key, ":f": finished_at},
        )

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



