"""`idcensus findings`: a run's findings (and people) from its export, in S3 or a downloaded folder.

Reads latest.json (or --run), the manifest, then only the `finding` / `identity.person` parts; filters
by severity (that level and above), rule pattern and account; --suppressions FILE marks the findings a
local suppressions file accepts (as the bucket's suppressions.json does at publish)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from idcensus.cli.failures import EXIT_OK
from idcensus.cli.options import add_aws, add_json
from idcensus.errors import ConfigError
from idcensus.findings.registry import SEVERITIES
from idcensus.findings.suppressions import first_match, parse
from idcensus.model.findings import FINDING_TYPE, PERSON_TYPE
from idcensus.store.export import DEFAULT_PREFIX, decode_lines, normalize_prefix


def add_parser(sub) -> None:
    f = sub.add_parser("findings", help="what a run's inventory means: risky, unused, orphaned, duplicate identities")
    where = f.add_mutually_exclusive_group(required=True)
    where.add_argument("--bucket", help="the export bucket")
    where.add_argument("--dir", help="a downloaded export folder (holding <prefix>latest.json)")
    f.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"export prefix (default {DEFAULT_PREFIX})")
    f.add_argument("--run", default=None, help="run ID (default: the latest published run)")
    f.add_argument("--severity", choices=SEVERITIES, default=None, help="this severity and above")
    f.add_argument("--rule", default=None, help="rule ID or pattern, e.g. 'user.*'")
    f.add_argument("--account", default=None, help="one account ID")
    f.add_argument("--all", action="store_true", help="include suppressed and resolved findings")
    f.add_argument("--suppressions", default=None, help="a local suppressions JSON file to apply")
    f.add_argument("--people", action="store_true", help="list people (identity.person) instead")
    f.add_argument("--ocsf", action="store_true", help="print OCSF Compliance Findings as JSON Lines")
    add_aws(f, "the bucket")
    add_json(f, "the findings")
    f.set_defaults(func=run)


class ExportSource:
    """Keys of an export, from S3 or from a folder the export was copied into (keys as paths)."""

    def __init__(self, args, hooks=None):
        self.prefix = normalize_prefix(args.prefix)
        self.folder = Path(args.dir) if args.dir else None
        if self.folder is None:
            from idcensus.cli.connect import connect

            self.s3, self.bucket = connect(args, hooks).client("s3"), args.bucket
        elif not self.folder.is_dir():
            raise ConfigError(f"no such folder: {args.dir}: pass the folder the export was downloaded to")

    def read(self, key: str) -> bytes:
        if self.folder is None:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        for path in (self.folder / key, self.folder / key.removeprefix(self.prefix)):
            if path.is_file():
                return path.read_bytes()
        raise ConfigError(f"{key} is not in {self.folder}: pass the folder holding {self.prefix}latest.json")

    def manifest(self, run_id: str | None) -> dict[str, Any]:
        if run_id is None:
            run_id = json.loads(self.read(f"{self.prefix}latest.json"))["run_id"]
        return json.loads(self.read(f"{self.prefix}runs/{run_id}/manifest.json"))

    def records(self, manifest: dict[str, Any], type_: str) -> list[dict[str, Any]]:
        return [r for f in manifest["files"] if f["kind"] == "snapshot" and f["type"] == type_
                for r in decode_lines(self.read(f["key"]))]


def select(findings: list[dict], *, severity=None, rule=None, account=None, everything=False) -> list[dict]:
    floor = SEVERITIES.index(severity) if severity else len(SEVERITIES)
    out = [f for f in findings
           if SEVERITIES.index(f["data"]["severity"]) <= floor
           and (rule is None or fnmatchcase(f["data"]["rule_id"], rule))
           and (account is None or f["account_id"] == account)
           and (everything or (f["data"]["status"] == "open" and not f["data"]["suppressed"]))]
    return sorted(out, key=lambda f: (SEVERITIES.index(f["data"]["severity"]), f["data"]["rule_id"], f["id"]))


def apply_local_suppressions(findings: list[dict], path: str) -> list[dict]:
    try:
        rules = parse(json.loads(Path(path).read_text()))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read suppressions {path} ({exc}): pass a JSON file as the README shows") from exc
    now = datetime.now(UTC)
    out = []
    for f in findings:
        d = f["data"]
        s = None if d["suppressed"] else first_match(rules, d["rule_id"], d["resource_arn"], f["account_id"], now)
        out.append({**f, "data": {**d, "suppressed": True, "suppression": {
            "reason": s.reason, "principal": s.principal, "expires": s.expires and s.expires.isoformat()}}} if s else f)
    return out


def findings_table(findings: list[dict], title: str = "findings"):
    from rich.table import Table

    table = Table(title=title)
    for col in ("severity", "rule", "account", "finding", "since"):
        table.add_column(col, overflow="fold")
    for f in findings:
        d = f["data"]
        note = " [dim](suppressed: " + d["suppression"]["reason"] + ")[/]" if d["suppressed"] else ""
        note += " [green](resolved)[/]" if d["status"] == "resolved" else ""
        table.add_row(d["severity"], d["rule_id"], f["account_id"], d["message"] + note, d["first_seen"][:10])
    return table


def people_table(people: list[dict], title: str = "people (identity.person)"):
    from rich.table import Table

    table = Table(title=title)
    for col in ("person", "identities", "matched on", "reaches"):
        table.add_column(col, overflow="fold")
    for p in sorted(people, key=lambda p: (-len(p["data"]["identities"]), p["data"]["display_name"])):
        d = p["data"]
        ids = "\n".join(f"{i['type']} {i['name']} ({i['account_id']})" for i in d["identities"])
        how = ", ".join(f"{m['on']}={m['value']}" for m in d["matched_on"]) + f" [{d['confidence']}]"
        reach = "\n".join(f"{a['account_id']}: {a['name']}" for a in d["access"][:6])
        table.add_row(d["display_name"], ids, how, reach)
    return table


def run(args, hooks=None) -> int:
    from rich.console import Console

    source = ExportSource(args, hooks)
    manifest = source.manifest(args.run)
    if args.people:
        people = source.records(manifest, PERSON_TYPE)
        if args.json:
            print(json.dumps([p["data"] for p in people], indent=2, sort_keys=True))
        else:
            Console().print(people_table(people))
        return EXIT_OK
    findings = source.records(manifest, FINDING_TYPE)
    if args.suppressions:
        findings = apply_local_suppressions(findings, args.suppressions)
    shown = select(findings, severity=args.severity, rule=args.rule, account=args.account, everything=args.all)
    if args.ocsf:
        from idcensus.findings.ocsf import to_ocsf

        for f in shown:
            print(json.dumps(to_ocsf(f), sort_keys=True))
    elif args.json:
        print(json.dumps([{"id": f["id"], "account_id": f["account_id"], **f["data"]} for f in shown], indent=2,
                         sort_keys=True))
    else:
        Console(width=160).print(findings_table(shown, f"findings of run {manifest['run_id']}"))
        print(f"{len(shown)} shown of {len(findings)}" + ("" if args.all else " (--all adds suppressed and resolved)"))
    return EXIT_OK
