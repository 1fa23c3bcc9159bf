"""A finding as an OCSF 1.x Compliance Finding (class 2003, category 2 Findings). Pure: a dict the
vendor can load; tests validate it with the py-ocsf-models library."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from idcensus.findings.registry import by_id

OCSF_VERSION = "1.5.0"
CLASS_UID, CATEGORY_UID = 2003, 2
SEVERITY_ID = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
ACTIVITY_ID = {"created": 1, "updated": 2, "closed": 3}  # Create, Update, Close
STATUS_ID = {"new": 1, "suppressed": 3, "resolved": 4}
COMPLIANCE_STATUS_ID = {"pass": 1, "fail": 3}


def _ms(value: str | None) -> int | None:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000) if value else None


def to_ocsf(record: dict[str, Any], product_version: str = "0.1.0") -> dict[str, Any]:
    """One `finding` record (the export envelope) as an OCSF Compliance Finding event."""
    d = record["data"]
    rule = by_id().get(d["rule_id"])
    resolved = d["status"] == "resolved"
    activity = ACTIVITY_ID["closed" if resolved else "created" if d["first_seen"] == d["last_seen"] else "updated"]
    status = "resolved" if resolved else "suppressed" if d["suppressed"] else "new"
    partition = d["resource_arn"].split(":")[1] if d["resource_arn"].startswith("arn:") else "aws"
    event: dict[str, Any] = {
        "category_uid": CATEGORY_UID, "category_name": "Findings",
        "class_uid": CLASS_UID, "class_name": "Compliance Finding",
        "activity_id": activity, "type_uid": CLASS_UID * 100 + activity,
        "severity_id": SEVERITY_ID[d["severity"]], "severity": d["severity"].capitalize(),
        "status_id": STATUS_ID[status], "status": status.capitalize(),
        "time": _ms(d["resolved_at"] if resolved else d["last_seen"]),
        "message": d["message"],
        "metadata": {"version": OCSF_VERSION, "uid": record["id"],
                     "product": {"name": "idcensus", "vendor_name": "idcensus", "version": product_version}},
        "finding_info": {"uid": record["id"], "title": d["title"], "desc": d["message"],
                         "types": [d["rule_id"]], "created_time": _ms(d["first_seen"]),
                         "first_seen_time": _ms(d["first_seen"]), "last_seen_time": _ms(d["last_seen"])},
        "compliance": {"control": d["rule_id"], "requirements": d["controls"],
                       "standards": sorted({c.rsplit(" ", 1)[0] for c in d["controls"] if c.startswith("CIS")}),
                       "status_id": COMPLIANCE_STATUS_ID["pass" if resolved else "fail"]},
        "resources": [{"uid": d["resource_arn"], "type": d["resource_type"], "cloud_partition": partition,
                       "data": d["evidence"]}],
        "unmapped": {"account_id": record["account_id"], "scope": d["scope"],
                     "suppression": d.get("suppression")},
    }
    if rule:
        event["remediation"] = {"desc": rule.remediation}
    if d["suppressed"] and d.get("suppression"):
        event["comment"] = f"suppressed: {d['suppression']['reason']}"
    return event
