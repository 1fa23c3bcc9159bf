"""Input that cannot become an activity record is kept, never dropped: one S3 object per input.

Key: <quarantine prefix>date=YYYY-MM-DD/<sha256 of the raw bytes>.json, so the same bad input
quarantined twice is one object. The prefix lies outside the export prefix: the vendor's role
cannot read it, only the customer's admin. Body: reason, detail, received_at, source, the raw
input's sha256, and the input itself as text (`raw`) or, when it is not UTF-8, as base64
(`raw_base64`) - with secrets redacted (temporary credentials in responseElements, passwords in
requestParameters...): what is kept is enough to diagnose, never to reuse.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from idcensus.settings import QUARANTINE_PREFIX
from idcensus.store.export import normalize_prefix

REDACTED = "<redacted>"
# Keys whose values are secrets wherever they appear (compared without case, '_' or '-').
SECRET_KEYS = frozenset({"credentials", "sessiontoken", "secretaccesskey", "password", "newpassword", "oldpassword",
                         "privatekey", "secretstring", "secretbinary", "samlassertion", "webidentitytoken",
                         "clientsecret", "accesstoken", "refreshtoken", "idtoken"})
# The same keys inside text that is not valid JSON: "key": "value" or "key": {...} (one level).
_SECRET_TEXT = re.compile(
    r'("(?:' + "|".join(sorted(SECRET_KEYS)) + r')"\s*:\s*)("(?:[^"\\]|\\.)*"|\{[^{}]*\})', re.IGNORECASE)


def as_bytes(raw: bytes | str) -> bytes:
    return raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")


def _secret(key: str) -> bool:
    return key.replace("_", "").replace("-", "").lower() in SECRET_KEYS


def redact(value: Any) -> Any:
    """The value with every secret-bearing key's value replaced (JSON strings holding JSON too)."""
    if isinstance(value, dict):
        return {k: (REDACTED if _secret(k) and v is not None else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            inner = json.loads(value)
        except ValueError:
            return redact_text(value)
        return json.dumps(redact(inner), sort_keys=True)
    return value


def redact_text(text: str) -> str:
    """Redaction for input that does not parse: secret keys' values in JSON-like text."""
    return _SECRET_TEXT.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)


def redacted_text(text: str) -> str:
    """The text itself when it holds no secret (byte for byte), else with the secrets redacted."""
    try:
        parsed = json.loads(text)
        cleaned = redact(parsed)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to walk: redact the text itself
        return redact_text(text)
    return text if cleaned == parsed else json.dumps(cleaned, sort_keys=True)


def quarantine_body(raw: bytes | str, reason: str, detail: str, received_at: str, source: str) -> dict[str, Any]:
    blob = as_bytes(raw)
    body: dict[str, Any] = {"reason": reason, "detail": detail, "received_at": received_at, "source": source,
                            "raw_sha256": hashlib.sha256(blob).hexdigest()}
    try:
        body["raw"] = redacted_text(blob.decode("utf-8"))
    except UnicodeDecodeError:
        body["raw_base64"] = base64.b64encode(blob).decode("ascii")  # not text: nothing readable to redact
    return body


@dataclass
class Quarantine:
    s3: Any  # boto3 S3 client
    bucket: str
    prefix: str = QUARANTINE_PREFIX

    def __post_init__(self) -> None:
        self.prefix = normalize_prefix(self.prefix)

    def key(self, raw: bytes | str, received_at: str) -> str:
        return f"{self.prefix}date={received_at[:10]}/{hashlib.sha256(as_bytes(raw)).hexdigest()}.json"

    def put(self, raw: bytes | str, reason: str, detail: str, received_at: str, source: str = "sqs") -> str:
        key = self.key(raw, received_at)
        body = quarantine_body(raw, reason, detail, received_at, source)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(body, sort_keys=True).encode(),
                           ContentType="application/json", Metadata={"reason": reason})
        return key
