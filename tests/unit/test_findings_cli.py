"""`idcensus findings` over a downloaded export folder: filters, JSON, OCSF, people, local suppressions."""

from __future__ import annotations

import json

from tests.findings_records import ADMIN_ARN, ADMIN_DOC, NOW, A, B, group, policy, root, sso_instance, sso_user, user

from idcensus.cli import main
from idcensus.findings.run import evaluate
from idcensus.store.export import encode_lines

PREFIX = "idcensus/v1/"


def export_folder(tmp_path, records):
    """The layout `aws s3 sync` (or the demo) leaves: <prefix>latest.json, the manifest, the parts."""
    ev = evaluate(records, now=NOW, run_id="run1", collected_at=NOW.isoformat())
    files = []
    for type_, rows in (("finding", ev.findings), ("identity.person", ev.people)):
        key = f"{PREFIX}runs/run1/snapshot/type={type_}/account=all/part-00000.jsonl.gz"
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(encode_lines(rows))
        files.append({"key": key, "kind": "snapshot", "type": type_, "account_id": A, "records": len(rows),
                      "bytes": 0, "sha256": ""})
    (tmp_path / f"{PREFIX}runs/run1/manifest.json").write_text(json.dumps({"run_id": "run1", "files": files}))
    (tmp_path / f"{PREFIX}latest.json").write_text(json.dumps({"run_id": "run1"}))
    return tmp_path


RECORDS = [root(mfa=False), root(B), policy("AdministratorAccess", document=ADMIN_DOC, aws_managed=True),
           group("admins", members=["ann"], attached=[ADMIN_ARN]), user("ann", console=True, groups=["admins"]),
           user("ann", B, console=True, mfa=True), sso_instance(), sso_user("u1", "ann")]


def test_filters_and_json(tmp_path, capsys):
    folder = export_folder(tmp_path, RECORDS)
    assert main(["findings", "--dir", str(folder), "--severity", "critical", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {f["rule_id"] for f in shown} == {"root.no_mfa", "principal.admin_without_mfa"}
    assert main(["findings", "--dir", str(folder), "--rule", "user.*", "--account", B, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown and {(f["account_id"], f["rule_id"][:5]) for f in shown} == {(B, "user.")}


def test_local_suppressions_hide_until_all(tmp_path, capsys):
    folder = export_folder(tmp_path, RECORDS)
    rules = tmp_path / "suppressions.json"
    rules.write_text(json.dumps({"suppressions": [{"rule": "root.*", "reason": "break-glass in a safe"}]}))
    main(["findings", "--dir", str(folder), "--suppressions", str(rules), "--json"])
    assert not [f for f in json.loads(capsys.readouterr().out) if f["rule_id"].startswith("root.")]
    main(["findings", "--dir", str(folder), "--suppressions", str(rules), "--all", "--json"])
    [r] = [f for f in json.loads(capsys.readouterr().out) if f["rule_id"] == "root.no_mfa"]
    assert r["suppressed"] and r["suppression"]["reason"] == "break-glass in a safe"


def test_table_ocsf_and_people(tmp_path, capsys):
    folder = export_folder(tmp_path, RECORDS)
    assert main(["findings", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "root.no_mfa" in out and "shown of" in out
    main(["findings", "--dir", str(folder), "--ocsf"])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events and all(e["class_uid"] == 2003 for e in events)
    main(["findings", "--dir", str(folder), "--people", "--json"])
    people = json.loads(capsys.readouterr().out)
    [ann] = [p for p in people if p["display_name"] == "Ann"]
    assert len(ann["identities"]) == 3 and ann["confidence"] == "medium"


def test_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["findings", "--dir", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err
