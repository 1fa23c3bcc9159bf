"""`idcensus ocsf`: the census as OCSF 1.1.0 events (the version Amazon Security Lake custom sources
take), one class per call as a custom source holds one class, written as Parquet in a custom
source's layout: <out>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/*.parquet.

--class user-inventory (default): iam.user and sso.user as User Inventory Info (5003).
--class compliance-finding: `finding` records (open, suppressed, resolved) as Compliance Finding
(2003), the projection of findings/ocsf.py in 1.1.0's shape (one `resource`, the cloud profile).
Not yet projected: resources (Cloud Resources Inventory Info, 5023). IAM and Identity Center are
global: the region partition is the one given (the region the census runs in).
"""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from idcensus.cli.failures import EXIT_OK

OCSF_VERSION = "1.1.0"
USER_INVENTORY = 5003  # class_uid; category 5 (Discovery), activity 2 (Collect)
ACTIVITY_COLLECT = 2
AWS_ACCOUNT = 10  # Account.type_id
USER = 1  # User.type_id
STATUS_IDS_1_1, STATUS_OTHER = (1, 2, 3), 99  # a finding's status_id in 1.1.0: New, In Progress, Suppressed, Other


def add_parser(sub) -> None:
    p = sub.add_parser("ocsf", help="write the census as OCSF 1.1.0 events (Parquet, Security Lake custom source layout)")
    p.add_argument("--from", dest="folder", required=True, help="a pulled folder (idcensus pull --out)")
    p.add_argument("--out", required=True, help="folder for region=/accountId=/eventDay= Parquet partitions")
    p.add_argument("--region", default="us-east-1", help="the region partition (default us-east-1)")
    p.add_argument("--class", dest="event_class", choices=sorted(CLASSES), default="user-inventory",
                   help="the OCSF class to write (one per custom source; default user-inventory)")
    p.set_defaults(func=run)


def run(args, hooks=None) -> int:
    from idcensus.cli.tables import current_records

    by_type, _, _ = current_records(Path(args.folder))
    title, types, project = CLASSES[args.event_class]
    events = project([r for t in types for r in by_type.get(t, [])], args.region)
    write_parquet(events, Path(args.out))
    print(f"{len(events)} OCSF {title} events written to {Path(args.out).resolve()}")
    return EXIT_OK


def user_inventory(records: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [event(r, region) for r in records]


def event(record: dict[str, Any], region: str) -> dict[str, Any]:
    """One record as a User Inventory Info event."""
    d, account = record["data"], {"uid": record["account_id"], "type_id": AWS_ACCOUNT}
    if record["type"] == "iam.user":
        user = {"name": d["name"], "uid": d["arn"], "uid_alt": d["user_id"], "type_id": USER, "account": account,
                "groups": [{"uid": g, "name": g.rsplit("/", 1)[-1]} for g in d.get("groups") or []]}
    else:  # sso.user: an Identity Center user, held by the account of its instance
        emails = [e["value"] for e in d.get("emails") or []]
        user = {"name": d["user_name"], "uid": d["arn"], "uid_alt": d["user_id"], "type_id": USER, "account": account,
                "full_name": d.get("display_name"), "email_addr": emails[0] if emails else None,
                "groups": [{"uid": g} for g in d.get("groups") or []]}
    return {
        "class_uid": USER_INVENTORY, "category_uid": 5, "activity_id": ACTIVITY_COLLECT,
        "type_uid": USER_INVENTORY * 100 + ACTIVITY_COLLECT, "severity_id": 1,
        "time": _millis(record["collected_at"]),
        "metadata": {"version": OCSF_VERSION, "uid": f"{record['run_id']}/{record['id']}",
                     "product": {"name": "idcensus", "vendor_name": "idcensus"}, "labels": [record["type"]]},
        "cloud": {"provider": "AWS", "region": region, "account": account},
        "user": {k: v for k, v in user.items() if v not in (None, [])},
    }


def compliance_findings(records: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [finding_event(r, region) for r in records]


def finding_event(record: dict[str, Any], region: str) -> dict[str, Any]:
    """One `finding` record as a 1.1.0 Compliance Finding: 1.1.0 has one `resource` where later
    versions list `resources`, knows no Resolved status (Other, named Resolved, with the Close
    activity), and Security Lake reads the account and region from the cloud profile."""
    from idcensus.findings.ocsf import to_ocsf

    event = to_ocsf(record)
    (resource,) = event.pop("resources")
    account = {"uid": record["account_id"], "type_id": AWS_ACCOUNT}
    status_id = event["status_id"] if event["status_id"] in STATUS_IDS_1_1 else STATUS_OTHER
    return {**event, "status_id": status_id, "resource": resource,
            "cloud": {"provider": "AWS", "region": region, "account": account},
            "metadata": {**event["metadata"], "version": OCSF_VERSION, "labels": [record["type"]]}}


# --class: (what the message calls it, the record types it reads, the projection)
CLASSES = {
    "user-inventory": ("User Inventory Info", ("iam.user", "sso.user"), user_inventory),
    "compliance-finding": ("Compliance Finding", ("finding",), compliance_findings),
}


def write_parquet(events: list[dict[str, Any]], out: Path) -> None:
    """Hive-style partitions by region, accountId and eventDay, as a Security Lake custom source."""
    from idcensus.cli.tables import duckdb_module

    duckdb = duckdb_module()
    rows = [{**_json_strings(e), "region": e["cloud"]["region"], "accountId": e["cloud"]["account"]["uid"],
             "eventDay": datetime.fromtimestamp(e["time"] / 1000, UTC).strftime("%Y%m%d")} for e in events]
    out.mkdir(parents=True, exist_ok=True)
    if not rows:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl.gz"
        path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
        with duckdb.connect() as con:
            target = str(out).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM read_json_auto('{path}', format='newline_delimited', sample_size=-1)) "
                        f"TO '{target}' (FORMAT parquet, PARTITION_BY (region, accountId, eventDay), OVERWRITE_OR_IGNORE)")


def _json_strings(event: dict[str, Any]) -> dict[str, Any]:
    """OCSF's JSON-typed fields (`unmapped`, a resource's `data`: evidence whose shape differs by rule)
    as JSON text, as Security Lake keeps them: one column type for every event, whatever they hold."""
    out = dict(event)
    if "unmapped" in out:
        out["unmapped"] = json.dumps(out["unmapped"], sort_keys=True, default=str)
    if isinstance(out.get("resource"), dict) and "data" in out["resource"]:
        out["resource"] = {**out["resource"], "data": json.dumps(out["resource"]["data"], sort_keys=True, default=str)}
    return out


def _millis(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
