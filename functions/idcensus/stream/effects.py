"""What an activity event does to the state table: dedupe marker, last activity, refresh request.

Items (same table as the census, keys it never writes):
  pk EVENT#<event_id>, sk EVENT                    dedupe marker; `state` pending|done; TTL `expires_at`
  pk ACCOUNT#<id>, sk activity#<principal arn>     last_activity_at of a principal (monotonic)
  pk ACCOUNT#<id>, sk activity#key#<AKIA...>       last_activity_at of an access key (monotonic)
  pk REFRESH#<account>#<kind>#<name>, sk REFRESH   debounce of targeted refreshes; TTL `expires_at`
The census's StateTable.apply skips `activity#` items: that type is never authoritative.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from idcensus.collect.documents import timestamp
from idcensus.errors import error_code
from idcensus.store.state import pk

DAY = 86_400
CONDITION_FAILED = "ConditionalCheckFailedException"
# Principals whose activity is theirs: an assumed-role session counts for its role.
PRINCIPAL_TYPES = frozenset({"IAMUser", "Root", "AssumedRole"})


def canonical_time(value: str) -> str:
    """RFC 3339 UTC to the second, so string order is time order in DynamoDB conditions."""
    parsed = timestamp(value)
    if parsed is None:
        raise ValueError(f"no time in {value!r}")
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def subjects(activity: dict[str, Any]) -> list[tuple[str, str]]:
    """(account_id, sort key) of every item whose last_activity_at this event moves. Pure.

    Only successful calls count: a denied call or a failed sign-in proves an attempt, not use.
    """
    data = activity["data"]
    actor = data.get("actor") or {}
    if data.get("error_code") or (data.get("ocsf") or {}).get("status_id") == 2:
        return []
    out = []
    arn = actor.get("session_issuer_arn") if actor.get("type") == "AssumedRole" else actor.get("arn")
    if actor.get("type") in PRINCIPAL_TYPES and arn and (account := account_of(arn)):
        out.append((account, f"activity#{arn}"))
    elif actor.get("type") == "IdentityCenterUser" and arn:
        # Its ARN names no account: the event's own is the instance's (sign-ins are logged where it lives).
        out.append((data["account_id"], f"activity#{arn}"))
    key = actor.get("access_key_id")
    # AKIA keys are long-term user (or root) keys; ASIA keys are session credentials, not inventoried.
    if key and key.startswith("AKIA") and (account := actor.get("account_id") or account_of(actor.get("arn") or "")):
        out.append((account, f"activity#key#{key}"))
    return out


@dataclass
class Effects:
    table: Any  # boto3 DynamoDB Table resource
    ttl_days: int = 30
    debounce_seconds: int = 30

    def claim(self, event_id: str) -> bool:
        """True unless the event was fully processed before. A marker left `pending` by a try that
        crashed is claimed again, so a retried batch redoes its (idempotent) effects."""
        try:
            self.table.put_item(
                Item={"pk": f"EVENT#{event_id}", "sk": "EVENT", "state": "pending",
                      "expires_at": int(time.time()) + self.ttl_days * DAY},
                ConditionExpression="attribute_not_exists(pk) OR #s = :pending",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":pending": "pending"},
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False
            raise
        return True

    def mark_done(self, event_ids: list[str]) -> None:
        expires = int(time.time()) + self.ttl_days * DAY
        with self.table.batch_writer() as batch:
            for event_id in event_ids:
                batch.put_item(Item={"pk": f"EVENT#{event_id}", "sk": "EVENT", "state": "done", "expires_at": expires})

    def touch(self, account_id: str, sort_key: str, activity: dict[str, Any]) -> bool:
        """Move last_activity_at forward to the event's time; an older event changes nothing."""
        at = canonical_time(activity["event_time"])
        try:
            self.table.update_item(
                Key={"pk": pk(account_id), "sk": sort_key},
                UpdateExpression="SET last_activity_at = :t, event_id = :e, event_name = :n, record_type = :r",
                ConditionExpression="attribute_not_exists(last_activity_at) OR last_activity_at < :t",
                ExpressionAttributeValues={":t": at, ":e": activity["id"], ":n": activity["data"].get("event_name"),
                                           ":r": "activity"},
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False
            raise
        return True

    def claim_refresh(self, account_id: str, kind: str, name: str) -> bool:
        """True when no refresh of this principal is already pending inside the debounce window.
        The claim carries a token: when botocore retries the put after a lost response and collides
        with its own marker, the token read back says the claim is ours, not a debounce."""
        now_ms = int(time.time() * 1000)
        token = uuid.uuid4().hex
        key = {"pk": f"REFRESH#{account_id}#{kind}#{name}", "sk": "REFRESH"}
        try:
            self.table.put_item(
                Item={**key, "token": token,
                      "due_at_ms": now_ms + self.debounce_seconds * 1000, "expires_at": now_ms // 1000 + DAY},
                ConditionExpression="attribute_not_exists(pk) OR due_at_ms < :now OR #t = :token",
                ExpressionAttributeNames={"#t": "token"},
                ExpressionAttributeValues={":now": now_ms, ":token": token},
            )
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            item = self.table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
            return item.get("token") == token
        return True

    def release_refresh(self, account_id: str, kind: str, name: str) -> None:
        """Undo a claim whose message could not be sent, so the retried event can request again."""
        self.table.delete_item(Key={"pk": f"REFRESH#{account_id}#{kind}#{name}", "sk": "REFRESH"})


def last_activity(table, account_id: str, arn_or_key: str) -> str | None:
    """The recorded last_activity_at of a principal ARN or an access key ID."""
    suffix = f"key#{arn_or_key}" if arn_or_key.startswith(("AKIA", "ASIA")) else arn_or_key
    item = table.get_item(Key={"pk": pk(account_id), "sk": f"activity#{suffix}"}).get("Item")
    return item.get("last_activity_at") if item else None
