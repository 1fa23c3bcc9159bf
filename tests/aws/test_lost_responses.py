"""Conditional writes that tolerate their own lost response: botocore retries a put that already
succeeded, and the retry must not read as someone else's claim."""

import boto3
from tests.faults import LostResponse

from idcensus.aws import ClientFactory
from idcensus.store.state import table_definition
from idcensus.stream.effects import Effects

ACCOUNT = "123456789012"


def refresh_puts(operation, request):
    body = request.get("body") or b""
    return operation == "PutItem" and b"REFRESH#" in (body if isinstance(body, bytes) else body.encode())


def test_a_lost_response_on_the_refresh_claim_still_claims(aws):
    boto3.client("dynamodb").create_table(**table_definition("state"))
    lost = LostResponse("dynamodb", refresh_puts)
    table = ClientFactory(hooks=[lost.hook()], account_id=ACCOUNT).resource("dynamodb").Table("state")
    effects = Effects(table, debounce_seconds=30)
    assert effects.claim_refresh(ACCOUNT, "iam.user", "carol") is True  # ours, though the put ran twice
    assert lost.lost == ["PutItem"]
    assert effects.claim_refresh(ACCOUNT, "iam.user", "carol") is False  # a second request is debounced


def test_a_lost_response_on_the_close_claim_still_claims(aws):
    from idcensus.store.runs import RunTable

    boto3.client("dynamodb").create_table(**table_definition("state"))
    lost = LostResponse("dynamodb", lambda op, request: op == "UpdateItem" and b"claim_token" in request["body"])
    runs = RunTable(ClientFactory(hooks=[lost.hook()], account_id=ACCOUNT).resource("dynamodb"), "state")
    runs.open("r1", total=1, started_at="2026-12-01T00:00:00Z", previous_run_id=None)
    assert runs.claim_close("r1", now="2026-12-01T00:01:00Z") is True  # ours, though the update ran twice
    assert lost.lost == ["UpdateItem"]
    assert runs.claim_close("r1", now="2026-12-01T00:01:01Z") is False  # a second finisher is turned away
