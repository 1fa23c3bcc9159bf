import boto3
import pytest

from idcensus.model.records import Group, make_record
from idcensus.store.state import StateTable, table_definition

ACCOUNT = "210987654321"


@pytest.fixture
def table(aws):
    ddb = boto3.client("dynamodb")
    ddb.create_table(**table_definition("state"))
    return StateTable(boto3.resource("dynamodb"), "state")


def grp(name, members=(), run="r1"):
    data = Group(name=name, arn=f"arn:aws:iam::{ACCOUNT}:group/{name}", group_id=name, path="/", created_at=None,
                 attached_policies=[], inline_policies=[], members=list(members))
    return make_record("iam.group", data.arn, ACCOUNT, data, run_id=run, collected_at="2026-11-24T00:00:00Z")


def apply(table, records, authoritative=("iam.group",), keep=()):
    return table.apply(ACCOUNT, records, authoritative=set(authoritative), keep=set(keep), now="2026-11-25T00:00:00Z")


def test_first_run_creates_and_unchanged_rerun_writes_nothing(table):
    first = apply(table, [grp("a"), grp("b")])
    assert first.items_written == 2 and {c["change"] for c in first.changes} == {"created"}
    again = apply(table, [grp("a", run="r2"), grp("b", run="r2")])
    assert again.items_written == 0 and again.changes == []


def test_changed_content_is_an_update(table):
    apply(table, [grp("a")])
    diff = apply(table, [grp("a", members=["arn:aws:iam::210987654321:user/x"], run="r2")])
    assert [c["change"] for c in diff.changes] == ["updated"]
    assert table.get(ACCOUNT, "iam.group", grp("a")["id"])["data"]["members"] == ["arn:aws:iam::210987654321:user/x"]


def test_vanished_principal_is_marked_deleted_with_time(table):
    apply(table, [grp("a"), grp("b")])
    diff = apply(table, [grp("a")])
    (change,) = diff.changes
    assert change["change"] == "deleted" and change["deleted"] is True
    assert change["deleted_at"] == "2026-11-25T00:00:00Z"
    assert table.get(ACCOUNT, "iam.group", grp("b")["id"])["deleted"] is True
    assert apply(table, [grp("a")]).items_written == 0  # deleted once, not again


def test_incomplete_collection_never_deletes(table):
    apply(table, [grp("a"), grp("b")])
    diff = apply(table, [grp("a")], authoritative=())  # the groups capability was denied or failed
    assert diff.changes == [] and diff.items_written == 0
    assert table.get(ACCOUNT, "iam.group", grp("b")["id"])["deleted"] is False


def test_skipped_principal_is_kept(table):
    apply(table, [grp("a"), grp("b")])
    assert apply(table, [grp("a")], keep={grp("b")["id"]}).changes == []


def test_reappearing_principal_is_created_again(table):
    apply(table, [grp("a"), grp("b")])
    apply(table, [grp("a")])
    diff = apply(table, [grp("a"), grp("b")])
    assert [c["change"] for c in diff.changes] == ["created"]


def test_organization_round_trip_and_unknown_before_a_run(table):
    assert table.organization() == ((), None)
    table.put_organization(["222222222222", ACCOUNT, ACCOUNT], "o-exampleorg1")
    assert table.organization() == ((ACCOUNT, "222222222222"), "o-exampleorg1")
    # Its own partition: an account's diff never sees it.
    assert table.current(ACCOUNT) == {}
