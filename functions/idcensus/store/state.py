"""Current state in one DynamoDB table.

Key design: pk = "ACCOUNT#<account_id>", sk = "<type>#<id>". One Query reads an account's
state for the diff; an ARN names its account, so the activity stream can GetItem a principal
directly. Items carry the record's content hash, so an unchanged re-run writes nothing.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key

from idcensus.model.records import content_hash


def pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def sk(record: dict[str, Any]) -> str:
    return f"{record['type']}#{record['id']}"


@dataclass
class Diff:
    changes: list[dict[str, Any]] = field(default_factory=list)  # records plus a "change" field
    items_written: int = 0


@dataclass
class StateTable:
    dynamodb: Any  # boto3 DynamoDB service resource
    table_name: str

    @property
    def table(self):
        return self.dynamodb.Table(self.table_name)

    def current(self, account_id: str) -> dict[str, dict[str, Any]]:
        """sk -> item for every item of the account: records (hash, deleted, type), the stream's
        `activity#` items (last_activity_at) and the latest check (`check#latest`). One Query per
        account run serves the diff, the activity overlay and the check."""
        return {item["sk"]: item for item in self._query(
            KeyConditionExpression=Key("pk").eq(pk(account_id)),
            ProjectionExpression="sk, content_hash, deleted, record_type, last_activity_at, #check",
            ExpressionAttributeNames={"#check": "check"})}

    def records(self, account_id: str) -> list[dict[str, Any]]:
        """Every live record of the account as last collected (the carry-forward of a run that
        could not see some of them)."""
        return [self.decode(i) for i in self._query(KeyConditionExpression=Key("pk").eq(pk(account_id)))
                if "record_type" in i and "id" in i and not i.get("deleted")
                and not i["sk"].startswith(("activity#", "check#"))]

    def records_of(self, account_id: str, type_: str) -> list[dict[str, Any]]:
        """The account's live records of one type (one Query on the sort key's prefix)."""
        condition = Key("pk").eq(pk(account_id)) & Key("sk").begins_with(f"{type_}#")
        return [self.decode(i) for i in self._query(KeyConditionExpression=condition)
                if "record_type" in i and not i.get("deleted")]

    def _query(self, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query matches, page after page."""
        while True:
            page = self.table.query(**params)
            yield from page["Items"]
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_organization(self, account_ids: Iterable[str], organization_id: str | None) -> None:
        """The organization's accounts as the latest run saw them: a targeted refresh between runs
        uses them to tell sister accounts from outsiders in a trust policy."""
        item: dict[str, Any] = {"pk": "ORG", "sk": "ACCOUNTS", "ids": sorted(set(account_ids))}
        if organization_id:
            item["organization_id"] = organization_id
        self.table.put_item(Item=item)

    def organization(self) -> tuple[tuple[str, ...], str | None]:
        item = self.table.get_item(Key={"pk": "ORG", "sk": "ACCOUNTS"}).get("Item")
        return (tuple(item.get("ids", ())), item.get("organization_id")) if item else ((), None)

    def get(self, account_id: str, type_: str, id_: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": pk(account_id), "sk": f"{type_}#{id_}"}).get("Item")
        return self.decode(item) if item else None

    def apply(
        self,
        account_id: str,
        records: Iterable[dict[str, Any]],
        *,
        authoritative: set[str],
        keep: set[str],
        now: str,
        existing: dict[str, dict[str, Any]] | None = None,
    ) -> Diff:
        """Write what changed; mark deleted what vanished from a type collected completely.

        `authoritative` are the record types whose capability was ok in this run;
        `keep` are IDs that must not be deleted (principals skipped mid-run); `existing` is
        current(account_id) when the caller has read it already.
        """
        existing = self.current(account_id) if existing is None else existing
        diff = Diff()
        seen = set()
        with self.table.batch_writer() as batch:
            for record in records:
                key = sk(record)
                seen.add(key)
                digest = content_hash(record)
                old = existing.get(key)
                if old is not None and old.get("content_hash") == digest:
                    continue
                change = "created" if old is None or old.get("deleted") else "updated"
                for item in self._items(record, digest):
                    batch.put_item(Item=item)
                diff.items_written += 1
                diff.changes.append({**record, "change": change})
            for key, old in existing.items():
                if key in seen or old.get("deleted"):
                    continue
                type_, _, id_ = key.partition("#")
                if type_ not in authoritative or id_ in keep:
                    continue
                record = self.get(account_id, type_, id_)
                if record is None:
                    continue
                gone = {**record, "deleted": True, "deleted_at": now}
                for item in self._items(gone, content_hash(gone)):
                    batch.put_item(Item=item)
                diff.items_written += 1
                diff.changes.append({**gone, "change": "deleted"})
        return diff

    def put_record(self, record: dict[str, Any]) -> None:
        """Write one record as apply() does (the activity stream's targeted refresh)."""
        with self.table.batch_writer() as batch:
            for item in self._items(record, content_hash(record)):
                batch.put_item(Item=item)

    def decode(self, item: dict[str, Any]) -> dict[str, Any]:
        """The record an item holds: inline JSON, gzip JSON, or gzip JSON in chunk items."""
        if "record" in item:
            return json.loads(item["record"])
        if "record_gz" in item:
            return json.loads(gzip.decompress(_bytes(item["record_gz"])))
        params: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(item["pk"])
                                  & Key("sk").begins_with(f"{CHUNK_PREFIX}{item['sk']}#"), "ConsistentRead": True}
        parts: list[bytes] = []
        while True:
            page = self.table.query(**params)
            parts += [_bytes(i["part"]) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return json.loads(gzip.decompress(b"".join(parts[: int(item["record_chunks"])])))

    def _items(self, record: dict[str, Any], digest: str) -> list[dict[str, Any]]:
        """The record's item, and its chunk items (written first) when it would pass DynamoDB's 400 KB:
        a group of 20,000 members or a role with large policies is still one record."""
        item = {
            "pk": pk(record["account_id"]),
            "sk": sk(record),
            "record_type": record["type"],
            "id": record["id"],
            "content_hash": digest,
            "deleted": record["deleted"],
            "run_id": record["run_id"],
            "collected_at": record["collected_at"],
        }
        if record.get("deleted_at"):
            item["deleted_at"] = record["deleted_at"]
        text = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        if len(text) <= INLINE_BYTES:
            return [{**item, "record": text.decode()}]
        packed = gzip.compress(text, mtime=0)
        if len(packed) <= INLINE_BYTES:
            return [{**item, "record_gz": packed}]
        chunks = [packed[at:at + INLINE_BYTES] for at in range(0, len(packed), INLINE_BYTES)]
        return [*({"pk": item["pk"], "sk": f"{CHUNK_PREFIX}{item['sk']}#{n:05d}", "part": chunk}
                  for n, chunk in enumerate(chunks)),
                {**item, "record_chunks": len(chunks)}]


INLINE_BYTES = 300_000  # of a record's JSON in one item; DynamoDB's item limit is 400 KB
CHUNK_PREFIX = "chunk#"  # sk of a large record's chunk items: chunk#<type>#<id>#<n>; never a record type


def _bytes(value: Any) -> bytes:
    return bytes(value.value) if hasattr(value, "value") else bytes(value)


def stream_activity(items: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Principal ARN or access key ID -> last_activity_at the CloudTrail stream recorded, from current()."""
    return {sk.removeprefix("activity#").removeprefix("key#"): item["last_activity_at"]
            for sk, item in items.items() if sk.startswith("activity#") and item.get("last_activity_at")}


def table_definition(table_name: str) -> dict[str, Any]:
    """The table as create_table wants it; template.yaml declares the same keys."""
    return {
        "TableName": table_name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
