"""`idcensus ocsf`: the census's users as OCSF User Inventory Info events (class 5003, OCSF 1.1.0, the
version Amazon Security Lake custom sources take), written as Parquet in a custom source's layout:
<out>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/*.parquet.

iam.user and sso.user are projected; the other classes the census could feed (Cloud Resources
Inventory Info 5023, Compliance Finding 2003) are not yet. IAM and Identity Center are global: the
region partition is the one given (the region the census runs in).
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


def add_parser(sub) -> None:
    p = sub.add_parser("ocsf", help="write the census's users as OCSF User Inventory Info (Parquet, Security Lake layout)")
    p.add_argument("--from", dest="folder", required=True, help="a pulled folder (idcensus pull --out)")
    p.add_argument("--out", required=True, help="folder for region=/accountId=/eventDay= Parquet partitions")
    p.add_argument("--region", default="us-east-1", help="the region partition (default us-east-1)")
    p.set_defaults(func=run)


def run(args, hooks=None) -> int:
    from idcensus.cli.tables import current_records

    by_type, _, _ = current_records(Path(args.folder))
    events = user_inventory([r for t in ("iam.user", "sso.user") for r in by_type.get(t, [])], args.region)
    write_parquet(events, Path(args.out))
    print(f"{len(events)} OCSF User Inventory Info events written to {Path(args.out).resolve()}")
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


def write_parquet(events: list[dict[str, Any]], out: Path) -> None:
    """Hive-style partitions by region, accountId and eventDay, as a Security Lake custom source."""
    from idcensus.cli.tables import duckdb_module

    duckdb = duckdb_module()
    rows = [{**e, "region": e["cloud"]["region"], "accountId": e["cloud"]["account"]["uid"],
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


def _millis(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
