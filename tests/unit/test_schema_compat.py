"""The schema compatibility gate: docs/schema/ against the newest release kept in docs/schema/released/,
and the comparison's own rules on hand-made schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from idcensus.model.compat import compare_all, required_bump
from idcensus.model.records import SCHEMA_VERSION
from idcensus.model.schema import all_schemas

ROOT = Path(__file__).resolve().parents[2]
RELEASED = ROOT / "docs" / "schema" / "released"


def released() -> tuple[str, dict]:
    versions = sorted((p.name for p in RELEASED.iterdir() if p.is_dir()), key=lambda v: tuple(map(int, v.split("."))))
    newest = versions[-1]
    return newest, {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
                    for p in (RELEASED / newest).glob("*.schema.json")}


def test_the_schema_is_compatible_with_the_last_release_or_says_so_in_its_version():
    version, baseline = released()
    changes = compare_all(baseline, all_schemas())
    problem = required_bump(version, SCHEMA_VERSION, changes)
    listed = "\n  ".join(str(c) for c in changes)
    assert problem is None, f"{problem}; bump SCHEMA_VERSION in model/records.py. Changes:\n  {listed}"


USER = all_schemas()["iam.user"]


def changed(edit) -> list[str]:
    new = copy.deepcopy(USER)
    edit(new)
    return [str(c) for c in compare_all({"iam.user": USER}, {"iam.user": new})]


def test_nothing_changed_is_no_change():
    assert changed(lambda s: None) == []
    assert compare_all(all_schemas(), all_schemas()) == []


def test_removed_field_is_breaking():
    assert changed(lambda s: s["properties"]["data"]["properties"].pop("path")) == [
        "breaking: iam.user.data.path: field removed"]


def test_changed_type_is_breaking():
    def edit(s):
        s["properties"]["data"]["properties"]["path"] = {"type": "integer"}
    assert changed(edit) == ["breaking: iam.user.data.path: type string became integer"]


def test_optional_field_that_may_now_be_null_is_breaking():
    def edit(s):
        s["properties"]["data"]["properties"]["path"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert changed(edit) == ["breaking: iam.user.data.path: type string became null|string"]


def test_narrowed_enum_is_breaking_and_widened_is_additive():
    def narrow(s):
        s["$defs"]["AccessKey"]["properties"]["status"]["enum"] = ["Active"]

    def widen(s):
        s["$defs"]["AccessKey"]["properties"]["status"]["enum"] = ["Active", "Inactive", "Expired"]
    assert changed(narrow) == ["breaking: iam.user.data.access_keys[].status: enum narrowed: [\"'Inactive'\"] removed"]
    assert changed(widen) == ["additive: iam.user.data.access_keys[].status: enum widened: [\"'Expired'\"] added"]


def test_added_field_and_record_type_are_additive():
    def edit(s):
        s["properties"]["data"]["properties"]["nickname"] = {"type": "string"}
    assert changed(edit) == ["additive: iam.user.data.nickname: field added"]
    assert [str(c) for c in compare_all({}, {"iam.user": USER})] == ["additive: iam.user: record type added"]
    assert [str(c) for c in compare_all({"iam.user": USER}, {})] == ["breaking: iam.user: record type removed"]


def test_the_version_must_say_what_changed():
    breaking = compare_all({"iam.user": USER}, {})
    additive = compare_all({}, {"iam.user": USER})
    assert required_bump("1.1.0", "1.2.0", breaking).startswith("breaking changes need a new major")
    assert required_bump("1.1.0", "2.0.0", breaking) is None
    assert required_bump("1.1.0", "1.1.1", additive).startswith("additive changes need at least a new minor")
    assert required_bump("1.1.0", "1.2.0", additive) is None
    assert required_bump("1.1.0", "1.1.0", []) is None
    assert required_bump("1.1.0", "1.0.9", []).startswith("the version went back")


def test_the_version_constant_itself_is_not_a_change():
    assert changed(lambda s: s["properties"]["schema_version"].update(const="9.0.0")) == []
