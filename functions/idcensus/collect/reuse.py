"""What an earlier run learned per user, reused while the credential report shows it unchanged. Pure.

The per-user calls (ListAccessKeys, ListMFADevices...) answer facts the bulk sources only hint at.
Those hints are enough to tell that nothing changed: a key's ID never changes while its slot in the
report keeps its creation time and state, and a hardware or U2F device stays while the report's
MFA flag does. An unchanged re-run then asks nobody. Only a record of the same user (same UserId:
a re-created namesake is a new user) that the report speaks for is reused; anything else is asked.

What the report cannot show (a device swapped for another, a key created after a cached report
was generated) the CloudTrail stream's targeted refresh re-reads, and the next run after the
report regenerates sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idcensus.collect import credentials as cred
from idcensus.collect.documents import timestamp
from idcensus.model.records import MfaDevice


def previous_of(user: dict[str, Any], previous: Mapping[str, dict[str, Any]] | None, unreported) -> dict | None:
    """The earlier record of this very user, when there is one and the report speaks for the user."""
    if not previous or user["Arn"] in unreported:
        return None
    data = previous.get(user["Arn"])
    return data if data and data.get("user_id") == user["UserId"] else None


def _second(value: Any):
    moment = timestamp(value)
    return moment.replace(microsecond=0) if moment else None


def keys(data: dict[str, Any] | None, row: dict[str, str] | None) -> list[dict[str, Any]] | None:
    """The earlier ListAccessKeys answer, when the report's key slots still match it; else None (ask)."""
    if data is None or row is None or data.get("access_keys") is None:
        return None
    known = data["access_keys"]
    if any(k.get("id") is None for k in known):
        return None  # the earlier listing was denied: nothing to reuse
    slots = sorted((_second(s.created_at), s.active) for s in cred.report_keys(row))
    held = sorted((_second(k.get("created_at")), k["status"] == "Active") for k in known)
    if slots != held:
        return None
    return [{"AccessKeyId": k["id"], "Status": k["status"], "CreateDate": timestamp(k.get("created_at"))}
            for k in known]


def mfa_devices(data: dict[str, Any] | None, row: dict[str, str] | None, virtual: Mapping | None) -> list | None:
    """The earlier ListMFADevices answer's devices the virtual listing does not explain, while the
    report still says MFA is active; else None (ask)."""
    if data is None or row is None or not cred.flag(row.get("mfa_active")) or not data.get("mfa"):
        return None
    listed = {d.serial for d in (virtual or {}).values()}
    extra = [MfaDevice(**d) for d in data["mfa"].get("devices", []) if d["serial"] not in listed]
    return extra or None


def certificates(data: dict[str, Any] | None, row: dict[str, str] | None) -> list[dict[str, Any]] | None:
    """The earlier ListSigningCertificates answer, when the report's certificate slots still match it."""
    if data is None or row is None or data.get("signing_certificates") is None:
        return None
    known = data["signing_certificates"]
    slots = sorted((_second(rotated), active) for rotated, active in cred.report_certificates(row))
    held = sorted((_second(c.get("uploaded_at")), c["status"] == "Active") for c in known)
    if slots != held:
        return None
    return [{"CertificateId": c["id"], "Status": c["status"], "UploadDate": timestamp(c.get("uploaded_at"))}
            for c in known]


def policy_extras(data: dict[str, Any] | None, policy: dict[str, Any]) -> dict[str, Any] | None:
    """The earlier GetPolicy facts of the same policy (same creation time, and ID when GAAD gives one):
    a description is set once, at creation."""
    if not data or data.get("created_at") is None or timestamp(data["created_at"]) != timestamp(policy.get("CreateDate")):
        return None
    if policy.get("PolicyId") and data.get("policy_id") != policy["PolicyId"]:
        return None
    return {"Description": data.get("description"), "PolicyId": data.get("policy_id")}
