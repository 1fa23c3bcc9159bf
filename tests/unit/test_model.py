import json
from pathlib import Path

import jsonschema
import pytest

from idcensus.collect.contract import Outcomes
from idcensus.model.records import Group, content_hash, make_record
from idcensus.model.schema import all_schemas

ROOT = Path(__file__).parents[2]


def group(**kw):
    base = dict(name="g", arn="arn:aws:iam::210987654321:group/g", group_id="AGPA1", path="/", created_at=None,
                attached_policies=[], inline_policies=[], members=[])
    return Group(**{**base, **kw})


def record(data, run_id="r1", at="2026-11-24T00:00:00Z"):
    return make_record("iam.group", data.arn, "210987654321", data, run_id=run_id, collected_at=at)


def test_hash_ignores_when_but_not_what():
    a = record(group(), run_id="r1", at="2026-11-24T00:00:00Z")
    b = record(group(), run_id="r2", at="2026-11-25T00:00:00Z")
    c = record(group(members=["arn:aws:iam::210987654321:user/x"]))
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(c)


def test_wrong_data_type_is_rejected():
    with pytest.raises(TypeError):
        make_record("iam.user", "x", "210987654321", group(), run_id="r", collected_at="t")


def test_records_validate_against_generated_schema():
    schema = all_schemas()["iam.group"]
    jsonschema.validate(record(group()), schema)
    bad = record(group())
    bad["data"]["members"] = "not a list"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_docs_schema_is_generated_not_hand_edited():
    for type_, schema in all_schemas().items():
        on_disk = json.loads((ROOT / "docs" / "schema" / f"{type_}.schema.json").read_text())
        assert on_disk == schema, f"docs/schema/{type_}.schema.json is stale: run `make schema`"


@pytest.mark.parametrize(
    "outcomes, status",
    [
        ({"a": "ok", "b": "ok"}, "ok"),
        ({"a": "ok", "b": "denied"}, "partial"),
        ({"a": "ok", "b": "failed"}, "partial"),
        ({"a": "denied", "b": "denied"}, "denied"),
        ({"a": "failed"}, "failed"),
        ({"a": "ok", "b": "skipped"}, "ok"),
    ],
)
def test_collection_status(outcomes, status):
    out = Outcomes(capabilities=dict(outcomes))
    assert out.collection().status == status


def test_an_account_error_is_failed():
    assert Outcomes().collection(error="AccountUnreachable").status == "failed"
