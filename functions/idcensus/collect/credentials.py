"""Credentials: the credential report (bulk), MFA devices, access keys, service credentials."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from idcensus.collect.documents import flag, text, timestamp
from idcensus.errors import CollectionFailed, error_code
from idcensus.model.records import AccessKey, MfaDevice, RootKey, RootUser

ROOT_ROW = "<root_account>"


@dataclass(frozen=True)
class Report:
    """The credential report as AWS served it: CSV text and when AWS generated it. AWS serves a
    cached report up to 4 hours old, so users created since are not in it (see unreported())."""

    content: str
    generated_at: Any  # datetime | None


def get_credential_report(iam, *, timeout: float = 120.0, first_wait: float = 0.5) -> Report:
    """Generate the report, poll with backoff until it is complete, return it."""
    deadline = time.monotonic() + timeout
    wait = first_wait
    while True:
        state = iam.generate_credential_report()["State"]
        if state == "COMPLETE":
            try:
                answer = iam.get_credential_report()
                return Report(answer["Content"].decode("utf-8"), timestamp(answer.get("GeneratedTime")))
            except ClientError as exc:
                # Expired between the two calls, or still being written: generate again.
                if error_code(exc) not in {"ReportInProgress", "ReportExpired", "ReportNotPresent"}:
                    raise
        if time.monotonic() >= deadline:
            raise CollectionFailed(f"credential report not ready after {timeout:.0f}s (state {state})")
        time.sleep(wait)
        wait = min(wait * 2, 8.0)


def parse_credential_report(content: str) -> dict[str, dict[str, str]]:
    """Rows keyed by ARN; the root row is keyed by its ARN as well (user '<root_account>')."""
    return {row["arn"]: row for row in csv.DictReader(io.StringIO(content))}


def root_row(rows: dict[str, dict[str, str]]) -> dict[str, str] | None:
    return next((row for row in rows.values() if row["user"] == ROOT_ROW), None)


def transform_root(row: dict[str, str]) -> RootUser:
    return RootUser(
        arn=row["arn"],
        mfa_enabled=bool(flag(row.get("mfa_active"))),
        password_enabled=flag(row.get("password_enabled")),
        password_last_used_at=timestamp(row.get("password_last_used")),
        access_keys=[
            RootKey(
                active=bool(flag(row.get(f"access_key_{n}_active"))),
                last_rotated_at=timestamp(row.get(f"access_key_{n}_last_rotated")),
                last_used_at=timestamp(row.get(f"access_key_{n}_last_used_date")),
                last_used_service=text(row.get(f"access_key_{n}_last_used_service")),
                last_used_region=text(row.get(f"access_key_{n}_last_used_region")),
            )
            for n in (1, 2)
            if flag(row.get(f"access_key_{n}_active")) or timestamp(row.get(f"access_key_{n}_last_rotated"))
        ],
    )


def unreported(user: dict[str, Any], rows: dict[str, dict[str, str]], generated_at) -> bool:
    """True when the report cannot speak for this GAAD user: no row, or the user was created after
    the report was generated (a row under the same ARN is then a deleted namesake's)."""
    if user["Arn"] not in rows:
        return True
    created = timestamp(user.get("CreateDate"))
    return bool(generated_at and created and created > generated_at)


def report_holds_keys(row: dict[str, str]) -> bool:
    """A key slot exists when it has a rotation date (inactive keys too)."""
    return any(timestamp(row.get(f"access_key_{n}_last_rotated")) for n in (1, 2))


def report_certificates(row: dict[str, str]) -> list[tuple[Any, bool]]:
    """(last rotated, active) of the row's certificate slots (cert_1, cert_2) that hold one."""
    slots = [(timestamp(row.get(f"cert_{n}_last_rotated")), bool(flag(row.get(f"cert_{n}_active")))) for n in (1, 2)]
    return [(rotated, active) for rotated, active in slots if rotated or active]


def list_signing_certificates(iam, user_name: str) -> list[dict[str, Any]]:
    return [c for page in iam.get_paginator("list_signing_certificates").paginate(UserName=user_name)
            for c in page["Certificates"]]


def list_ssh_public_keys(iam, user_name: str) -> list[dict[str, Any]]:
    return [k for page in iam.get_paginator("list_ssh_public_keys").paginate(UserName=user_name)
            for k in page["SSHPublicKeys"]]


@dataclass(frozen=True)
class ReportKey:
    active: bool
    created_at: Any
    last_used_at: Any
    last_used_service: str | None
    last_used_region: str | None


def report_keys(row: dict[str, str]) -> list[ReportKey]:
    keys = []
    for n in (1, 2):
        rotated = timestamp(row.get(f"access_key_{n}_last_rotated"))
        if rotated is None:
            continue
        keys.append(
            ReportKey(
                active=bool(flag(row.get(f"access_key_{n}_active"))),
                created_at=rotated,
                last_used_at=timestamp(row.get(f"access_key_{n}_last_used_date")),
                last_used_service=text(row.get(f"access_key_{n}_last_used_service")),
                last_used_region=text(row.get(f"access_key_{n}_last_used_region")),
            )
        )
    return keys


def merge_keys(listed: list[dict[str, Any]] | None, row: dict[str, str] | None) -> list[AccessKey] | None:
    """Join ListAccessKeys (IDs) with the report's key slots (use), matched on creation time.

    The report's key_1/key_2 carry no ID; a key's last_rotated is its creation time to the second.
    """
    slots = report_keys(row) if row else []
    if listed is None:
        # The listing was denied: what the report says is still true, only the IDs are missing.
        return [_key(None, "Active" if s.active else "Inactive", s.created_at, s) for s in slots] if row else None
    keys = []
    for item in sorted(listed, key=lambda k: k.get("CreateDate") or 0):
        created = timestamp(item.get("CreateDate"))
        slot = next((s for s in slots if created and abs((s.created_at - created).total_seconds()) < 1), None)
        keys.append(_key(item["AccessKeyId"], item["Status"], created, slot))
    return keys


def _key(key_id, status, created, slot: ReportKey | None) -> AccessKey:
    return AccessKey(
        id=key_id,
        status=status,
        created_at=created,
        last_used_at=slot.last_used_at if slot else None,
        last_used_service=slot.last_used_service if slot else None,
        last_used_region=slot.last_used_region if slot else None,
    )


def list_access_keys(iam, user_name: str) -> list[dict[str, Any]]:
    return [
        key
        for page in iam.get_paginator("list_access_keys").paginate(UserName=user_name)
        for key in page["AccessKeyMetadata"]
    ]


def list_virtual_mfa_devices(iam) -> dict[str, MfaDevice]:
    """Assigned virtual devices keyed by user ARN, from one paginated listing."""
    devices = {}
    for page in iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Assigned"):
        for d in page["VirtualMFADevices"]:
            user = d.get("User") or {}
            if "Arn" in user:
                devices[user["Arn"]] = MfaDevice(
                    serial=d["SerialNumber"], type="virtual", enabled_at=timestamp(d.get("EnableDate"))
                )
    return devices


def list_mfa_devices(iam, user_name: str) -> list[MfaDevice]:
    return [
        MfaDevice(serial=d["SerialNumber"], type=mfa_type(d["SerialNumber"]), enabled_at=timestamp(d.get("EnableDate")))
        for page in iam.get_paginator("list_mfa_devices").paginate(UserName=user_name)
        for d in page["MFADevices"]
    ]


def mfa_type(serial: str) -> str:
    if ":u2f/" in serial:
        return "u2f"
    if ":mfa/" in serial:
        return "virtual"
    return "hardware"


def list_service_specific_credentials(iam) -> dict[str, list[dict[str, Any]]]:
    """All users' service-specific credentials in one call (AllUsers), keyed by user name."""
    by_user: dict[str, list[dict[str, Any]]] = {}
    params: dict[str, Any] = {"AllUsers": True}
    while True:  # no botocore paginator exists for this operation
        page = iam.list_service_specific_credentials(**params)
        for cred in page.get("ServiceSpecificCredentials", []):
            by_user.setdefault(cred["UserName"], []).append(cred)
        if not page.get("IsTruncated") or not page.get("Marker"):
            return by_user
        params["Marker"] = page["Marker"]
