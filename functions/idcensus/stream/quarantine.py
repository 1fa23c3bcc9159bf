"""Input that cannot become an activity record is kept, never dropped: one S3 object per input.

Key: <export prefix>quarantine/date=YYYY-MM-DD/<sha256 of the raw bytes>.json, so the same bad
input quarantined twice is one object. Body: reason, detail, received_at, source, and the raw
input as text (`raw`) or, when it is not UTF-8, as base64 (`raw_base64`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from idcensus.store.export import normalize_prefix


def as_bytes(raw: bytes | str) -> bytes:
    return raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")


def quarantine_body(raw: bytes | str, reason: str, detail: str, received_at: str, source: str) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": reason, "detail": detail, "received_at": received_at, "source": source}
    blob = as_bytes(raw)
    try:
        body["raw"] = blob.decode("utf-8")
    except UnicodeDecodeError:
        body["raw_base64"] = base64.b64encode(blob).decode("ascii")
    return body


@dataclass
class Quarantine:
    s3: Any  # boto3 S3 client
    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        self.prefix = normalize_prefix(self.prefix)

    def key(self, raw: bytes | str, received_at: str) -> str:
        return f"{self.prefix}quarantine/date={received_at[:10]}/{hashlib.sha256(as_bytes(raw)).hexdigest()}.json"

    def put(self, raw: bytes | str, reason: str, detail: str, received_at: str, source: str = "sqs") -> str:
        key = self.key(raw, received_at)
        body = quarantine_body(raw, reason, detail, received_at, source)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(body, sort_keys=True).encode(),
                           ContentType="application/json", Metadata={"reason": reason})
        return key
